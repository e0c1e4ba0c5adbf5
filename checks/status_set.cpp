#include "checks/status_set.hpp"

#include <charconv>

#include "checks/printable.hpp"

namespace faultline {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Expected<int> parse_code(std::string_view s) {
  s = trim(s);
  int code = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return unexpected(quote(s) + " is not a status code");
  }
  if (code < 100 || code > 599) {
    return unexpected("status code " + std::to_string(code) + " is outside 100-599");
  }
  return code;
}

}  // namespace

bool StatusSet::contains(int status) const {
  for (const auto& [lo, hi] : ranges_) {
    if (status >= lo && status <= hi) return true;
  }
  return false;
}

std::string StatusSet::to_string() const {
  std::string out;
  for (const auto& [lo, hi] : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(lo);
    if (hi != lo) out += '-' + std::to_string(hi);
  }
  return out;
}

Expected<std::pair<int, int>> parse_status_item(std::string_view text) {
  text = trim(text);
  auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto code = parse_code(text);
    if (!code) return unexpected(code.error());
    return std::pair{*code, *code};
  }
  auto lo = parse_code(text.substr(0, dash));
  if (!lo) return unexpected(lo.error());
  auto hi = parse_code(text.substr(dash + 1));
  if (!hi) return unexpected(hi.error());
  if (*lo > *hi) {
    return unexpected("status range " + quote(text) + " is descending");
  }
  return std::pair{*lo, *hi};
}

Expected<StatusSet> parse_status_list(std::string_view text) {
  std::vector<std::pair<int, int>> ranges;
  while (true) {
    auto comma = text.find(',');
    auto item = parse_status_item(text.substr(0, comma));
    if (!item) return unexpected(item.error());
    ranges.push_back(*item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return StatusSet(std::move(ranges));
}

}  // namespace faultline
