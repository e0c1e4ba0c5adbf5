#include "daemon/duration.hpp"

#include <doctest/doctest.h>

using faultline::format_duration;
using faultline::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations: every unit") {
  CHECK(*parse_duration("250ms") == milliseconds(250));
  CHECK(*parse_duration("30s") == milliseconds(30'000));
  CHECK(*parse_duration("5m") == milliseconds(300'000));
  CHECK(*parse_duration("1h") == milliseconds(3'600'000));
  CHECK(*parse_duration("30d") == milliseconds(2'592'000'000LL));
  CHECK(*parse_duration("0s") == milliseconds(0));
}

TEST_CASE("durations: zero needs no unit") {
  CHECK(*parse_duration("0") == milliseconds(0));
  CHECK(*parse_duration("000") == milliseconds(0));
  CHECK(parse_duration("05").error() == "duration '05' has no unit; write e.g. 5s");
}

TEST_CASE("durations: compound terms, largest first") {
  CHECK(*parse_duration("1m30s") == milliseconds(90'000));
  CHECK(*parse_duration("1h0m5s250ms") == milliseconds(3'605'250));
  CHECK(parse_duration("30s1m").error() ==
        "duration '30s1m' repeats or reorders units; write largest first");
  CHECK(parse_duration("1s1s").error() ==
        "duration '1s1s' repeats or reorders units; write largest first");
}

TEST_CASE("durations: rejected spellings say why") {
  CHECK(parse_duration("").error() == "empty duration; write e.g. 30s, 250ms, 5m, 1h or 30d");
  CHECK(parse_duration("30").error() == "duration '30' has no unit; write e.g. 30s");
  CHECK(parse_duration("1.5s").error() ==
        "duration '1.5s' has a fraction; use a smaller unit instead (1500ms, not 1.5s)");
  CHECK(parse_duration("5w").error() == "duration '5w' has an unknown unit; use ms, s, m, h or d");
  CHECK(parse_duration("-5s").error() ==
        "invalid duration '-5s': expected a whole number followed by ms, s, m, h or d");
  CHECK(parse_duration(" 5s").error() ==
        "invalid duration ' 5s': expected a whole number followed by ms, s, m, h or d");
  CHECK(parse_duration("5s ").error() ==
        "invalid duration '5s ': expected a whole number followed by ms, s, m, h or d");
  CHECK(parse_duration("s").error() ==
        "invalid duration 's': expected a whole number followed by ms, s, m, h or d");
  CHECK(parse_duration("5S").error() == "duration '5S' has an unknown unit; use ms, s, m, h or d");
}

TEST_CASE("durations: the text in a message is escaped and cut") {
  CHECK(parse_duration("5\n").error() ==
        "duration '5\\n' has an unknown unit; use ms, s, m, h or d");
  CHECK(parse_duration(std::string(100, '1')).error() ==
        "duration '" + std::string(80, '1') + "…' is too large");
}

TEST_CASE("durations: overflow is an error, not a wrap") {
  CHECK(parse_duration("99999999999999999999s").error() ==
        "duration '99999999999999999999s' is too large");
  CHECK(parse_duration("9223372036854775d").error() == "duration '9223372036854775d' is too large");
  CHECK(parse_duration("106751991168d").error() == "duration '106751991168d' is too large");
  CHECK(parse_duration("106751991167d").has_value());
}

TEST_CASE("durations: formatting round-trips") {
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(90'000)) == "1m30s");
  CHECK(format_duration(milliseconds(86'400'000)) == "1d");
  for (const char* text : {"1d2h3m4s5ms", "30s", "5m", "999ms"}) {
    CHECK(format_duration(*parse_duration(text)) == text);
  }
}
