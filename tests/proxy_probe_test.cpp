// Probes through a proxy (`proxy:`), against real proxies on loopback (tests/support/test_proxy):
// HTTP CONNECT, HTTP over TLS and SOCKS5, each alive, refusing, silent, resetting, demanding
// credentials and answering 502. The point of each case: a dead or misbehaving proxy is the
// proxy's failure (phase proxy), never the target's, and what the proxy says of the target is
// the target's.
#include <doctest/doctest.h>

#include <string>

#include "checks/proxy_url.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/test_proxy.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::chrono::milliseconds kTimeout{3000};

std::shared_ptr<ProbeSpec> through(const std::string& target, const std::string& proxy) {
  auto spec = probe_spec_for(target, kTimeout);
  auto parsed = parse_proxy_url(proxy);
  REQUIRE_MESSAGE(parsed, proxy);
  spec->proxy = *parsed;
  return spec;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("proxy: an HTTP proxy tunnels http, https and tcp targets with CONNECT") {
  LoopbackServer web(Behavior::http_ok);
  LoopbackServerOptions tls_options;
  tls_options.behavior = Behavior::tls_http_ok;
  tls_options.tls = shared_test_pki().good.material();
  LoopbackServer secure(tls_options);
  TestProxy proxy({});

  ProbeResult r = probe(through(web.url("http", "/health"), proxy.url("http")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.http_status == 200);
  REQUIRE(r.proxy);
  CHECK(r.proxy->connect_status == 200);
  CHECK(r.proxy->tunnel_up);
  CHECK(r.proxy->address == "127.0.0.1:" + std::to_string(proxy.port()));
  CHECK(proxy.last_target() == web.authority());
  CHECK(web.last_request().rfind("GET /health HTTP/1.1", 0) == 0);

  auto https = through(secure.url("https"), proxy.url("http"));
  https->ca_file = shared_test_pki().ca_path;
  r = probe(https);
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.tls);  // the target's certificate, seen through the tunnel

  r = probe(through("tcp://" + web.authority(), proxy.url("http")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(proxy.tunnels() == 3);
}

TEST_CASE("proxy: the proxy's name is resolved and blamed on the proxy") {
  LoopbackServer web(Behavior::http_ok);
  TestProxy proxy({});
  ProbeResult r =
      probe(through(web.url("http"), "http://localhost:" + std::to_string(proxy.port())));
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.proxy);
  CHECK_FALSE(r.proxy->resolved.empty());
  CHECK(proxy.tunnels() == 1);

  // Nothing listens on the proxy's port at any of localhost's addresses.
  const std::uint16_t dead = closed_port();
  r = probe(through(web.url("http"), "http://localhost:" + std::to_string(dead)));
  check_class(r, FailureClass::refused, Phase::proxy);
  CHECK(contains(r.message, "the proxy http://localhost:" + std::to_string(dead)));
  CHECK(web.connections() == 1);
}

TEST_CASE("proxy: a dead, silent or resetting proxy is never the target's failure") {
  LoopbackServer web(Behavior::http_ok);
  SUBCASE("refusing") {
    const std::uint16_t dead = closed_port();
    ProbeResult r = probe(through(web.url("http"), "http://127.0.0.1:" + std::to_string(dead)));
    check_class(r, FailureClass::refused, Phase::proxy);
    CHECK(contains(r.message, "proxy"));
    CHECK(contains(r.message, "the target was not tried"));
  }
  SUBCASE("silent") {
    TestProxy proxy({.fault = ProxyFault::silent});
    auto spec = through(web.url("http"), proxy.url("http"));
    spec->timeout = std::chrono::milliseconds(700);
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::timeout, Phase::proxy);
    CHECK(contains(r.message, "did not answer"));
  }
  SUBCASE("resetting") {
    TestProxy proxy({.fault = ProxyFault::reset_at_once});
    ProbeResult r = probe(through(web.url("http"), proxy.url("http")));
    check_class(r, FailureClass::reset, Phase::proxy);
  }
  SUBCASE("a web server, not a proxy") {
    TestProxy proxy({.fault = ProxyFault::not_a_proxy});
    ProbeResult r = probe(through(web.url("http"), proxy.url("http")));
    check_class(r, FailureClass::http, Phase::proxy, "400");
  }
  CHECK(web.connections() == 0);
}

TEST_CASE("proxy: an HTTP proxy's 502 and 407 are its own answers, in phase proxy") {
  LoopbackServer web(Behavior::http_ok);
  SUBCASE("it answers 502 whatever is asked") {
    TestProxy proxy({.fault = ProxyFault::answer_status, .status = 502});
    ProbeResult r = probe(through(web.url("http"), proxy.url("http")));
    check_class(r, FailureClass::http, Phase::proxy, "502");
    CHECK(contains(r.message, "could not reach the target"));
    CHECK(web.connections() == 0);
  }
  SUBCASE("the target refuses the proxy, which answers 502") {
    TestProxy proxy({});
    const std::uint16_t dead = closed_port();
    ProbeResult r =
        probe(through("http://127.0.0.1:" + std::to_string(dead) + "/", proxy.url("http")));
    check_class(r, FailureClass::http, Phase::proxy, "502");
    CHECK(proxy.last_target() == "127.0.0.1:" + std::to_string(dead));
  }
  SUBCASE("credentials: none, wrong, right") {
    TestProxy proxy({.username = "probe", .password = "s3cret pass"});
    ProbeResult r = probe(through(web.url("http"), proxy.url("http")));
    check_class(r, FailureClass::http, Phase::proxy, "407");
    CHECK(contains(r.message, "demands credentials"));
    r = probe(through(web.url("http"), proxy.url("http", "probe:wrong")));
    check_class(r, FailureClass::http, Phase::proxy, "407");
    CHECK(contains(r.message, "rejected the credentials"));
    CHECK_FALSE(contains(r.message, "wrong"));
    r = probe(through(web.url("http"), proxy.url("http", "probe:s3cret%20pass")));
    check_class(r, FailureClass::ok, Phase::none);
    CHECK(web.connections() == 1);
  }
}

TEST_CASE("proxy: SOCKS5 tunnels, and reports the target's refusal as the target's") {
  LoopbackServer web(Behavior::http_ok);
  TestProxy proxy({.kind = ProxyKind::socks5});
  const std::string port = std::to_string(web.port());

  // socks5: this host resolves the name and hands the proxy an address.
  ProbeResult r = probe(through("http://localhost:" + port + "/", proxy.url("socks5")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK((proxy.last_target() == "127.0.0.1:" + port || proxy.last_target() == "[::1]:" + port));
  REQUIRE(r.proxy);
  CHECK_FALSE(r.proxy->resolves_target);
  CHECK_FALSE(r.resolved.empty());

  // socks5h: the proxy gets the name.
  r = probe(through("http://localhost:" + port + "/", proxy.url("socks5h")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(proxy.last_target() == "localhost:" + port);
  CHECK(r.resolved.empty());

  // The proxy reached the target's host, which refused: the target's failure, phase connect.
  const std::uint16_t dead = closed_port();
  r = probe(through("tcp://127.0.0.1:" + std::to_string(dead), proxy.url("socks5")));
  check_class(r, FailureClass::refused, Phase::connect);
  CHECK(contains(r.message, "SOCKS proxy"));
}

TEST_CASE("proxy: a SOCKS5 proxy that is dead or demands credentials") {
  LoopbackServer web(Behavior::http_ok);
  SUBCASE("refusing") {
    const std::uint16_t dead = closed_port();
    ProbeResult r = probe(through(web.url("http"), "socks5h://127.0.0.1:" + std::to_string(dead)));
    check_class(r, FailureClass::refused, Phase::proxy);
  }
  SUBCASE("credentials") {
    TestProxy proxy({.kind = ProxyKind::socks5, .username = "probe", .password = "pw"});
    ProbeResult r = probe(through(web.url("http"), proxy.url("socks5")));
    check_class(r, FailureClass::refused, Phase::proxy);
    CHECK(contains(r.message, "credentials"));
    r = probe(through(web.url("http"), proxy.url("socks5", "probe:pw")));
    check_class(r, FailureClass::ok, Phase::none);
  }
  SUBCASE("an HTTP server on the SOCKS port") {
    TestProxy proxy({.kind = ProxyKind::socks5, .fault = ProxyFault::not_a_proxy});
    ProbeResult r = probe(through(web.url("http"), proxy.url("socks5")));
    CHECK(r.phase == Phase::proxy);
    CHECK(r.cls != FailureClass::ok);
  }
}

TEST_CASE("proxy: an https proxy's own certificate is checked, and its failure is the proxy's") {
  LoopbackServer web(Behavior::http_ok);
  SUBCASE("trusted") {
    TestProxy proxy({.tls = shared_test_pki().good.material()});
    auto spec = through(web.url("http"), proxy.url("https"));
    spec->ca_file = shared_test_pki().ca_path;
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::ok, Phase::none);
    CHECK(proxy.tunnels() == 1);
  }
  SUBCASE("self-signed") {
    TestProxy proxy({.tls = shared_test_pki().self_signed.material()});
    auto spec = through(web.url("http"), proxy.url("https"));
    spec->ca_file = shared_test_pki().ca_path;
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::tls, Phase::proxy, "untrusted");
    CHECK(contains(r.message, "proxy"));
    CHECK(web.connections() == 0);
  }
}
