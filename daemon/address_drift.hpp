// Address drift (issue 20): every target remembers the address of its last success, so that a
// failure from another address can say so — the stale-DNS case, where a name now points at a
// machine that is gone or was never the service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "checks/probe_result.hpp"

namespace faultline {

class AddressDrift {
 public:
  // Learns from `result` of target `target_id` at unix ms `now_ms`: a success's address is
  // remembered; for a failure whose address (ProbeResult::remote_addr, without the port) is
  // not the last success's, returns the note for its message: "resolves to 10.0.0.9 now; the
  // last success was via 10.0.0.5, 12 minutes ago". nullopt otherwise (no address, no success
  // yet, the same address).
  std::optional<std::string> observe(std::uint64_t target_id, const ProbeResult& result,
                                     std::int64_t now_ms);

  // Forgets a target that was removed or changed.
  void forget(std::uint64_t target_id) { last_success_.erase(target_id); }

 private:
  struct Success {
    std::string address;
    std::int64_t at_ms = 0;
  };
  std::unordered_map<std::uint64_t, Success> last_success_;
};

// "45 seconds", "12 minutes", "3 hours", "2 days": how long ago, roughly.
std::string rough_age(std::int64_t ms);

}  // namespace faultline
