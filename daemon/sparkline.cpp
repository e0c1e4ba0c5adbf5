#include "daemon/sparkline.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace faultline {
namespace {

constexpr std::array<std::string_view, 8> kBlocks = {"\u2581", "\u2582", "\u2583", "\u2584",
                                                     "\u2585", "\u2586", "\u2587", "\u2588"};
constexpr std::string_view kAscii = "_.:-=+*#";

}  // namespace

std::string sparkline(std::span<const std::optional<std::int64_t>> counts, Charset charset) {
  std::int64_t most = 0;
  for (const auto& c : counts)
    if (c) most = std::max(most, *c);
  std::string out;
  for (const auto& c : counts) {
    if (!c) {
      out += ' ';
      continue;
    }
    std::size_t level = 0;
    if (*c > 0) {
      // ceil(7 * c / most): 1 for the smallest counts, 7 for the largest.
      level = static_cast<std::size_t>((7 * *c + most - 1) / most);
    }
    if (charset == Charset::unicode) {
      out += kBlocks[level];
    } else {
      out += kAscii[level];
    }
  }
  return out;
}

}  // namespace faultline
