#include "checks/body_pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>

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

std::string gave_up(int rc) {
  switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
      return "the pattern exceeded its match limit (" + std::to_string(kBodyPatternMatchLimit) +
             " backtracking steps)";
    case PCRE2_ERROR_DEPTHLIMIT:
      return "the pattern exceeded its backtracking depth limit";
    case PCRE2_ERROR_HEAPLIMIT:
      return "the pattern exceeded its memory limit (" +
             std::to_string(kBodyPatternHeapLimitKiB / 1024) + " MiB)";
    case PCRE2_ERROR_JIT_STACKLIMIT:
      return "the pattern exceeded its backtracking stack";
    default:
      return "the search failed: " + error_text(rc);
  }
}

}  // namespace

Expected<BodyPattern, PatternError> BodyPattern::compile(std::string_view pattern) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, nullptr);
  if (compiled == nullptr) {
    return Unexpected<PatternError>{{static_cast<std::size_t>(offset), error_text(code)}};
  }
  // Without JIT support (some architectures) the interpreter runs the same pattern, slower.
  pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  return BodyPattern(std::string(pattern),
                     std::shared_ptr<pcre2_real_code_8>(compiled, pcre2_code_free));
}

Expected<std::optional<PatternMatch>, std::string> BodyPattern::search(
    std::string_view subject) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> context(
      pcre2_match_context_create(nullptr));
  if (!data || !context) return Unexpected<std::string>{"out of memory for the search"};
  pcre2_set_match_limit(context.get(), kBodyPatternMatchLimit);
  pcre2_set_depth_limit(context.get(), kBodyPatternMatchLimit);
  pcre2_set_heap_limit(context.get(), kBodyPatternHeapLimitKiB);
  const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, data.get(), context.get());
  if (rc == PCRE2_ERROR_NOMATCH) return std::optional<PatternMatch>();
  if (rc < 0) return Unexpected<std::string>{gave_up(rc)};
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
  return std::optional<PatternMatch>(PatternMatch{ovector[0], ovector[1]});
}

}  // namespace faultline
