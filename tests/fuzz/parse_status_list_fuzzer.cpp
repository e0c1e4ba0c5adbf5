// parse_status_list over arbitrary text: it never crashes, every accepted code lies in 100..599,
// and StatusSet::to_string() parses back to the same set.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/status_set.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = faultline::parse_status_list(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(!parsed->ranges().empty(), "an accepted list with no codes");
  for (const auto& [lo, hi] : parsed->ranges()) {
    FUZZ_CHECK(lo >= 100 && hi <= 599 && lo <= hi, "range %d-%d accepted", lo, hi);
  }
  const std::string written = parsed->to_string();
  auto again = faultline::parse_status_list(written);
  FUZZ_CHECK(again && *again == *parsed, "'%s' does not parse back to the same set",
             written.c_str());
  return 0;
}
