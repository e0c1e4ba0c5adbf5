#include "daemon/address_drift.hpp"

#include "checks/path_trace_target.hpp"

namespace faultline {
namespace {

std::string address_of(const ProbeResult& result) {
  const auto split = split_socket_address(result.remote_addr);
  return split ? split->address : std::string();
}

std::string count(std::int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

std::string rough_age(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  if (s < 90) return count(s, "second");
  if (s < 90 * 60) return count((s + 30) / 60, "minute");
  if (s < 48 * 3600) return count((s + 1800) / 3600, "hour");
  return count((s + 43'200) / 86'400, "day");
}

std::optional<std::string> AddressDrift::observe(std::uint64_t target_id, const ProbeResult& result,
                                                 std::int64_t now_ms) {
  const std::string address = address_of(result);
  if (address.empty()) return std::nullopt;
  if (result.ok()) {
    last_success_[target_id] = Success{address, now_ms};
    return std::nullopt;
  }
  const auto it = last_success_.find(target_id);
  if (it == last_success_.end() || it->second.address == address) return std::nullopt;
  return "resolves to " + address + " now; the last success was via " + it->second.address + ", " +
         rough_age(now_ms - it->second.at_ms) + " ago";
}

}  // namespace faultline
