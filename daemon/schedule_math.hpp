// Where in its interval each target fires. Pure functions of the name and the interval, so
// 10,000 targets with one interval spread out instead of firing together, and a restarted
// daemon probes each target at the same phase as before.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace faultline {

// A deterministic offset in [0, interval) derived from a hash of `name`.
std::chrono::milliseconds start_offset(std::string_view name, std::chrono::milliseconds interval);

// The first time >= now_unix_ms at which the target fires: the smallest t with
// (t - offset) a multiple of interval, counting from the unix epoch.
std::int64_t first_due_unix_ms(std::int64_t now_unix_ms, std::chrono::milliseconds interval,
                               std::chrono::milliseconds offset);

}  // namespace faultline
