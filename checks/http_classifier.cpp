#include "checks/http_classifier.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <cstring>

#include "checks/connect_classifier.hpp"
#include "checks/probe_result.hpp"

namespace faultline {
namespace {

Phase phase_of(const HttpExchangeEnd& e) {
  if (!e.request_sent || e.curl_code == CURLE_SEND_ERROR) return Phase::request;
  return e.headers_done ? Phase::body : Phase::response;
}

std::string phase_words(Phase p) {
  switch (p) {
    case Phase::request:
      return "while sending the request";
    case Phase::response:
      return "before the response headers were complete";
    case Phase::body:
      return "while reading the response body";
    default:
      return "";
  }
}

bool is_malformed_reply(int code) {
  switch (code) {
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // HTTP/0.9 or other non-HTTP bytes
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_FILESIZE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

// libcurl 7.88 refuses a response header line longer than CURL_MAX_HTTP_HEADER (100 KiB) and
// says CURLE_OUT_OF_MEMORY, without an error text; more than that many bytes received before
// the head was complete tells the two apart.
constexpr std::uint64_t kCurlMaxHeaderLine = 100 * 1024;

bool head_too_large(const HttpExchangeEnd& e) {
  return e.curl_code == CURLE_OUT_OF_MEMORY && !e.headers_done &&
         e.socket.bytes_received > kCurlMaxHeaderLine;
}

bool is_local_code(int code) {
  switch (code) {
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return true;
    default:
      return false;
  }
}

// The verdict on an exchange that ran to its end (or to the body limit): only the status line
// and the expected codes are left to judge.
Verdict classify_finished_exchange(const HttpExchangeEnd& e) {
  Verdict v;
  v.http_status = e.http_status;
  if (e.http_status < 100) {
    // No status line we could read: "http/0" would be no answer at all.
    v.cls = FailureClass::http;
    v.phase = Phase::response;
    v.detail = Detail::malformed;
    v.message = "the reply from " + e.address + " has no valid status line";
    return v;
  }
  if (e.expect.contains(e.http_status)) {
    v.message = "HTTP " + std::to_string(e.http_status);
    return v;
  }
  v.cls = FailureClass::http;
  v.phase = Phase::response;
  v.detail = Detail::http_status;
  v.message = "HTTP " + std::to_string(e.http_status) + " from " + e.address + ", expected " +
              e.expect.to_string();
  return v;
}

}  // namespace

Verdict classify_http_exchange(const HttpExchangeEnd& e) {
  const bool finished =
      e.curl_code == CURLE_OK || (e.curl_code == CURLE_WRITE_ERROR && e.body_limit_hit);
  if (finished) return classify_finished_exchange(e);

  Verdict v;
  v.http_status = e.http_status;
  v.phase = phase_of(e);
  const std::string when = phase_words(v.phase);
  if (head_too_large(e)) {
    v.cls = FailureClass::http;
    v.detail = Detail::malformed;
    v.message = "the response head from " + e.address +
                " is too large: a header line over 100 KiB, which no HTTP server sends";
    return v;
  }
  if (is_local_code(e.curl_code)) {
    v.cls = FailureClass::local;
    v.message = "this host failed the probe itself: " + e.library_error;
    return v;
  }
  if (e.curl_code == CURLE_OPERATION_TIMEDOUT) {
    v.cls = FailureClass::timeout;
    v.message = "deadline reached " + when + " from " + e.address + " (" +
                std::to_string(e.elapsed_ms) + " ms after the request started)";
    return v;
  }
  if (is_malformed_reply(e.curl_code) || e.tls_records_rejected) {
    v.cls = FailureClass::http;
    v.detail = Detail::malformed;
    v.message = e.tls_records_rejected && !is_malformed_reply(e.curl_code)
                    ? "the reply from " + e.address + " is not valid TLS after the handshake"
                    : "the reply from " + e.address + " is not valid HTTP";
    if (!e.library_error.empty()) v.message += ": " + e.library_error;
    return v;
  }
  const bool reset =
      e.socket.end == SocketEnd::peer_reset || e.os_errno == ECONNRESET || e.os_errno == EPIPE;
  if (reset) {
    v.cls = FailureClass::reset;
    v.sys_errno = e.os_errno == EPIPE ? EPIPE : ECONNRESET;
    v.message = "connection reset by " + e.address + " " + when;
    return v;
  }
  if (e.os_errno != 0 && e.os_errno != EAGAIN) {
    Verdict c = classify_connect_errno(e.os_errno, e.address);
    c.phase = v.phase;
    c.message =
        e.address + ": " + std::strerror(e.os_errno) + " (" + errno_name(e.os_errno) + ") " + when;
    return c;
  }
  const bool closed = e.curl_code == CURLE_GOT_NOTHING || e.curl_code == CURLE_PARTIAL_FILE ||
                      e.socket.end == SocketEnd::peer_closed;
  if (closed) {
    v.cls = FailureClass::closed;
    v.message = e.address + " closed the connection " + when;
    return v;
  }
  v.cls = FailureClass::http;
  v.detail = Detail::malformed;
  v.message = "the reply from " + e.address + " is not valid HTTP";
  if (!e.library_error.empty()) v.message += ": " + e.library_error;
  return v;
}

}  // namespace faultline
