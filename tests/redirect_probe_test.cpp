// follow_redirects against real loopback servers: every hop is resolved, connected and
// classified like any other connection, and a failure names its hop.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url, int follow = 5) {
  auto spec = probe_spec_for(url, milliseconds(3000));
  spec->follow_redirects = follow;
  return spec;
}

// A server answering every request with `status` and a Location of `to`.
LoopbackServerOptions redirecting(const std::string& to, int status = 302,
                                  const std::string& bind = "127.0.0.1") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_status;
  o.status = status;
  o.extra_headers = "Location: " + to + "\r\n";
  o.bind_address = bind;
  return o;
}

}  // namespace

TEST_CASE("redirects: a chain is followed hop by hop and each hop is listed") {
  LoopbackServer last(Behavior::http_ok);
  LoopbackServer middle(redirecting(last.url("http", "/final"), 301));
  LoopbackServer first(redirecting(middle.url("http", "/next"), 302));
  ProbeResult r = probe(spec_for(first.url("http", "/start")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.http_status == 200);
  REQUIRE(r.redirects.size() == 2);
  CHECK(r.redirects[0].url == first.url("http", "/start"));
  CHECK(r.redirects[0].status == 302);
  CHECK(r.redirects[1].url == middle.url("http", "/next"));
  CHECK(r.redirects[1].status == 301);
  CHECK(r.redirects[0].total_ms.has_value());
  CHECK(r.final_url == last.url("http", "/final"));
  CHECK(r.remote_addr == last.authority());
  CHECK(r.message == "HTTP 200 after 2 redirects, at " + last.url("http", "/final"));
  CHECK(last.last_request().starts_with("GET /final HTTP/1.1\r\n"));
}

TEST_CASE("redirects: a relative Location on the same server") {
  LoopbackServerOptions o;
  o.routes["/a"] = {302, "Location: /b?x=1\r\n", ""};
  o.routes["/b?x=1"] = {200, "", "{\"status\":\"UP\"}"};
  LoopbackServer server(o);
  ProbeResult r = probe(spec_for(server.url("http", "/a")));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.final_url == server.url("http", "/b?x=1"));
}

TEST_CASE("redirects: follow_redirects 0 takes the redirect as the answer, as before") {
  LoopbackServer target(Behavior::http_ok);
  LoopbackServer first(redirecting(target.url()));
  ProbeResult r = probe(spec_for(first.url(), 0));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.http_status == 302);
  CHECK(r.redirects.empty());
  CHECK(r.final_url.empty());
  CHECK(target.requests() == 0);
}

TEST_CASE("redirects: a redirect to a refusing port is refused/connect on hop 2") {
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  LoopbackServer first(redirecting(refused));
  ProbeResult r = probe(spec_for(first.url()));
  check_class(r, FailureClass::refused, Phase::connect);
  CHECK(errno_name(r.sys_errno) == "ECONNREFUSED");
  CHECK(r.message.ends_with(" on hop 2 (" + refused + ")"));
  REQUIRE(r.redirects.size() == 1);
  CHECK(r.redirects[0].status == 302);
  CHECK(r.final_url == refused);
  CHECK(r.timings.connect_ms.has_value());
  CHECK_FALSE(r.timings.first_byte_ms.has_value());  // the failed hop's layers, not hop 1's
}

TEST_CASE("redirects: a loop ends at once as http/302, naming the hop it returns to") {
  LoopbackServerOptions a;
  a.routes["/a"] = {302, "Location: /b\r\n", ""};
  a.routes["/b"] = {302, "Location: /a\r\n", ""};
  LoopbackServer server(a);
  ProbeResult r = probe(spec_for(server.url("http", "/a"), 10));
  check_class(r, FailureClass::http, Phase::response, "302");
  CHECK(r.message == "HTTP 302 from " + server.authority() + " redirects to '" +
                         server.url("http", "/a") + "', back to hop 1: a redirect loop on hop 2 (" +
                         server.url("http", "/b") + ")");
  CHECK(server.requests() == 2);
}

TEST_CASE("redirects: more hops than follow_redirects allows is http/<status> on the last hop") {
  LoopbackServerOptions o;
  for (int i = 0; i < 12; ++i) {
    o.routes["/" + std::to_string(i)] = {307, "Location: /" + std::to_string(i + 1) + "\r\n", ""};
  }
  LoopbackServer server(o);
  ProbeResult r = probe(spec_for(server.url("http", "/0"), 2));
  check_class(r, FailureClass::http, Phase::response, "307");
  CHECK(r.redirects.size() == 2);
  CHECK(r.message.find("more redirects than follow_redirects (2) allows on hop 3 (" +
                       server.url("http", "/2") + ")") != std::string::npos);
  auto ten = spec_for(server.url("http", "/0"), 10);
  ProbeResult r10 = probe(ten);
  check_class(r10, FailureClass::http, Phase::response, "307");
  CHECK(r10.redirects.size() == 10);
  CHECK(server.requests() == 3 + 11);
}

TEST_CASE("redirects: http to https with a bad certificate on hop 2 is tls/untrusted") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions tls;
  tls.behavior = Behavior::tls_http_ok;
  tls.tls = pki.self_signed.material();
  LoopbackServer untrusted(tls);
  LoopbackServer first(redirecting(untrusted.url("https", "/secure")));
  auto spec = spec_for(first.url());
  spec->ca_file = pki.ca_path;
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::tls, Phase::tls, "untrusted");
  CHECK(r.message.ends_with(" on hop 2 (" + untrusted.url("https", "/secure") + ")"));
  CHECK(r.timings.tls_ms.has_value());

  tls.tls = pki.good.material();
  LoopbackServer trusted(tls);
  LoopbackServer second(redirecting(trusted.url("https", "/secure"), 301));
  auto ok = spec_for(second.url());
  ok->ca_file = pki.ca_path;
  ProbeResult g = probe(ok);
  check_class(g, FailureClass::ok, Phase::none);
  REQUIRE(g.tls);
  CHECK(g.tls->not_after == pki.good.not_after);
}

TEST_CASE("redirects: credentials are not sent to another host or port, but kept on the same") {
  LoopbackServer elsewhere([] {
    LoopbackServerOptions o;
    o.bind_address = "127.0.0.2";
    return o;
  }());
  LoopbackServerOptions first_options;
  first_options.routes["/start"] = {302, "Location: /same\r\n", ""};
  first_options.routes["/same"] = {302, "Location: " + elsewhere.url("http", "/other") + "\r\n",
                                   ""};
  LoopbackServer first(first_options);
  auto spec = spec_for(first.url("http", "/start"));
  spec->headers = {{"Authorization", "Bearer hop-secret"},
                   {"Cookie", "session=hop-cookie"},
                   {"X-Request-Id", "kept"}};
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.redirects.size() == 2);
  // Hop 2 went to the same origin: everything.
  // (first.last_request() is hop 2's request.)
  CHECK(first.last_request().find("Authorization: Bearer hop-secret") != std::string::npos);
  CHECK(first.last_request().find("Cookie: session=hop-cookie") != std::string::npos);
  const std::string other = elsewhere.last_request();
  CHECK(other.starts_with("GET /other HTTP/1.1"));
  CHECK(other.find("hop-secret") == std::string::npos);
  CHECK(other.find("Authorization") == std::string::npos);
  CHECK(other.find("hop-cookie") == std::string::npos);
  CHECK(other.find("X-Request-Id: kept") != std::string::npos);

  auto basic = spec_for(first.url("http", "/start"));
  basic->auth = HttpAuth{HttpAuth::Kind::basic, "u", "basic-secret"};
  ProbeResult b = probe(basic);
  check_class(b, FailureClass::ok, Phase::none);
  CHECK(first.last_request().find("Authorization: Basic ") != std::string::npos);
  // libcurl writes the request's credentials into the URL it makes of a relative Location;
  // they must not reach the next hop's URL, which the result shows.
  CHECK(b.message.find("basic-secret") == std::string::npos);
  CHECK(b.final_url.find("basic-secret") == std::string::npos);
  for (const RedirectHop& hop : b.redirects)
    CHECK(hop.url.find("basic-secret") == std::string::npos);
  CHECK(b.redirects.at(1).url == first.url("http", "/same"));
  CHECK(elsewhere.last_request().find("Authorization") == std::string::npos);
}

TEST_CASE("redirects: POST becomes GET after 303, and 307 repeats the body") {
  LoopbackServerOptions o;
  o.routes["/form"] = {303, "Location: /done\r\n", ""};
  o.routes["/api"] = {307, "Location: /api2\r\n", ""};
  LoopbackServer server(o);
  auto spec = spec_for(server.url("http", "/form"));
  spec->method = "POST";
  spec->body = "x=1";
  check_class(probe(spec), FailureClass::ok, Phase::none);
  CHECK(server.last_request().starts_with("GET /done HTTP/1.1"));
  CHECK(server.last_request_body().empty());
  auto keep = spec_for(server.url("http", "/api"));
  keep->method = "POST";
  keep->body = "y=2";
  check_class(probe(keep), FailureClass::ok, Phase::none);
  CHECK(server.last_request().starts_with("POST /api2 HTTP/1.1"));
  CHECK(server.last_request_body() == "y=2");
}

TEST_CASE("redirects: the body assertions apply to the final response") {
  LoopbackServerOptions o;
  o.routes["/"] = {302, "Location: /health\r\n", "{\"status\":\"UP\"}"};
  o.routes["/health"] = {200, "", "{\"status\":\"DOWN\"}"};
  LoopbackServer server(o);
  auto spec = spec_for(server.url());
  spec->expect_json.push_back(*make_json_expectation("status", "UP", false));
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.message.ends_with("'status' is \"DOWN\", expected \"UP\" on hop 2 (" +
                            server.url("http", "/health") + ")"));
}

namespace {

// Inside the namespace: prints what differs and returns 1, or returns 0.
int expect_hop(const std::string& url, int timeout_ms, FailureClass cls, Phase phase,
               const std::string& detail, const std::string& suffix) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = milliseconds(timeout_ms);
  spec->follow_redirects = 3;
  ProbeResult r = probe_once(spec);
  const bool dns_timed = r.cls != FailureClass::ok || (r.timings.dns_ms && *r.timings.dns_ms > 0);
  if (r.cls == cls && r.phase == phase && detail_text(r) == detail && r.message.ends_with(suffix) &&
      r.redirects.size() == 1 && dns_timed) {
    return 0;
  }
  std::printf("%s: expected %s/%s/%s ending '%s', got %s/%s/%s: %s (%zu redirects)\n", url.c_str(),
              std::string(to_string(cls)).c_str(), std::string(to_string(phase)).c_str(),
              detail.c_str(), suffix.c_str(), std::string(to_string(r.cls)).c_str(),
              std::string(to_string(r.phase)).c_str(), detail_text(r).c_str(), r.message.c_str(),
              r.redirects.size());
  return 1;
}

}  // namespace

TEST_CASE("redirects: a redirect to a name is resolved and classified like the target's own") {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: files dns\n";
  NetnsResult result = run_in_netns(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        dns.nxdomain("nx.test").drop("drop.test").a("named.test", "127.0.0.1");
        LoopbackServer named(Behavior::http_ok);
        LoopbackServerOptions o;
        o.routes["/nx"] = {302, "Location: http://nx.test/\r\n", ""};
        o.routes["/drop"] = {302, "Location: http://drop.test/\r\n", ""};
        o.routes["/named"] = {
            302, "Location: http://named.test:" + std::to_string(named.port()) + "/\r\n", ""};
        LoopbackServer first(o);
        int failures = 0;
        failures += expect_hop(first.url("http", "/nx"), 3000, FailureClass::dns, Phase::dns,
                               "nxdomain", " on hop 2 (http://nx.test/)");
        failures += expect_hop(first.url("http", "/drop"), 500, FailureClass::dns, Phase::dns,
                               "timeout", " on hop 2 (http://drop.test/)");
        failures +=
            expect_hop(first.url("http", "/named"), 3000, FailureClass::ok, Phase::none, "", "/");
        return failures;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    MESSAGE("skipped: " << result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
