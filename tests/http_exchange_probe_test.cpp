// The HTTP exchange options of issue 18 against real loopback servers: a request body, the
// credentials, assertions on the response body (regex and JSON) and the slow state.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/loopback_server.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url,
                                    milliseconds timeout = milliseconds(3000)) {
  return probe_spec_for(url, timeout);
}

LoopbackServerOptions serving(std::string body) {
  LoopbackServerOptions o;
  o.body = std::move(body);
  return o;
}

Pattern pattern(const std::string& text) {
  auto p = Pattern::compile(text);
  REQUIRE_MESSAGE(p, text);
  return *p;
}

void expect_json(ProbeSpec& spec, const std::string& path, const std::string& value) {
  auto e = make_json_expectation(path, value, false);
  REQUIRE_MESSAGE(e, e.error());
  spec.expect_json.push_back(*e);
}

}  // namespace

TEST_CASE("http exchange: a POST body reaches the server byte for byte with its length") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url("http", "/submit"));
  spec->method = "POST";
  const std::string body = std::string("a=1&b=two\r\n") + '\0' + "\xff end";
  spec->body = body;
  check_class(probe(spec), FailureClass::ok, Phase::none);
  const std::string head = server.last_request();
  CHECK(head.starts_with("POST /submit HTTP/1.1\r\n"));
  CHECK(head.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
  // As curl -d: a form, unless the spec says otherwise.
  CHECK(head.find("Content-Type: application/x-www-form-urlencoded\r\n") != std::string::npos);
  CHECK(head.find("Expect:") == std::string::npos);
  CHECK(server.last_request_body() == body);
}

TEST_CASE("http exchange: PUT keeps its method with a body, a Content-Type of the spec wins") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url("http", "/item"));
  spec->method = "PUT";
  spec->headers = {{"Content-Type", "application/json"}};
  spec->body = R"({"state":"on"})";
  check_class(probe(spec), FailureClass::ok, Phase::none);
  const std::string head = server.last_request();
  CHECK(head.starts_with("PUT /item HTTP/1.1\r\n"));
  CHECK(head.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(head.find("x-www-form-urlencoded") == std::string::npos);
  CHECK(head.find("Content-Length: 14\r\n") != std::string::npos);
  CHECK(server.last_request_body() == R"({"state":"on"})");
}

TEST_CASE("http exchange: an empty body is sent as Content-Length: 0") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url());
  spec->method = "POST";
  spec->body = "";
  check_class(probe(spec), FailureClass::ok, Phase::none);
  CHECK(server.last_request().find("Content-Length: 0\r\n") != std::string::npos);
}

TEST_CASE("http exchange: basic_auth and a bearer token are sent as Authorization") {
  LoopbackServer server(Behavior::http_ok);
  auto spec = spec_for(server.url());
  spec->auth = HttpAuth{HttpAuth::Kind::basic, "monitor", "s3cret:x"};
  check_class(probe(spec), FailureClass::ok, Phase::none);
  // base64("monitor:s3cret:x")
  CHECK(server.last_request().find("Authorization: Basic bW9uaXRvcjpzM2NyZXQ6eA==\r\n") !=
        std::string::npos);
  spec->auth = HttpAuth{HttpAuth::Kind::bearer, "", "eyJ0b2tlbiI.x-y_z"};
  check_class(probe(spec), FailureClass::ok, Phase::none);
  CHECK(server.last_request().find("Authorization: Bearer eyJ0b2tlbiI.x-y_z\r\n") !=
        std::string::npos);
}

TEST_CASE("http exchange: expect_json on a health endpoint: DOWN is http/body_mismatch") {
  LoopbackServer down(serving(R"({"status":"DOWN","checks":{"db":{"status":"DOWN"}}})"));
  auto spec = spec_for(down.url("http", "/health"));
  expect_json(*spec, "status", "UP");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.http_status == 200);
  CHECK(r.message == "expect_json does not hold for the body from " + down.authority() +
                         ": 'status' is \"DOWN\", expected \"UP\"");
  CHECK(r.timings.total_ms.has_value());

  LoopbackServer up(serving(
      R"({"status":"UP","checks":{"db":{"status":"UP","latency_ms":3}},"items":[{"state":"ok"}]})"));
  auto ok = spec_for(up.url("http", "/health"));
  expect_json(*ok, "status", "UP");
  expect_json(*ok, "checks.db.status", "UP");
  expect_json(*ok, "checks.db.latency_ms", "3");
  expect_json(*ok, "items.0.state", "ok");
  check_class(probe(ok), FailureClass::ok, Phase::none);
  expect_json(*ok, "items.1.state", "ok");
  ProbeResult missing = probe(ok);
  check_class(missing, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(
      missing.message.ends_with("'items.1.state' is missing: 'items' has 1 elements, so no "
                                "element 1"));
}

TEST_CASE("http exchange: expect_json on a body that is not JSON, or cut at body_limit") {
  LoopbackServer html(serving("<html><body>It works</body></html>"));
  auto spec = spec_for(html.url());
  expect_json(*spec, "status", "UP");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.message.find("the body is not JSON: parse error at byte 1 of 34; it begins "
                       "'<html><body>It works</body></html>'") != std::string::npos);

  LoopbackServer big(serving(R"({"status":"UP","padding":")" + std::string(200, 'x') + "\"}"));
  auto cut = spec_for(big.url());
  cut->body_limit = 100;
  expect_json(*cut, "status", "UP");
  ProbeResult c = probe(cut);
  check_class(c, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(c.message.find("the body is longer than body_limit (100 B) and was cut there") !=
        std::string::npos);
  cut->body_limit = 1024;
  check_class(probe(cut), FailureClass::ok, Phase::none);
}

TEST_CASE("http exchange: expect_body and reject_body") {
  LoopbackServer server(serving("status: degraded\nerror: disk full on /var\n"));
  auto spec = spec_for(server.url());
  spec->expect_body = pattern("(?m)^status: (ok|degraded)$");
  check_class(probe(spec), FailureClass::ok, Phase::none);

  spec->expect_body = pattern("status: ok");
  ProbeResult miss = probe(spec);
  check_class(miss, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(miss.message == "the body from " + server.authority() +
                            " does not match expect_body 'status: ok'; it begins 'status: "
                            "degraded\\nerror: disk full on /var\\n'");

  spec->expect_body.reset();
  spec->reject_body = pattern("error: .*");
  ProbeResult rejected = probe(spec);
  check_class(rejected, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(rejected.message == "the body from " + server.authority() +
                                " matches reject_body 'error: .*' at byte 17: 'error: disk full "
                                "on /var\\n'");
  spec->reject_body = pattern("panic");
  check_class(probe(spec), FailureClass::ok, Phase::none);
}

TEST_CASE("http exchange: a failure shows at most 80 characters of a long body") {
  LoopbackServer server(serving(std::string(5000, 'z')));
  auto spec = spec_for(server.url());
  spec->expect_body = pattern("UP");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.message.find("'" + std::string(80, 'z') + "…'") != std::string::npos);
  CHECK(r.message.find(std::string(81, 'z')) == std::string::npos);
}

TEST_CASE("http exchange: only the first body_limit bytes are checked, and the message says so") {
  LoopbackServer server(serving(std::string(300, '.') + "STATUS UP"));
  auto spec = spec_for(server.url());
  spec->body_limit = 200;
  spec->expect_body = pattern("STATUS UP");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.message.ends_with("(only its first 200 B were read: body_limit)"));
  spec->body_limit = 1024;
  check_class(probe(spec), FailureClass::ok, Phase::none);
}

TEST_CASE("http exchange: a pattern that backtracks without end ends at its match limit") {
  LoopbackServer server(serving(std::string(60 * 1024, 'a') + "!"));
  auto spec = spec_for(server.url(), milliseconds(20000));
  spec->expect_body = pattern("^(a+)+$");
  const auto started = std::chrono::steady_clock::now();
  ProbeResult r = probe(spec);
  const auto took = std::chrono::steady_clock::now() - started;
  check_class(r, FailureClass::http, Phase::body, "body_mismatch");
  CHECK(r.message.starts_with("expect_body '^(a+)+$' could not be checked against the body from " +
                              server.authority() +
                              ": the pattern exceeded its match limit (1000000 backtracking "
                              "steps); simplify the pattern"));
  CHECK(took < std::chrono::seconds(15));
}

TEST_CASE("http exchange: a status outside expect_status is http/<code>, before the body") {
  LoopbackServerOptions o = serving(R"({"status":"UP"})");
  o.behavior = Behavior::http_status;
  o.status = 503;
  LoopbackServer server(o);
  auto spec = spec_for(server.url());
  expect_json(*spec, "status", "DOWN");
  check_class(probe(spec), FailureClass::http, Phase::response, "503");
}

TEST_CASE("http exchange: slower than degraded_after is slow but ok, faster is not slow") {
  LoopbackServerOptions o;
  o.response_delay = milliseconds(400);
  LoopbackServer slow(o);
  auto spec = spec_for(slow.url());
  spec->degraded_after = milliseconds(150);
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.slow);
  REQUIRE(r.timings.total_ms);
  CHECK(*r.timings.total_ms >= 350);

  spec->degraded_after = milliseconds(2500);
  ProbeResult fast = probe(spec);
  check_class(fast, FailureClass::ok, Phase::none);
  CHECK_FALSE(fast.slow);

  spec->degraded_after.reset();
  CHECK_FALSE(probe(spec).slow);
}

TEST_CASE("http exchange: a failed probe is never slow") {
  LoopbackServerOptions o;
  o.behavior = Behavior::http_status;
  o.response_delay = milliseconds(300);
  LoopbackServer server(o);
  auto spec = spec_for(server.url());
  spec->degraded_after = milliseconds(50);
  spec->expect_status = *parse_status_list("200");
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::http, Phase::response, "503");
  CHECK_FALSE(r.slow);
}
