// Probes through a proxy (`proxy:`), against real proxies on loopback (tests/support/test_proxy):
// HTTP CONNECT, HTTP over TLS and SOCKS5, each alive, refusing, silent, resetting, demanding
// credentials and answering 502. The point of each case: a dead or misbehaving proxy is the
// proxy's failure (phase proxy), never the target's, and what the proxy says of the target is
// the target's.
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "checks/proxy_url.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
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

// Names come from a fake DNS server inside a network namespace of the test's own, never from
// this host's resolver or /etc/hosts (a fresh machine may have none).
namespace {

int expect(const std::string& what, const ProbeResult& r, FailureClass cls, Phase phase) {
  if (r.cls == cls && r.phase == phase) return 0;
  std::printf("%s: got %s/%s/%s: %s\n", what.c_str(), std::string(to_string(r.cls)).c_str(),
              std::string(to_string(r.phase)).c_str(), detail_text(r).c_str(), r.message.c_str());
  return 1;
}

int expect_true(const std::string& what, bool holds) {
  if (!holds) std::printf("%s: does not hold\n", what.c_str());
  return holds ? 0 : 1;
}

void in_namespace_with_names(const std::function<int(FakeDnsServer&)>& body) {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: dns\n";
  NetnsResult result = run_in_netns(
      [&] {
        FakeDnsServer dns("127.0.0.1", 53);
        return body(dns);
      },
      options);
  if (result.status == NetnsStatus::skipped) skip_test(result.reason);
  CHECK_MESSAGE(result.ok(), result.describe());
}

}  // namespace

TEST_CASE("proxy: the proxy's name is resolved and blamed on the proxy") {
  in_namespace_with_names([](FakeDnsServer& dns) {
    dns.a("proxy.test", "127.0.0.1");
    LoopbackServer web(Behavior::http_ok);
    TestProxy proxy({});
    int failures = 0;
    ProbeResult r =
        probe_once(through(web.url("http"), "http://proxy.test:" + std::to_string(proxy.port())));
    failures += expect("proxy by name", r, FailureClass::ok, Phase::none);
    failures += expect_true("the proxy's addresses are kept",
                            r.proxy && r.proxy->resolved == std::vector<std::string>{"127.0.0.1"});
    failures += expect_true("one tunnel", proxy.tunnels() == 1);

    // Nothing listens on the proxy's port at its address.
    const std::uint16_t dead = closed_port();
    r = probe_once(through(web.url("http"), "http://proxy.test:" + std::to_string(dead)));
    failures += expect("proxy refusing", r, FailureClass::refused, Phase::proxy);

    // The proxy's name does not exist: dns, in phase proxy, before any hop has started.
    r = probe_once(through(web.url("http"), "socks5h://missing.test:1080"));
    failures += expect("proxy name missing", r, FailureClass::dns, Phase::proxy);
    failures += expect_true("named in the message",
                            contains(r.message, "the proxy socks5h://missing.test:1080"));
    failures += expect_true("the target was not tried", web.connections() == 1);
    return failures;
  });
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
  in_namespace_with_names([](FakeDnsServer& dns) {
    dns.a("web.test", "127.0.0.1");
    LoopbackServer web(Behavior::http_ok);
    TestProxy proxy({.kind = ProxyKind::socks5});
    const std::string port = std::to_string(web.port());
    int failures = 0;

    // socks5: this host resolves the name and hands the proxy an address.
    ProbeResult r = probe_once(through("http://web.test:" + port + "/", proxy.url("socks5")));
    failures += expect("socks5", r, FailureClass::ok, Phase::none);
    failures +=
        expect_true("socks5 asks for the address", proxy.last_target() == "127.0.0.1:" + port);
    failures += expect_true("this host resolved it",
                            r.proxy && !r.proxy->resolves_target && !r.resolved.empty());

    // socks5h: the proxy gets the name.
    r = probe_once(through("http://web.test:" + port + "/", proxy.url("socks5h")));
    failures += expect("socks5h", r, FailureClass::ok, Phase::none);
    failures += expect_true("socks5h asks for the name", proxy.last_target() == "web.test:" + port);
    failures += expect_true("this host resolved nothing", r.resolved.empty());

    // The proxy reached the target's host, which refused: the target's failure, phase connect.
    const std::uint16_t dead = closed_port();
    r = probe_once(through("tcp://127.0.0.1:" + std::to_string(dead), proxy.url("socks5")));
    failures += expect("target refused", r, FailureClass::refused, Phase::connect);
    failures += expect_true("says the SOCKS proxy reached it", contains(r.message, "SOCKS proxy"));
    return failures;
  });
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
