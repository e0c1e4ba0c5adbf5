#include "checks/connect_classifier.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "checks/probe_result.hpp"

namespace faultline {

bool is_local_errno(int err) {
  switch (err) {
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case EADDRNOTAVAIL:
    case EADDRINUSE:
    case EPERM:
    case EACCES:
    case EAFNOSUPPORT:
      return true;
    default:
      return false;
  }
}

Verdict classify_connect_errno(int err, std::string_view address) {
  Verdict v;
  v.phase = Phase::connect;
  v.sys_errno = err;
  const std::string addr(address);
  const std::string why = std::string(std::strerror(err)) + " (" + errno_name(err) + ")";
  if (err == ECONNREFUSED) {
    v.cls = FailureClass::refused;
    v.message = "connection refused by " + addr + ": nothing accepts connections on that port";
  } else if (err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN || err == ENETDOWN) {
    v.cls = FailureClass::unreachable;
    v.message = "no route to " + addr + ": " + why;
  } else if (err == ETIMEDOUT) {
    v.cls = FailureClass::timeout;
    v.message = "connecting to " + addr + " timed out: " + why;
  } else if (is_local_errno(err)) {
    v.cls = FailureClass::local;
    v.message = "this host could not open a connection to " + addr + ": " + why;
  } else {
    v.cls = FailureClass::unreachable;
    v.message = "connecting to " + addr + " failed: " + why;
  }
  return v;
}

Verdict connect_timeout(std::string_view address, long long waited_ms) {
  Verdict v;
  v.cls = FailureClass::timeout;
  v.phase = Phase::connect;
  v.message = "no answer to the TCP handshake from " + std::string(address) + " within " +
              std::to_string(waited_ms) + " ms (packets silently dropped)";
  return v;
}

}  // namespace faultline
