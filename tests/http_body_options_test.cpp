// The HTTP exchange keys of issue 18 as users write them: body, body_file, expect_body,
// reject_body, expect_json and body_limit in the config (every error with file:line:col), and
// the same options of `faultline check` (--data, --expect-body, --reject-body, --expect-json,
// --body-limit) against real loopback servers.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;
using json = nlohmann::json;

namespace {

Config valid(const std::string& yaml, const std::string& path = "t.yaml") {
  ConfigLoad load = parse_config(yaml, path);
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

// A target `api` on http://127.0.0.1/ with `extra` (indented lines) added.
std::string api_with(const std::string& extra) {
  return "targets:\n  - name: api\n    url: http://127.0.0.1:8080/\n" + extra;
}

LoopbackServerOptions serving(std::string body) {
  LoopbackServerOptions o;
  o.body = std::move(body);
  return o;
}

}  // namespace

TEST_CASE("config: body, expect_body, reject_body, expect_json and body_limit reach the probe") {
  Config c = valid(R"(defaults:
  expect_json: {status: UP}
  body_limit: 1MiB
targets:
  - name: post
    url: http://127.0.0.1/
    method: POST
    body: '{"q": 1}'
    expect_body: '"ok":\s*true'
    reject_body: (?i)maintenance
    expect_json: {checks.db.status: UP, items.0.count: 3, ready: true, code: "200", none: ~}
    body_limit: 64KiB
  - name: inherits
    url: http://127.0.0.1/
  - name: plain
    url: tcp://127.0.0.1:5432
)");
  REQUIRE(c.targets.size() == 3);
  const ProbeSpec& post = c.targets[0].probe;
  REQUIRE(post.body);
  CHECK(*post.body == R"({"q": 1})");
  REQUIRE(post.expect_body);
  CHECK(post.expect_body->text() == R"("ok":\s*true)");
  REQUIRE(post.reject_body);
  CHECK(post.reject_body->text() == "(?i)maintenance");
  REQUIRE(post.expect_json.size() == 5);  // the target's own replace the defaults' whole
  CHECK(post.expect_json[0].path == "checks.db.status");
  CHECK(post.expect_json[0].value == "\"UP\"");
  CHECK(post.expect_json[1].segments == std::vector<std::string>{"items", "0", "count"});
  CHECK(post.expect_json[1].value == "3");
  CHECK(post.expect_json[2].value == "true");
  CHECK(post.expect_json[3].value == "\"200\"");  // quoted in YAML: a string
  CHECK(post.expect_json[4].value == "null");
  CHECK(post.body_limit == 64 * 1024);

  const ProbeSpec& inherits = c.targets[1].probe;
  CHECK_FALSE(inherits.body);
  REQUIRE(inherits.expect_json.size() == 1);
  CHECK(inherits.expect_json[0].path == "status");
  CHECK(inherits.body_limit == 1024 * 1024);
  // A tcp:// target reads no body: the defaults do not apply to it.
  CHECK(c.targets[2].probe.expect_json.empty());
  CHECK(c.targets[2].probe.body_limit == 64 * 1024);

  // A changed assertion is a changed target, so a reload starts it over.
  Config other = valid(R"(defaults:
  expect_json: {status: UP}
  body_limit: 1MiB
targets:
  - name: inherits
    url: http://127.0.0.1/
    reject_body: DOWN
)");
  CHECK_FALSE(other.targets[0] == c.targets[1]);
}

TEST_CASE("config: body_file is read at load, relative to the config's folder") {
  TempDir dir;
  {
    std::ofstream(dir.file("query.json"), std::ios::binary) << "{\"query\": \"{ health }\"}\n";
    std::ofstream(dir.file("t.yaml")) << api_with("    method: POST\n    body_file: query.json\n");
  }
  ConfigLoad load = load_config(dir.file("t.yaml"));
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config);
  REQUIRE(load.config->targets[0].probe.body);
  CHECK(*load.config->targets[0].probe.body == "{\"query\": \"{ health }\"}\n");
  // A reload reads it again.
  std::ofstream(dir.file("query.json"), std::ios::binary) << "changed";
  ConfigLoad again = load_config(dir.file("t.yaml"));
  REQUIRE(again.config);
  CHECK(*again.config->targets[0].probe.body == "changed");

  std::string missing = api_with("    method: POST\n    body_file: nope.json\n");
  CHECK(error_of(missing).find("t.yaml:5:16: 'body_file': cannot read") == 0);
}

TEST_CASE("config error: a body with GET or HEAD, body and body_file together") {
  CHECK(error_of(api_with("    body: hello\n")) ==
        "t.yaml:4:5: target 'api': 'body' needs a method that sends a body, such as POST or "
        "PUT; GET sends none");
  CHECK(error_of("defaults: {method: HEAD}\n" + api_with("    body: hello\n")) ==
        "t.yaml:5:5: target 'api': 'body' needs a method that sends a body, such as POST or "
        "PUT; HEAD sends none");
  CHECK(error_of(api_with("    method: POST\n    body: a\n    body_file: /etc/hostname\n")) ==
        "t.yaml:6:5: a target has one request body: 'body' or 'body_file', not both");
  // A request body is a target's own: it is no default.
  CHECK(error_of("defaults: {body: x}\n" + api_with("")).find("t.yaml:1:12: unknown key 'body'") ==
        0);
  CHECK(error_of("targets:\n  - name: db\n    url: tcp://db:5432\n    expect_body: ok\n") ==
        "t.yaml:4:5: 'expect_body' only applies to http:// and https:// targets, and 'db' is "
        "tcp://");
}

TEST_CASE("config error: a bad pattern names the character where PCRE2 stopped") {
  // Written plain, the position is the character itself (column 18 + 3).
  CHECK(error_of(api_with("    expect_body: ab(c\n")) ==
        "t.yaml:4:22: 'expect_body': pattern 'ab(c' is not a valid regular expression: at "
        "character 5, missing closing parenthesis");
  // In quotes, the value's start.
  CHECK(error_of(api_with("    reject_body: \"x**\"\n")) ==
        "t.yaml:4:18: 'reject_body': pattern 'x**' is not a valid regular expression: at "
        "character 3, quantifier does not follow a repeatable item");
  CHECK(error_of(api_with("    expect_body: ''\n")).find("t.yaml:4:18: 'expect_body'") == 0);
}

TEST_CASE("config error: expect_json paths and values, body_limit sizes") {
  CHECK(error_of(api_with("    expect_json: UP\n")) ==
        "t.yaml:4:18: 'expect_json' must be a mapping of dotted paths to values, such as "
        "{status: UP, checks.db.status: UP, items.0.state: ok}, not 'UP'");
  CHECK(error_of(api_with("    expect_json: {a..b: 1}\n")) ==
        "t.yaml:4:19: 'expect_json': JSON path 'a..b' has an empty segment; write keys and "
        "array indexes between single dots, e.g. checks.db.status or items.0.state");
  CHECK(error_of(api_with("    expect_json: {status: [UP]}\n")) ==
        "t.yaml:4:27: 'expect_json.status' must be one value (a string, number, true, false or "
        "null), not a list");
  CHECK(error_of(api_with("    body_limit: 64KB\n")) ==
        "t.yaml:4:17: 'body_limit': size '64KB' has an unknown unit 'KB'; use B, KiB or MiB");
  CHECK(error_of(api_with("    body_limit: 2MiB\n")) ==
        "t.yaml:4:17: 'body_limit' must be from 1B to 1 MiB, got 2MiB");
  CHECK(error_of(api_with("    body_limit: 0\n")) ==
        "t.yaml:4:17: 'body_limit' must be from 1B to 1 MiB, got 0");
}

TEST_CASE("check: --expect-json on a health endpoint, DOWN is http/body_mismatch, exit 1") {
  LoopbackServer down(serving(R"({"status":"DOWN","checks":{"db":{"status":"UP"}}})"));
  auto [status, out] = check_json({"--expect-json", "status=UP", down.url()});
  CHECK(status == 1);
  CHECK(out["class"] == "http");
  CHECK(out["phase"] == "body");
  CHECK(out["detail"] == "body_mismatch");
  CHECK(out["http_status"] == 200);
  const std::string message = out["message"];
  CHECK(message.find("expect_json") != std::string::npos);
  CHECK(message.find("'status' is \"DOWN\", expected \"UP\"") != std::string::npos);

  auto nested = check_json({"--expect-json", "checks.db.status=UP", down.url()});
  CHECK(nested.first == 0);
  CHECK(nested.second["class"] == "ok");

  LoopbackServer items(serving(R"({"items":[{"state":"ok"},{"state":"failed"}]})"));
  CHECK(check_json({"--expect-json", "items.0.state=ok", items.url()}).first == 0);
  auto second = check_json({"--expect-json", "items.1.state=ok", items.url()});
  CHECK(second.first == 1);
  CHECK(second.second["detail"] == "body_mismatch");

  LoopbackServer html(serving("<html>Service Unavailable</html>"));
  auto not_json = check_json({"--expect-json", "status=UP", html.url()});
  CHECK(not_json.first == 1);
  CHECK(not_json.second["detail"] == "body_mismatch");
  CHECK(std::string(not_json.second["message"]).find("not JSON") != std::string::npos);
}

TEST_CASE("check: --expect-body and --reject-body, --data is sent with POST") {
  LoopbackServer server(serving("status: degraded; maintenance window\n"));
  CHECK(check_json({"--expect-body", "status: \\w+", server.url()}).first == 0);
  auto rejected = check_json({"--reject-body", "(?i)MAINTENANCE", server.url()});
  CHECK(rejected.first == 1);
  CHECK(rejected.second["detail"] == "body_mismatch");
  CHECK(std::string(rejected.second["message"]).find("reject_body") != std::string::npos);

  CHECK(check_json({"--data", "{\"ping\":1}", server.url()}).first == 0);
  CHECK(server.last_request().rfind("POST / HTTP/1.1", 0) == 0);
  CHECK(server.last_request_body() == "{\"ping\":1}");
  CHECK(check_json({"--data", "x", "--method", "PUT", server.url()}).first == 0);
  CHECK(server.last_request().rfind("PUT / HTTP/1.1", 0) == 0);
}

TEST_CASE("check: bad body options exit 2 before anything is sent, in the config's words") {
  LoopbackServer server(Behavior::http_ok);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--expect-body", "a(b"},
       "--expect-body: pattern 'a(b' is not a valid regular expression: at character 4, "
       "missing closing parenthesis"},
      {{"--expect-json", "status"},
       "--expect-json must look like PATH=VALUE, e.g. status=UP or checks.db.status=UP, got "
       "'status'"},
      {{"--expect-json", ".a=1"}, "--expect-json: JSON path '.a' has an empty segment"},
      {{"--data", "x", "--method", "GET"},
       "--data needs a method that sends a body, such as POST or PUT; GET sends none"},
      {{"--body-limit", "2MiB"}, "--body-limit must be from 1B to 1 MiB, got 2MiB"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {"check"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(server.url());
    Run run = run_faultline(argv);
    INFO(run.output);
    CHECK(run.status == 2);
    CHECK(run.output.find("faultline check: " + message) != std::string::npos);
  }
  Run tcp = run_faultline({"check", "--expect-body", "x", "tcp://127.0.0.1:1"});
  CHECK(tcp.status == 2);
  CHECK(server.requests() == 0);
}
