// printable() and quote(): how every message shows a value read from input.
#include "checks/printable.hpp"

#include <doctest/doctest.h>

#include <string>

using faultline::printable;
using faultline::quote;
using faultline::utf8_char_length;

TEST_CASE("printable: plain text and UTF-8 are shown as they are, in quotes by quote()") {
  CHECK(printable("eu-west") == "eu-west");
  CHECK(quote("maybe") == "'maybe'");
  CHECK(quote("") == "''");
  CHECK(printable("Frankfurt \xc3\xa4 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "Frankfurt \xc3\xa4 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST_CASE("printable: control characters and bytes that are not UTF-8 are escaped") {
  CHECK(printable(std::string("a\r\nb\tc\0d", 8)) == "a\\r\\nb\\tc\\0d");
  CHECK(printable("\x1b[31m\x7f") == "\\x1B[31m\\x7F");
  // C1 controls: U+009B is a terminal's CSI.
  CHECK(printable("x\xc2\x9b") == "x\\xC2\\x9B");
  CHECK(printable("\xff\xfe") == "\\xFF\\xFE");
  CHECK(printable("\xc3") == "\\xC3");                    // truncated sequence
  CHECK(printable("\xc0\xaf") == "\\xC0\\xAF");           // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xED\\xA0\\x80");  // UTF-16 surrogate
}

TEST_CASE("printable: at most 80 characters, then an ellipsis, escapes are never split") {
  CHECK(printable(std::string(80, 'x')) == std::string(80, 'x'));
  CHECK(printable(std::string(81, 'x')) == std::string(80, 'x') + "…");
  CHECK(printable(std::string(2'000'000, 'x')).size() == 80 + std::string("…").size());
  // 79 characters, then a two-character escape that would make 81.
  CHECK(printable(std::string(79, 'x') + "\n") == std::string(79, 'x') + "…");
  std::string accents;
  for (int i = 0; i < 100; ++i)
    accents += "\xc3\xa4";
  std::string shown;
  for (int i = 0; i < 80; ++i)
    shown += "\xc3\xa4";
  CHECK(printable(accents) == shown + "…");
}

TEST_CASE("utf8_char_length: the length of a well-formed character, else 0") {
  CHECK(utf8_char_length("a", 0) == 1);
  CHECK(utf8_char_length("\xc3\xa4", 0) == 2);
  CHECK(utf8_char_length("\xe2\x82\xac", 0) == 3);
  CHECK(utf8_char_length("\xf0\x9f\x98\x80", 0) == 4);
  CHECK(utf8_char_length("\xf4\x90\x80\x80", 0) == 0);  // past U+10FFFF
  CHECK(utf8_char_length("\x80", 0) == 0);
}
