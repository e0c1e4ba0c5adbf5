#include "daemon/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

#include "checks/printable.hpp"

namespace faultline {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Ordered so that "ms" is tried before "m".
constexpr std::array kUnits = {
    Unit{"ms", 1}, Unit{"s", 1000}, Unit{"m", 60'000}, Unit{"h", 3'600'000}, Unit{"d", 86'400'000},
};

}  // namespace

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string quoted = quote(text);
  if (text.empty()) return unexpected("empty duration; write e.g. 30s, 250ms, 5m, 1h or 30d");
  // Zero is zero in every unit: asking for one would only lead to the next message, that the
  // setting must be longer.
  if (text.find_first_not_of('0') == std::string_view::npos) return std::chrono::milliseconds(0);
  std::int64_t total = 0;
  std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
  std::string_view rest = text;
  while (!rest.empty()) {
    if (rest.front() < '0' || rest.front() > '9') {
      return unexpected("invalid duration " + quoted +
                        ": expected a whole number followed by ms, s, m, h or d");
    }
    std::int64_t value = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        return unexpected("duration " + quoted + " is too large");
      }
      value = value * 10 + (rest.front() - '0');
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      return unexpected("duration " + quoted + " has no unit; write e.g. " + std::to_string(value) +
                        "s");
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      if (rest.front() == '.') {
        return unexpected("duration " + quoted +
                          " has a fraction; use a smaller unit instead (1500ms, not 1.5s)");
      }
      return unexpected("duration " + quoted + " has an unknown unit; use ms, s, m, h or d");
    }
    if (unit->ms >= previous_unit) {
      return unexpected("duration " + quoted + " repeats or reorders units; write largest first");
    }
    previous_unit = unit->ms;
    if (value > (std::numeric_limits<std::int64_t>::max() - total) / unit->ms) {
      return unexpected("duration " + quoted + " is too large");
    }
    total += value * unit->ms;
    rest.remove_prefix(unit->name.size());
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t left = d.count();
  if (left == 0) return "0s";
  std::string out;
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (left >= it->ms) {
      out += std::to_string(left / it->ms);
      out += it->name;
      left %= it->ms;
    }
  }
  return out;
}

}  // namespace faultline
