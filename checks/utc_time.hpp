// Dates for people and for JSON, always in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace faultline {

// Now, in unix milliseconds (the system clock): the time every stored or printed instant uses.
std::int64_t unix_now_ms();

// `unix_seconds` formatted with strftime(3) `format` in UTC, e.g. "%Y-%m-%d %H:%M UTC".
std::string utc_text(std::int64_t unix_seconds, const char* format);

// "2026-11-27T10:00:00Z"
inline std::string iso8601_utc(std::int64_t unix_seconds) {
  return utc_text(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace faultline
