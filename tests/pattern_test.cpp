// Pattern: PCRE2 compiled once, searched with bounded work.
#include "checks/pattern.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace faultline;

TEST_CASE("body pattern: finds the first match and where it is") {
  auto p = Pattern::compile("\"status\"\\s*:\\s*\"(UP|OK)\"");
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
  auto exact = Pattern::compile("^ok$");
  REQUIRE(exact);
  CHECK_FALSE(exact->search("OK")->has_value());
  CHECK_FALSE(exact->search("line\nok\nmore")->has_value());
  auto multi = Pattern::compile("(?m)^ok$");
  REQUIRE(multi);
  CHECK(multi->search("line\nok\nmore")->has_value());
  auto nocase = Pattern::compile("(?i)^ok$");
  REQUIRE(nocase);
  CHECK(nocase->search("OK")->has_value());
}

TEST_CASE("body pattern: bodies that are not UTF-8 are searched, not refused") {
  auto p = Pattern::compile("héllo");
  REQUIRE(p);
  const std::string body = std::string("\xff\xfe binary ") + "héllo";
  auto m = p->search(body);
  REQUIRE(m);
  CHECK(m->has_value());
  CHECK_FALSE(p->search(std::string("\xff\xfe\x80"))->has_value());
}

TEST_CASE("body pattern: a bad pattern says where and why") {
  auto p = Pattern::compile("status: (UP");
  REQUIRE_FALSE(p);
  CHECK(p.error().offset == 11);
  CHECK(p.error().message == "missing closing parenthesis");
  auto q = Pattern::compile("a{2,1}");
  REQUIRE_FALSE(q);
  CHECK(q.error().offset == 5);
  CHECK(q.error().message.find("out of order") != std::string::npos);
}

TEST_CASE("body pattern: catastrophic backtracking stops at the match limit, not after hours") {
  // (a+)+$ against a's ending in something else backtracks 2^n ways without a limit.
  auto p = Pattern::compile("^(a+)+$");
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
  CHECK(*Pattern::compile("UP") == *Pattern::compile("UP"));
  CHECK_FALSE(*Pattern::compile("UP") == *Pattern::compile("(UP)"));
}

// The reply of a line protocol (tcp:// and tls:// `expect`), PatternSubject::reply.
TEST_CASE("pattern (reply): multi-line, and CR, LF and CRLF all end a line") {
  auto pong = Pattern::compile("^\\+PONG$", PatternSubject::reply);
  REQUIRE(pong);
  auto found = [&](std::string_view s) { return pong->search(s).value().has_value(); };
  CHECK(found("+PONG\r\n"));
  CHECK(found("+OK\r\n+PONG\n"));
  CHECK(found("+PONG"));
  CHECK_FALSE(found("-ERR\r\n"));
  CHECK_FALSE(found("x+PONG\r\n"));
  // The same text for a body anchors at the ends of the body only.
  auto body = Pattern::compile("^\\+PONG$");
  REQUIRE(body);
  CHECK_FALSE(body->search("+OK\r\n+PONG\n").value().has_value());
  CHECK_FALSE(*body == *pong);
}

TEST_CASE("pattern (reply): any bytes are matched byte by byte, NUL and 0xff included") {
  auto r = Pattern::compile("\\x00\\xff", PatternSubject::reply);
  REQUIRE(r);
  CHECK(r->search(std::string("a\0\xff", 3)).value().has_value());
  CHECK_FALSE(r->search(std::string("\xc3\x28", 2)).value().has_value());
}

TEST_CASE("pattern (reply): catastrophic backtracking stops at the reply's smaller limit") {
  auto evil = Pattern::compile("^(a+)+$", PatternSubject::reply);
  REQUIRE(evil);
  const std::string subject = std::string(64 * 1024, 'a') + "b";
  auto gave_up = evil->search(subject);
  REQUIRE_FALSE(gave_up);
  CHECK(gave_up.error().find(std::to_string(kReplyPatternMatchLimit)) != std::string::npos);
  CHECK(evil->search("aaaa").value().has_value());
}
