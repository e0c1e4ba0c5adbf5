#include "checks/connect_classifier.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "checks/probe_result.hpp"

namespace faultline {
namespace {

// "192.0.2.1" of "192.0.2.1:80", "2001:db8::1" of "[2001:db8::1]:80": what `ip route get`
// takes.
std::string host_of(const std::string& address) {
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

bool is_ipv6_link_local(const std::string& host) {
  return host.size() > 4 && (host.compare(0, 4, "fe80") == 0 || host.compare(0, 4, "FE80") == 0);
}

}  // namespace

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
    case EINVAL:
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
  const std::string host = host_of(addr);
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
  } else if (err == EINVAL) {
    // connect() itself returns EINVAL, at once and before any packet leaves: no ICMP error or
    // TCP event becomes EINVAL later. For an address the socket accepts, that is this host's
    // routing table answering a `blackhole` route (or an IPv6 link-local address without the
    // interface it belongs to): this host's doing, never the target's.
    v.cls = FailureClass::local;
    v.message = is_ipv6_link_local(host)
                    ? "this host cannot connect to the link-local address " + addr +
                          " without knowing its interface, which a target URL cannot name: "
                          "use a global or unique-local address: " +
                          why
                    : "this host's routing table has a blackhole route for " + host +
                          " (see `ip route get " + host + "`): the connect to " + addr +
                          " failed at once, before any packet left: " + why;
  } else if (err == EACCES) {
    // A `prohibit` route answers EACCES at once, as do security policies (SELinux, AppArmor);
    // a remote "administratively prohibited" ICMP arrives as EHOSTUNREACH instead.
    v.cls = FailureClass::local;
    v.message = "this host refuses to connect to " + addr + ": a prohibit route for " + host +
                " in its routing table (see `ip route get " + host +
                "`) or a security policy: " + why;
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
