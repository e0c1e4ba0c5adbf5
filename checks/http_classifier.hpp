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
  int http_status = 0;
  StatusSet expect;
  std::string address;
  long long elapsed_ms = 0;   // since the request started
  std::string library_error;  // libcurl's words, for the message only
};

// The phase is `request` until the request was handed to the kernel, `response` until the
// final header block is complete, then `body`. An RST gives reset, a FIN before the response
// is complete gives closed, the deadline gives timeout, a reply that is not HTTP gives
// http/malformed, and a status outside `expect` gives http/<code>.
Verdict classify_http_exchange(const HttpExchangeEnd& e);

}  // namespace faultline
