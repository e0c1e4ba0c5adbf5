// checks/http_classifier on the facts alone: how libcurl ended the exchange (CURLcode, the OS
// errno), how far it got (request sent, head complete), the socket's end as TCP_INFO saw it and
// the status against expect_status. hostile_servers_test and probe_engine_test show real servers
// produce these facts; this pins each branch, including which evidence wins when several agree.
#include "checks/http_classifier.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "tests/verdict_text.hpp"

using namespace faultline;
using faultline::testing::triple;

namespace {

// An exchange that got as far as `phase` ("request" not yet sent, "response" waiting for the
// head, "body" reading it) on a connection that is still open.
HttpExchangeEnd exchange_in(const std::string& phase) {
  HttpExchangeEnd e;
  e.address = "192.0.2.1:80";
  e.elapsed_ms = 700;
  e.socket.end = SocketEnd::open;
  e.request_sent = phase != "request";
  e.headers_done = phase == "body";
  if (e.headers_done) e.http_status = 200;
  return e;
}

HttpExchangeEnd finished_with(int status) {
  HttpExchangeEnd e = exchange_in("body");
  e.curl_code = CURLE_OK;
  e.http_status = status;
  return e;
}

bool mentions(const Verdict& v, const std::string& words) {
  return v.message.find(words) != std::string::npos;
}

}  // namespace

TEST_CASE("http classifier: a status inside expect_status is ok, outside it http/<code>") {
  const Verdict ok = classify_http_exchange(finished_with(204));
  CHECK(triple(ok) == "ok//");
  CHECK(ok.http_status == 204);
  CHECK(ok.message == "HTTP 204");
  // The default accepts 2xx and 3xx: redirects are answers, never followed.
  CHECK(triple(classify_http_exchange(finished_with(301))) == "ok//");

  const Verdict down = classify_http_exchange(finished_with(503));
  CHECK(triple(down) == "http/response/503");
  CHECK(down.message == "HTTP 503 from 192.0.2.1:80, expected 200-399");

  HttpExchangeEnd strict = finished_with(301);
  strict.expect = *parse_status_list("200,204");
  CHECK(triple(classify_http_exchange(strict)) == "http/response/301");
  strict.http_status = 204;
  CHECK(triple(classify_http_exchange(strict)) == "ok//");
}

TEST_CASE("http classifier: a body cut at our own limit is a finished exchange") {
  HttpExchangeEnd e = finished_with(200);
  e.curl_code = CURLE_WRITE_ERROR;
  e.body_limit_hit = true;
  CHECK(triple(classify_http_exchange(e)) == "ok//");
  e.http_status = 500;
  CHECK(triple(classify_http_exchange(e)) == "http/response/500");
}

TEST_CASE("http classifier: a finished exchange without a status line is http/malformed") {
  for (const int status : {0, 42, 99}) {
    CAPTURE(status);
    const Verdict v = classify_http_exchange(finished_with(status));
    CHECK(triple(v) == "http/response/malformed");
    CHECK(mentions(v, "no valid status line"));
  }
}

TEST_CASE("http classifier: the deadline is a timeout in the phase it struck") {
  for (const std::string phase : {"request", "response", "body"}) {
    CAPTURE(phase);
    HttpExchangeEnd e = exchange_in(phase);
    e.curl_code = CURLE_OPERATION_TIMEDOUT;
    e.socket.end = SocketEnd::peer_reset;  // the deadline decides, whatever the socket did next
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "timeout/" + phase + "/");
    CHECK(mentions(v, "deadline reached"));
    CHECK(mentions(v, "(700 ms after the request started)"));
  }
  HttpExchangeEnd e = exchange_in("response");
  e.curl_code = CURLE_OPERATION_TIMEDOUT;
  CHECK(mentions(classify_http_exchange(e), "before the response headers were complete"));
  e = exchange_in("body");
  e.curl_code = CURLE_OPERATION_TIMEDOUT;
  CHECK(mentions(classify_http_exchange(e), "while reading the response body"));
}

TEST_CASE("http classifier: a failed send is the request phase even after bytes went out") {
  HttpExchangeEnd e = exchange_in("response");
  e.curl_code = CURLE_SEND_ERROR;
  e.os_errno = EPIPE;
  const Verdict v = classify_http_exchange(e);
  CHECK(triple(v) == "reset/request/");
  CHECK(v.sys_errno == EPIPE);
  CHECK(mentions(v, "while sending the request"));
}

TEST_CASE("http classifier: an RST is reset, told by the socket or by the errno") {
  SUBCASE("TCP_INFO saw the reset") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_RECV_ERROR;
    e.socket.end = SocketEnd::peer_reset;
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "reset/response/");
    CHECK(v.sys_errno == ECONNRESET);
    CHECK(v.message ==
          "connection reset by 192.0.2.1:80 before the response headers were complete");
  }
  SUBCASE("only the errno says so") {
    HttpExchangeEnd e = exchange_in("body");
    e.curl_code = CURLE_RECV_ERROR;
    e.socket.end = SocketEnd::unknown;
    e.os_errno = ECONNRESET;
    CHECK(triple(classify_http_exchange(e)) == "reset/body/");
  }
  SUBCASE("a reset beats the FIN-like codes") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_GOT_NOTHING;
    e.socket.end = SocketEnd::peer_reset;
    CHECK(triple(classify_http_exchange(e)) == "reset/response/");
  }
}

TEST_CASE("http classifier: a FIN before the response was complete is closed") {
  SUBCASE("nothing at all came back") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_GOT_NOTHING;
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "closed/response/");
    CHECK(v.message ==
          "192.0.2.1:80 closed the connection before the response headers were complete");
  }
  SUBCASE("the body was cut short") {
    HttpExchangeEnd e = exchange_in("body");
    e.curl_code = CURLE_PARTIAL_FILE;
    CHECK(triple(classify_http_exchange(e)) == "closed/body/");
  }
  SUBCASE("TCP_INFO saw the FIN, libcurl only a receive error") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_RECV_ERROR;
    e.socket.end = SocketEnd::peer_closed;
    CHECK(triple(classify_http_exchange(e)) == "closed/response/");
  }
}

TEST_CASE("http classifier: a reply that is not HTTP is http/malformed, whatever followed") {
  for (const CURLcode code :
       {CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING,
        CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_FILESIZE_EXCEEDED}) {
    CAPTURE(static_cast<int>(code));
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = code;
    e.socket.end = SocketEnd::peer_closed;
    e.library_error = "the library's words";
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "http/response/malformed");
    CHECK(v.message == "the reply from 192.0.2.1:80 is not valid HTTP: the library's words");
  }
}

TEST_CASE("http classifier: bytes that are not TLS records after the handshake are malformed") {
  HttpExchangeEnd e = exchange_in("response");
  e.curl_code = CURLE_RECV_ERROR;
  e.tls_records_rejected = true;
  e.socket.end = SocketEnd::peer_closed;
  const Verdict v = classify_http_exchange(e);
  CHECK(triple(v) == "http/response/malformed");
  CHECK(mentions(v, "is not valid TLS after the handshake"));
}

TEST_CASE("http classifier: a head over libcurl's 100 KiB line limit is malformed, not local") {
  HttpExchangeEnd e = exchange_in("response");
  e.curl_code = CURLE_OUT_OF_MEMORY;
  e.socket.bytes_received = 100 * 1024 + 1;
  const Verdict v = classify_http_exchange(e);
  CHECK(triple(v) == "http/response/malformed");
  CHECK(mentions(v, "too large"));
  // At the limit or below, or once the head was complete, out of memory is this host's.
  e.socket.bytes_received = 100 * 1024;
  CHECK(triple(classify_http_exchange(e)) == "local/response/");
  e = exchange_in("body");
  e.curl_code = CURLE_OUT_OF_MEMORY;
  e.socket.bytes_received = 1024 * 1024;
  CHECK(triple(classify_http_exchange(e)) == "local/body/");
}

TEST_CASE("http classifier: libcurl failing on this host is local, in its words") {
  for (const CURLcode code : {CURLE_OUT_OF_MEMORY, CURLE_FAILED_INIT, CURLE_BAD_FUNCTION_ARGUMENT,
                              CURLE_UNKNOWN_OPTION, CURLE_NOT_BUILT_IN}) {
    CAPTURE(static_cast<int>(code));
    HttpExchangeEnd e = exchange_in("request");
    e.curl_code = code;
    e.library_error = "curl said so";
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "local/request/");
    CHECK(v.message == "this host failed the probe itself: curl said so");
  }
}

TEST_CASE("http classifier: another errno mid-exchange is classified like a connect's") {
  SUBCASE("ICMP unreachable after the connection was up") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_RECV_ERROR;
    e.os_errno = EHOSTUNREACH;
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "unreachable/response/");
    CHECK(v.sys_errno == EHOSTUNREACH);
    CHECK(mentions(v, "192.0.2.1:80: "));
    CHECK(mentions(v, "(EHOSTUNREACH) before the response headers were complete"));
  }
  SUBCASE("this host out of buffers") {
    HttpExchangeEnd e = exchange_in("request");
    e.curl_code = CURLE_SEND_ERROR;
    e.os_errno = ENOBUFS;
    CHECK(triple(classify_http_exchange(e)) == "local/request/");
  }
  SUBCASE("EAGAIN is no evidence: a receive error on an open socket is not HTTP") {
    HttpExchangeEnd e = exchange_in("response");
    e.curl_code = CURLE_RECV_ERROR;
    e.os_errno = EAGAIN;
    e.library_error = "recv failure";
    const Verdict v = classify_http_exchange(e);
    CHECK(triple(v) == "http/response/malformed");
    CHECK(v.message == "the reply from 192.0.2.1:80 is not valid HTTP: recv failure");
  }
}
