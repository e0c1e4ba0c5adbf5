// BodyPattern: PCRE2 compiled once, searched with bounded work.
#include "checks/body_pattern.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace faultline;

TEST_CASE("body pattern: finds the first match and where it is") {
  auto p = BodyPattern::compile("\"status\"\\s*:\\s*\"(UP|OK)\"");
  REQUIRE(p);
  auto m = p->search(R"({"checks": 3, "status" : "UP"})");
  REQUIRE(m);
  REQUIRE(m->has_value());
  CHECK((*m)->begin == 14);
  CHECK((*m)->end == 29);
  auto none = p->search(R"({"status": "DOWN"})");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  CHECK(p->text() == "\"status\"\\s*:\\s*\"(UP|OK)\"");
}

TEST_CASE("body pattern: case-sensitive by default, (?i) and (?m) as in PCRE2") {
  auto exact = BodyPattern::compile("^ok$");
  REQUIRE(exact);
  CHECK_FALSE(exact->search("OK")->has_value());
  CHECK_FALSE(exact->search("line\nok\nmore")->has_value());
  auto multi = BodyPattern::compile("(?m)^ok$");
  REQUIRE(multi);
  CHECK(multi->search("line\nok\nmore")->has_value());
  auto nocase = BodyPattern::compile("(?i)^ok$");
  REQUIRE(nocase);
  CHECK(nocase->search("OK")->has_value());
}

TEST_CASE("body pattern: bodies that are not UTF-8 are searched, not refused") {
  auto p = BodyPattern::compile("héllo");
  REQUIRE(p);
  const std::string body = std::string("\xff\xfe binary ") + "héllo";
  auto m = p->search(body);
  REQUIRE(m);
  CHECK(m->has_value());
  CHECK_FALSE(p->search(std::string("\xff\xfe\x80"))->has_value());
}

TEST_CASE("body pattern: a bad pattern says where and why") {
  auto p = BodyPattern::compile("status: (UP");
  REQUIRE_FALSE(p);
  CHECK(p.error().offset == 11);
  CHECK(p.error().message == "missing closing parenthesis");
  auto q = BodyPattern::compile("a{2,1}");
  REQUIRE_FALSE(q);
  CHECK(q.error().offset == 5);
  CHECK(q.error().message.find("out of order") != std::string::npos);
}

TEST_CASE("body pattern: catastrophic backtracking stops at the match limit, not after hours") {
  // (a+)+$ against a's ending in something else backtracks 2^n ways without a limit.
  auto p = BodyPattern::compile("^(a+)+$");
  REQUIRE(p);
  const std::string hostile = std::string(64 * 1024, 'a') + "!";
  const auto started = std::chrono::steady_clock::now();
  auto m = p->search(hostile);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(m);
  CHECK(m.error().find("exceeded its") != std::string::npos);
  // Generous: the limit is reached in milliseconds (docs/BENCHMARKS.md); 2^65536 steps never end.
  CHECK(took < std::chrono::seconds(20));
  // The same pattern on a fitting body is an ordinary match.
  CHECK(p->search(std::string(1000, 'a'))->has_value());
}

TEST_CASE("body pattern: equal when written alike") {
  CHECK(*BodyPattern::compile("UP") == *BodyPattern::compile("UP"));
  CHECK_FALSE(*BodyPattern::compile("UP") == *BodyPattern::compile("(UP)"));
}
