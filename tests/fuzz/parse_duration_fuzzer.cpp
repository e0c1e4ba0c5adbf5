// parse_duration over arbitrary text: it never crashes, and whatever it accepts, format_duration
// writes back as text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/duration.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = faultline::parse_duration(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(parsed->count() >= 0, "negative duration %lld",
             static_cast<long long>(parsed->count()));
  const std::string written = faultline::format_duration(*parsed);
  auto again = faultline::parse_duration(written);
  FUZZ_CHECK(again && *again == *parsed, "'%s' does not parse back to %lld ms", written.c_str(),
             static_cast<long long>(parsed->count()));
  return 0;
}
