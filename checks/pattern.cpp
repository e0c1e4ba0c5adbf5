#include "checks/pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <memory>

namespace faultline {
namespace {

std::string error_text(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  const int n = pcre2_get_error_message(code, buf.data(), buf.size());
  if (n < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* d) const { pcre2_match_data_free(d); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};

struct CompileContextDeleter {
  void operator()(pcre2_compile_context* c) const { pcre2_compile_context_free(c); }
};

std::uint32_t match_limit(PatternSubject subject) {
  return subject == PatternSubject::body ? kPatternMatchLimit : kReplyPatternMatchLimit;
}

std::string gave_up(int rc, PatternSubject subject) {
  switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
      return "the pattern exceeded its match limit (" + std::to_string(match_limit(subject)) +
             " backtracking steps)";
    case PCRE2_ERROR_DEPTHLIMIT:
      return "the pattern exceeded its backtracking depth limit";
    case PCRE2_ERROR_HEAPLIMIT:
      return "the pattern exceeded its memory limit (" +
             std::to_string(kPatternHeapLimitKiB / 1024) + " MiB)";
    case PCRE2_ERROR_JIT_STACKLIMIT:
      return "the pattern exceeded its backtracking stack";
    default:
      return "the search failed: " + error_text(rc);
  }
}

}  // namespace

Expected<Pattern, PatternError> Pattern::compile(std::string_view pattern, PatternSubject subject) {
  std::unique_ptr<pcre2_compile_context, CompileContextDeleter> context(
      pcre2_compile_context_create(nullptr));
  if (!context) return Unexpected<PatternError>{{0, "out of memory"}};
  std::uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  if (subject == PatternSubject::reply) {
    // A line protocol's reply is bytes, not text, and its lines end in CRLF as often as LF.
    options = PCRE2_MULTILINE;
    pcre2_set_newline(context.get(), PCRE2_NEWLINE_ANYCRLF);
  }
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                       options, &code, &offset, context.get());
  if (compiled == nullptr) {
    return Unexpected<PatternError>{{static_cast<std::size_t>(offset), error_text(code)}};
  }
  // Without JIT support (some architectures) the interpreter runs the same pattern, slower.
  pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  return Pattern(std::string(pattern), subject,
                 std::shared_ptr<pcre2_real_code_8>(compiled, pcre2_code_free));
}

Expected<std::optional<PatternMatch>, std::string> Pattern::search(std::string_view subject) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> context(
      pcre2_match_context_create(nullptr));
  if (!data || !context) return Unexpected<std::string>{"out of memory for the search"};
  pcre2_set_match_limit(context.get(), match_limit(subject_));
  pcre2_set_depth_limit(context.get(), match_limit(subject_));
  pcre2_set_heap_limit(context.get(), kPatternHeapLimitKiB);
  const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, data.get(), context.get());
  if (rc == PCRE2_ERROR_NOMATCH) return std::optional<PatternMatch>();
  if (rc < 0) return Unexpected<std::string>{gave_up(rc, subject_)};
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
  return std::optional<PatternMatch>(PatternMatch{ovector[0], ovector[1]});
}

}  // namespace faultline
