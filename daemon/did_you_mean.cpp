#include "daemon/did_you_mean.hpp"

#include <algorithm>
#include <vector>

#include "checks/printable.hpp"

namespace faultline {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  for (std::string_view c : candidates) {
    // The distance is at least the difference in length; skipping those keeps a megabyte-long
    // word from costing its length times each candidate's.
    const std::size_t length_gap =
        word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (length_gap > best_distance) continue;
    std::size_t d = edit_distance(word, c);
    if (d <= best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean " + quote(best) + "?)";
}

}  // namespace faultline
