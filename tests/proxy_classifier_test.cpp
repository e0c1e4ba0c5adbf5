// The proxy URL parser and the proxy layer's classifier, fed facts directly: the SOCKS5 replies
// and socket ends that the loopback proxies of proxy_probe_test.cpp cannot all produce.
#include "checks/proxy_classifier.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "checks/proxy_url.hpp"

using namespace faultline;

namespace {

ProxyFailure failure(ProxyScheme scheme = ProxyScheme::socks5) {
  ProxyFailure f;
  f.scheme = scheme;
  f.proxy = std::string(to_string(scheme)) + "://proxy.example:1080";
  f.address = "192.0.2.8:1080";
  f.host = "proxy.example";
  f.target = "api.example:443";
  f.socket_opened = true;
  f.socket.end = SocketEnd::open;
  f.elapsed_ms = 12;
  return f;
}

std::string verdict(const Verdict& v) {
  return std::string(to_string(v.cls)) + "/" + std::string(to_string(v.phase));
}

}  // namespace

TEST_CASE("proxy_url: schemes, credentials and what is refused") {
  auto p = parse_proxy_url("socks5h://user:p%40ss@[::1]:1080");
  REQUIRE(p);
  CHECK(p->scheme == ProxyScheme::socks5h);
  CHECK(p->host == "::1");
  CHECK(p->host_is_ip);
  CHECK(p->port == 1080);
  CHECK(p->username == "user");
  CHECK(p->password == "p@ss");
  CHECK(p->text == "socks5h://[::1]:1080");
  CHECK(p->resolves_target_name());
  CHECK_FALSE(parse_proxy_url("socks5://h:1")->resolves_target_name());

  for (const char* bad : {"ftp://proxy:21", "proxy:3128", "http://proxy", "http://proxy:3128/x",
                          "http://proxy:3128?a=1", "http://proxy:0", "http://:3128",
                          "http://pro xy:3128", "http://proxy:99999"}) {
    auto r = parse_proxy_url(bad);
    CHECK_MESSAGE(!r, bad);
  }
  // Errors show the URL without its credentials.
  auto r = parse_proxy_url("http://admin:hunter2@proxy");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("hunter2") == std::string::npos);
  CHECK(r.error().find("***@proxy") != std::string::npos);
  CHECK(redact_proxy_url("admin:hunter2@proxy:3128") == "***@proxy:3128");
}

TEST_CASE("proxy classifier: the TCP connection to the proxy") {
  ProxyFailure f = failure(ProxyScheme::http);
  f.curl_code = CURLE_COULDNT_CONNECT;
  f.os_errno = ECONNREFUSED;
  f.socket.end = SocketEnd::connecting;
  Verdict v = classify_proxy_failure(f);
  CHECK(verdict(v) == "refused/proxy");
  CHECK(v.message.find("the target was not tried") != std::string::npos);

  f.os_errno = EHOSTUNREACH;
  CHECK(verdict(classify_proxy_failure(f)) == "unreachable/proxy");

  f.curl_code = CURLE_OPERATION_TIMEDOUT;
  f.os_errno = 0;
  v = classify_proxy_failure(f);
  CHECK(verdict(v) == "timeout/proxy");
  CHECK(v.message.find("TCP handshake") != std::string::npos);

  f = failure(ProxyScheme::http);
  f.socket_opened = false;
  f.socket_errno = EMFILE;
  CHECK(verdict(classify_proxy_failure(f)) == "local/proxy");
}

TEST_CASE("proxy classifier: what a SOCKS5 proxy says of the target is the target's") {
  ProxyFailure f = failure();
  f.curl_code = CURLE_PROXY;
  struct Case {
    CURLproxycode code;
    const char* want;
  };
  for (Case c : {Case{CURLPX_REPLY_CONNECTION_REFUSED, "refused/connect"},
                 Case{CURLPX_REPLY_HOST_UNREACHABLE, "unreachable/connect"},
                 Case{CURLPX_REPLY_NETWORK_UNREACHABLE, "unreachable/connect"},
                 Case{CURLPX_REPLY_TTL_EXPIRED, "timeout/connect"},
                 Case{CURLPX_REPLY_NOT_ALLOWED, "refused/proxy"},
                 Case{CURLPX_REPLY_GENERAL_SERVER_FAILURE, "refused/proxy"},
                 Case{CURLPX_NO_AUTH, "refused/proxy"}, Case{CURLPX_USER_REJECTED, "refused/proxy"},
                 Case{CURLPX_BAD_VERSION, "http/proxy"}}) {
    f.proxy_error = c.code;
    const Verdict v = classify_proxy_failure(f);
    CHECK_MESSAGE(verdict(v) == c.want, "CURLproxycode " << c.code << ": " << v.message);
  }
  f.proxy_error = CURLPX_CLOSED;
  f.socket.end = SocketEnd::peer_closed;
  CHECK(verdict(classify_proxy_failure(f)) == "closed/proxy");
}

TEST_CASE("proxy classifier: an HTTP proxy's status to CONNECT") {
  ProxyFailure f = failure(ProxyScheme::http);
  f.curl_code = CURLE_RECV_ERROR;  // what libcurl 7.88 returns for a CONNECT not answered 2xx
  for (long status : {403L, 407L, 502L, 503L}) {
    f.connect_code = status;
    const Verdict v = classify_proxy_failure(f);
    CHECK(verdict(v) == "http/proxy");
    CHECK(v.detail == Detail::http_status);
    CHECK(v.http_status == status);
  }
  f.has_credentials = true;
  f.connect_code = 407;
  CHECK(classify_proxy_failure(f).message.find("rejected the credentials") != std::string::npos);
}
