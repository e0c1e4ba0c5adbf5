// A regular expression checked against what a server sent: a response body that must or must not
// match (expect_body, reject_body), or the reply of a tcp:// or tls:// conversation (expect).
// PCRE2, compiled once when the config is loaded, searched with bounded work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

struct pcre2_real_code_8;

namespace faultline {

// The most backtracking steps one search may take (PCRE2's match limit; its own default is ten
// times this). A pattern with nested repeats such as (a+)+ against a hostile body gives up
// here instead of running for hours; measured in bench/body_check_bench.cpp and
// docs/BENCHMARKS.md: a search that reaches the limit takes a few milliseconds with PCRE2's
// JIT, tens without it.
inline constexpr std::uint32_t kPatternMatchLimit = 1'000'000;
// A reply's pattern is searched on the event loop, again as each piece of the reply arrives: a
// tenth of a body's work, so no reply can hold the loop for more than a millisecond or so.
inline constexpr std::uint32_t kReplyPatternMatchLimit = 100'000;

// What a pattern is searched in, which decides how it is compiled.
enum class PatternSubject : std::uint8_t {
  // A response body: UTF-8 (invalid bytes never match a character), ^ and $ at the ends of the
  // body ((?m) changes that), kPatternMatchLimit.
  body,
  // The bytes of a line protocol's reply: byte by byte (\xff is the byte 0xff), ^ and $ at
  // every line, CR, LF and CRLF all ending one (`^\+PONG$` matches "+PONG\r\n"),
  // kReplyPatternMatchLimit.
  reply,
};

// The most heap memory the interpreter may take for its backtracking, in KiB (the JIT uses a
// fixed machine stack instead and stops at its end).
inline constexpr std::uint32_t kPatternHeapLimitKiB = 20 * 1024;

// Why a pattern did not compile: PCRE2's message and the offset (in bytes, from 0) in the
// pattern where it stopped.
struct PatternError {
  std::size_t offset = 0;
  std::string message;
};

// Where a search found the pattern: bytes [begin, end) of the subject.
struct PatternMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// An immutable compiled pattern, cheap to copy (the compiled code is shared). Searching is
// thread-safe: each search has its own match data.
class Pattern {
 public:
  // Compiles `pattern` for `subject` (PatternSubject), case-sensitive ((?i), (?m), (?s) change
  // that), and JIT-compiles it when PCRE2 can. Subjects may hold any bytes.
  static Expected<Pattern, PatternError> compile(std::string_view pattern,
                                                 PatternSubject subject = PatternSubject::body);

  // The first match in `subject`, nullopt when there is none. Error: the search gave up (the
  // match limit, the heap limit or the JIT stack was reached, or PCRE2 failed otherwise); the
  // message says which, in words for a person.
  Expected<std::optional<PatternMatch>, std::string> search(std::string_view subject) const;

  // The pattern as written.
  const std::string& text() const { return text_; }

  // Patterns are equal when they are written alike, for the same subject.
  bool operator==(const Pattern& o) const { return text_ == o.text_ && subject_ == o.subject_; }

 private:
  Pattern(std::string text, PatternSubject subject, std::shared_ptr<pcre2_real_code_8> code)
      : text_(std::move(text)), subject_(subject), code_(std::move(code)) {}

  std::string text_;
  PatternSubject subject_;
  std::shared_ptr<pcre2_real_code_8> code_;
};

}  // namespace faultline
