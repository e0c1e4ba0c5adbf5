#include "checks/byte_size.hpp"

#include <charconv>

#include "checks/printable.hpp"

namespace faultline {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = kKiB * 1024;
constexpr std::size_t kMax = kMiB * kMiB;  // 2^40: no size faultline takes comes near it

}  // namespace

std::string byte_size_text(std::size_t bytes) {
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " B";
}

Expected<std::size_t> parse_byte_size(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end == text.data()) {
    return unexpected("size " + quote(text) +
                      " must be a number of bytes such as 65536, 64KiB or 1MiB");
  }
  std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ')
    unit.remove_prefix(1);
  std::size_t scale = 1;
  if (unit == "KiB") {
    scale = kKiB;
  } else if (unit == "MiB") {
    scale = kMiB;
  } else if (!unit.empty() && unit != "B") {
    return unexpected("size " + quote(text) + " has an unknown unit " + quote(unit) +
                      "; use B, KiB or MiB");
  }
  if (ec == std::errc::result_out_of_range || value > kMax / scale) {
    return unexpected("size " + quote(text) + " is far too large");
  }
  return value * scale;
}

}  // namespace faultline
