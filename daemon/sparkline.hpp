// A sparkline: counts over time as one character each, for a terminal line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace faultline {

enum class Charset { unicode, ascii };

// One character per count, oldest first. nullopt (no data for that slice) is a space; 0 is the
// lowest mark (U+2581, or '_'); other counts are scaled against the largest onto the seven
// marks above it (U+2582..U+2588, or ".:-=+*#"), rounding up, so that a single failure among
// hundreds still shows.
std::string sparkline(std::span<const std::optional<std::int64_t>> counts, Charset charset);

}  // namespace faultline
