// Sizes in bytes as the config writes them (body_limit: 64KiB) and as messages show them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

// "64 KiB", "1 MiB", "1536 B": the largest binary unit that divides `bytes` exactly.
std::string byte_size_text(std::size_t bytes);

// Parses a whole number of bytes with an optional unit: "65536", "512B", "64KiB", "1MiB" (units
// are binary and case-sensitive; white space between number and unit is allowed). Error: no
// number, an unknown unit (with the ones there are), or more than 2^40 bytes.
Expected<std::size_t> parse_byte_size(std::string_view text);

}  // namespace faultline
