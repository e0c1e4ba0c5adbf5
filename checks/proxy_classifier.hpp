// Proxy layer: classifies an attempt through a proxy (`proxy:`) that ended before the proxy had
// connected it to the target. A dead, unreachable or misbehaving proxy is the proxy's failure,
// in phase `proxy`, never the target's; only what the proxy reports about the target itself
// (a SOCKS5 "connection refused", "host unreachable", "TTL expired") is the target's, in phase
// `connect`, and the message says that the proxy reached it.
#pragma once

#include <string>

#include "checks/proxy_url.hpp"
#include "checks/socket_state.hpp"
#include "checks/tls_observer.hpp"
#include "checks/verdict.hpp"

namespace faultline {

struct ProxyFailure {
  ProxyScheme scheme = ProxyScheme::http;
  std::string proxy;             // the proxy URL without credentials: "http://proxy.example:3128"
  std::string address;           // the proxy's address connected to: "192.0.2.8:3128"
  std::string host;              // the proxy's host, as its certificate must name it
  std::string target;            // what the proxy was asked to reach: "api.example:443"
  bool has_credentials = false;  // the proxy URL carries a user name or password
  int curl_code = 0;             // CURLcode of the transfer
  int os_errno = 0;              // CURLINFO_OS_ERRNO
  int socket_errno = 0;          // errno of a failed socket() call
  bool socket_opened = false;
  SocketSnapshot socket;  // the connection to the proxy when it was given up
  TlsFacts tls;           // an https:// proxy's own TLS session
  long connect_code = 0;  // an HTTP proxy's answer to CONNECT; 0 when none was read
  long proxy_error = 0;   // CURLINFO_PROXY_ERROR (a CURLproxycode) for SOCKS
  bool verify_enabled = true;
  long long elapsed_ms = 0;   // since the attempt started
  long long now_unix = 0;     // for certificate dates
  std::string library_error;  // libcurl's words, for the message only
};

// In order: this host could not open a socket (local); an HTTP proxy answered CONNECT with a
// status other than 2xx (http/<code>: 407 wants credentials, 502 and its kind could not or
// would not reach the target, which a status does not say); the TCP connection to the proxy
// failed (refused, unreachable, timeout, local: as connect_classifier says, in phase proxy); an
// https:// proxy's TLS failed (tls/*, as tls_classifier says, in phase proxy); a SOCKS5
// proxy's reply (the target's refusal, unreachability or timeout in phase connect; the proxy's
// own refusal, its rules or its demand for credentials as refused/proxy; a reply that is not
// SOCKS5 as http/malformed); then the deadline, RST, FIN or anything else while talking to the
// proxy (timeout, reset, closed, http/malformed in phase proxy).
Verdict classify_proxy_failure(const ProxyFailure& f);

}  // namespace faultline
