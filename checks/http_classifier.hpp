// HTTP layer: classifies how the request/response exchange over an established (and, for
// https, TLS-protected) connection ended.
#pragma once

#include <string>

#include "checks/socket_state.hpp"
#include "checks/status_set.hpp"
#include "checks/verdict.hpp"

namespace faultline {

struct HttpExchangeEnd {
  int curl_code = 0;      // CURLcode of the transfer
  int os_errno = 0;       // CURLINFO_OS_ERRNO (a fresh handle, so never stale)
  SocketSnapshot socket;  // the connection when it was given up
  bool request_sent = false;
  bool headers_done = false;    // the final response's header block was complete
  bool body_limit_hit = false;  // we stopped reading at the body cap: not a failure
  // After the TLS handshake we sent an alert: the server's bytes were not valid TLS records.
  bool tls_records_rejected = false;
  int http_status = 0;
  StatusSet expect;
  std::string address;
  long long elapsed_ms = 0;   // since the request started
  std::string library_error;  // libcurl's words, for the message only
};

// The phase is `request` until the request was handed to the kernel, `response` until the
// final header block is complete, then `body`. An RST gives reset, a FIN before the response
// is complete gives closed, the deadline gives timeout, a reply that is not HTTP gives
// http/malformed, and a status outside `expect` gives http/<code>. A reply libcurl rejected as
// not HTTP (or, over TLS, as not TLS) is http/malformed even when the connection was then reset
// or closed: what the server said decides, not how the socket ended afterwards. A response
// head beyond libcurl's limits (a header line over 100 KiB, 300 KiB of headers) is
// http/malformed too, never `local`, although libcurl reports the former as out of memory.
Verdict classify_http_exchange(const HttpExchangeEnd& e);

}  // namespace faultline
