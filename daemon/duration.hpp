// Durations as written in the config and on the command line: `250ms`, `30s`, `5m`, `1h`,
// `30d`, and sums of them (`1m30s`).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

// Parses a non-negative duration. Each term is an integer followed by one of ms, s, m, h, d;
// terms may be chained largest first ("1h30m"); a bare 0 needs no unit. Rejects any other bare
// number, unknown units, signs, spaces, fractions and values beyond ~292 years, with a message
// that says which (quoting the text as quote() does).
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact spelling: 90000ms -> "1m30s", 250ms -> "250ms", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace faultline
