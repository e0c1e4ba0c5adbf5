#include "checks/proxy_classifier.hpp"

#include <curl/curl.h>

#include <optional>

#include "checks/connect_classifier.hpp"
#include "checks/tls_classifier.hpp"

namespace faultline {
namespace {

Verdict in_proxy_phase(Verdict v, std::string message) {
  v.phase = Phase::proxy;
  v.message = std::move(message);
  return v;
}

std::string the_proxy(const ProxyFailure& f) {
  return "the proxy " + f.proxy + (f.address.empty() ? "" : " (" + f.address + ")");
}

// The TCP connection to the proxy never came up; nullopt when it did.
std::optional<Verdict> proxy_connect_failure(const ProxyFailure& f) {
  const bool never_connected =
      f.curl_code == CURLE_COULDNT_CONNECT || f.socket.end == SocketEnd::connecting;
  if (!never_connected) return std::nullopt;
  const std::string who = the_proxy(f);
  if (f.curl_code == CURLE_OPERATION_TIMEDOUT ||
      (f.os_errno == 0 && f.socket.end == SocketEnd::connecting)) {
    Verdict v = connect_timeout(f.address, f.elapsed_ms);
    return in_proxy_phase(v, "no answer from " + who + " to the TCP handshake within " +
                                 std::to_string(f.elapsed_ms) +
                                 " ms: the proxy is down or packets to it are dropped");
  }
  Verdict v = classify_connect_errno(f.os_errno, f.address);
  if (v.cls == FailureClass::refused) {
    return in_proxy_phase(v, who +
                                 " refused the connection: nothing accepts connections on "
                                 "its port (the target was not tried)");
  }
  if (v.cls == FailureClass::local) return in_proxy_phase(v, v.message + " (to reach " + who + ")");
  std::string message = "cannot reach " + who + ": " + v.message;
  if (f.os_errno == 0) message = "connecting to " + who + " failed: " + f.library_error;
  return in_proxy_phase(v, message);
}

Verdict proxy_tls_failure(const ProxyFailure& f) {
  TlsHandshakeFailure t;
  t.facts = f.tls;
  t.socket = f.socket;
  t.timed_out = f.curl_code == CURLE_OPERATION_TIMEDOUT;
  t.hostname_rejected = f.curl_code == CURLE_PEER_FAILED_VERIFICATION && f.tls.verify_error == 0;
  t.verify_enabled = f.verify_enabled;
  t.host = f.host;
  t.address = f.address;
  t.elapsed_ms = f.elapsed_ms;
  t.now_unix = f.now_unix;
  t.library_error = f.library_error;
  Verdict v = classify_tls_failure(t);
  return in_proxy_phase(v, "the TLS connection to " + the_proxy(f) + " failed: " + v.message);
}

Verdict connect_status_failure(const ProxyFailure& f) {
  Verdict v;
  v.cls = FailureClass::http;
  v.phase = Phase::proxy;
  v.detail = Detail::http_status;
  v.http_status = static_cast<int>(f.connect_code);
  const std::string status = std::to_string(f.connect_code);
  const std::string who = the_proxy(f);
  if (f.connect_code == 407) {
    v.message = f.has_credentials
                    ? who + " rejected the credentials in its URL (407 to CONNECT " + f.target + ")"
                    : who + " demands credentials (407 to CONNECT " + f.target +
                          "); put them in the proxy URL, http://USER:PASSWORD@host:port";
  } else if (f.connect_code >= 500) {
    v.message = who + " answered " + status + " to CONNECT " + f.target +
                ": it could not reach the target (refused, unreachable, unresolvable or silent: "
                "an HTTP proxy's status does not say which)";
  } else {
    v.message = who + " answered " + status + " to CONNECT " + f.target +
                ": it will not tunnel to the target (its rules may not allow this port)";
  }
  return v;
}

// What a SOCKS5 proxy said it found at the target: the target's failure, phase connect.
std::optional<Verdict> socks_target_failure(const ProxyFailure& f) {
  Verdict v;
  v.phase = Phase::connect;
  const std::string reached = "the SOCKS proxy " + f.proxy + " ";
  switch (f.proxy_error) {
    case CURLPX_REPLY_CONNECTION_REFUSED:
      v.cls = FailureClass::refused;
      v.message = reached + "reached the target's host, which refused the connection to " +
                  f.target + ": nothing accepts connections on that port";
      return v;
    case CURLPX_REPLY_HOST_UNREACHABLE:
    case CURLPX_REPLY_NETWORK_UNREACHABLE:
      v.cls = FailureClass::unreachable;
      v.message = reached + "has no route to " + f.target +
                  (f.scheme == ProxyScheme::socks5h
                       ? " (with socks5h a name the proxy cannot resolve reads the same)"
                       : "");
      return v;
    case CURLPX_REPLY_TTL_EXPIRED:
      v.cls = FailureClass::timeout;
      v.message = reached + "got no answer from " + f.target + " (TTL expired)";
      return v;
    default:
      return std::nullopt;
  }
}

// A SOCKS5 failure that is the proxy's own: its refusal, or a reply that is not SOCKS5.
std::optional<Verdict> socks_proxy_failure(const ProxyFailure& f) {
  Verdict v;
  v.phase = Phase::proxy;
  const std::string who = "the SOCKS proxy " + f.proxy;
  switch (f.proxy_error) {
    case CURLPX_REPLY_NOT_ALLOWED:
      v.cls = FailureClass::refused;
      v.message = who + " refused to connect to " + f.target + ": its rules do not allow it";
      return v;
    case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
    case CURLPX_REPLY_COMMAND_NOT_SUPPORTED:
    case CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED:
      v.cls = FailureClass::refused;
      v.message = who + " refused to connect to " + f.target + ": " + f.library_error;
      return v;
    case CURLPX_NO_AUTH:
    case CURLPX_USER_REJECTED:
    case CURLPX_REQUEST_FAILED:
      v.cls = FailureClass::refused;
      v.message = f.has_credentials ? who + " rejected the credentials in its URL"
                                    : who + " demands credentials; put them in the proxy URL";
      return v;
    case CURLPX_BAD_VERSION:
    case CURLPX_BAD_ADDRESS_TYPE:
    case CURLPX_REPLY_UNASSIGNED:
    case CURLPX_UNKNOWN_MODE:
      v.cls = FailureClass::http;
      v.detail = Detail::malformed;
      v.message = "the reply of " + the_proxy(f) + " is not SOCKS5: " + f.library_error;
      return v;
    default:
      return std::nullopt;
  }
}

// The exchange with a reachable proxy ended without a tunnel and without an answer to go by.
Verdict proxy_exchange_failure(const ProxyFailure& f) {
  Verdict v;
  v.phase = Phase::proxy;
  const std::string who = the_proxy(f);
  if (f.curl_code == CURLE_OPERATION_TIMEDOUT) {
    v.cls = FailureClass::timeout;
    v.message = "no tunnel from " + who + " to " + f.target + " within " +
                std::to_string(f.elapsed_ms) +
                " ms: the proxy accepted the connection but did not answer (it answers only "
                "once it has reached the target, or given up)";
  } else if (f.socket.end == SocketEnd::peer_reset) {
    v.cls = FailureClass::reset;
    v.message = who + " reset the connection before it had reached " + f.target;
  } else if (f.socket.end == SocketEnd::peer_closed || f.curl_code == CURLE_GOT_NOTHING ||
             f.proxy_error == CURLPX_CLOSED) {
    v.cls = FailureClass::closed;
    v.message = who + " closed the connection before it had reached " + f.target;
  } else {
    v.cls = FailureClass::http;
    v.detail = Detail::malformed;
    v.message = "the reply of " + who + " to the request for " + f.target +
                " is not what a proxy answers: " + f.library_error;
  }
  return v;
}

}  // namespace

Verdict classify_proxy_failure(const ProxyFailure& f) {
  if (!f.socket_opened && f.socket_errno != 0) {
    Verdict v = classify_connect_errno(f.socket_errno, f.address);
    return in_proxy_phase(v, v.message + " (to reach " + the_proxy(f) + ")");
  }
  // A status read from the proxy means it was reached, whatever the transfer's code says.
  if (f.connect_code >= 300 || (f.connect_code > 0 && f.connect_code < 200)) {
    return connect_status_failure(f);
  }
  if (auto v = proxy_connect_failure(f)) return *v;
  if (f.scheme == ProxyScheme::https && !f.tls.handshake_done) return proxy_tls_failure(f);
  if (f.curl_code == CURLE_PROXY) {
    if (auto v = socks_target_failure(f)) return *v;
    if (auto v = socks_proxy_failure(f)) return *v;
  }
  return proxy_exchange_failure(f);
}

}  // namespace faultline
