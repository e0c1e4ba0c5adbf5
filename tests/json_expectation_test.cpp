// expect_json: paths, scalars as the config and the command line write them, and what a body
// holds or lacks.
#include "checks/json_expectation.hpp"

#include <doctest/doctest.h>

#include <string>

#include "checks/printable.hpp"

using namespace faultline;

namespace {

std::optional<std::string> check(std::string_view body,
                                 std::vector<std::pair<std::string, std::string>> expect,
                                 bool cut = false) {
  std::vector<JsonExpectation> list;
  for (const auto& [path, value] : expect) {
    auto e = make_json_expectation(path, value, false);
    REQUIRE_MESSAGE(e, e.error());
    list.push_back(*e);
  }
  return check_json_body(body, cut, 64 * 1024, list,
                         [](std::string_view t) { return printable(t); });
}

}  // namespace

TEST_CASE("json expectation: paths split at dots, empty segments and too many are refused") {
  CHECK(*parse_json_path("checks.db.status") == std::vector<std::string>{"checks", "db", "status"});
  CHECK(*parse_json_path("items.0.state") == std::vector<std::string>{"items", "0", "state"});
  CHECK_FALSE(parse_json_path(""));
  auto empty = parse_json_path("a..b");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().find("empty segment") != std::string::npos);
  CHECK_FALSE(parse_json_path(".a"));
  CHECK_FALSE(parse_json_path("a."));
  std::string deep = "a";
  for (int i = 0; i < 32; ++i)
    deep += ".a";
  auto too_deep = parse_json_path(deep);
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().find("33 segments") != std::string::npos);
}

TEST_CASE("json expectation: scalars are JSON values, words are strings, quoted is a string") {
  CHECK(json_scalar_text("UP", false) == "\"UP\"");
  CHECK(json_scalar_text("200", false) == "200");
  CHECK(json_scalar_text("-1.5", false) == "-1.5");
  CHECK(json_scalar_text("true", false) == "true");
  CHECK(json_scalar_text("True", false) == "true");
  CHECK(json_scalar_text("FALSE", false) == "false");
  CHECK(json_scalar_text("null", false) == "null");
  CHECK(json_scalar_text("~", false) == "null");
  CHECK(json_scalar_text("", false) == "null");
  CHECK(json_scalar_text("\"200\"", false) == "\"200\"");  // --expect-json 'code="200"'
  CHECK(json_scalar_text("200", true) == "\"200\"");       // code: "200" in YAML
  CHECK(json_scalar_text("[1]", false) == "\"[1]\"");
  CHECK(json_scalar_text("yes", false) == "\"yes\"");
}

TEST_CASE("json expectation: values compare as JSON values") {
  const std::string body =
      R"({"status":"UP","code":200,"ratio":0.5,"ok":true,"none":null,)"
      R"("checks":{"db":{"status":"DOWN"}},"items":[{"state":"ok"},{"state":"bad"}]})";
  CHECK_FALSE(check(body, {{"status", "UP"}, {"code", "200"}, {"ok", "true"}, {"none", "null"}}));
  CHECK_FALSE(check(body, {{"code", "200.0"}, {"ratio", "0.5"}, {"items.1.state", "bad"}}));
  CHECK(*check(body, {{"checks.db.status", "UP"}}) ==
        "'checks.db.status' is \"DOWN\", expected \"UP\"");
  CHECK(*check(body, {{"code", "\"200\""}}) == "'code' is 200, expected \"200\"");
  CHECK(*check(body, {{"status", "UP"}, {"ok", "false"}}) == "'ok' is true, expected false");
}

TEST_CASE("json expectation: a missing path says where it ends") {
  const std::string body = R"({"checks":{"db":{}},"items":[1,2],"name":"x"})";
  CHECK(*check(body, {{"status", "UP"}}) == "'status' is missing: the body has no key 'status'");
  CHECK(*check(body, {{"checks.db.status", "UP"}}) ==
        "'checks.db.status' is missing: 'checks.db' has no key 'status'");
  CHECK(*check(body, {{"items.5", "1"}}) ==
        "'items.5' is missing: 'items' has 2 elements, so no element 5");
  CHECK(*check(body, {{"items.x", "1"}}) ==
        "'items.x' is missing: 'items' is an array, not an object (it is [1,2])");
  CHECK(*check(body, {{"name.first", "x"}}) ==
        "'name.first' is missing: 'name' is a string, not an object (it is \"x\")");
  CHECK_FALSE(check("[{\"a\":1}]", {{"0.a", "1"}}));
}

TEST_CASE("json expectation: not JSON, empty, or cut at body_limit") {
  auto garbage = check("<html>down</html>", {{"status", "UP"}});
  REQUIRE(garbage);
  CHECK(*garbage ==
        "the body is not JSON: parse error at byte 1 of 17; it begins '<html>down</html>'");
  CHECK(*check("", {{"status", "UP"}}) == "the body is empty, not JSON");
  auto cut = check(R"({"status":"UP","padding":"xxxx)", {{"status", "UP"}}, true);
  REQUIRE(cut);
  CHECK(*cut ==
        "the body is longer than body_limit (64 KiB) and was cut there, so it cannot be parsed as "
        "JSON; raise body_limit");
}

TEST_CASE("json expectation: deep nesting is skipped, not built") {
  // A million '[' would be a million nested values; the parser skips past depth 64.
  const std::string deep =
      "{\"status\":\"UP\",\"x\":" + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}";
  CHECK_FALSE(check(deep, {{"status", "UP"}}));
  const std::string unclosed(1'000'000, '[');
  auto r = check(unclosed, {{"status", "UP"}});
  REQUIRE(r);
  CHECK(r->starts_with("the body is not JSON: parse error at byte 1000001"));
}
