// A target's damped up/down state and the change from one state to another, as the daemon
// decides it and the sinks record it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checks/taxonomy.hpp"

namespace faultline {

enum class TargetState : std::uint8_t { unknown, up, down };

// "unknown", "up", "down".
std::string_view to_string(TargetState s);

// A target crossed a threshold. For changes to `down`, the class/phase/detail are those of the
// failure that completed the threshold; for changes to `up` they are ok/none/none.
struct StateChange {
  std::int64_t at_ms = 0;  // unix milliseconds
  TargetState from = TargetState::unknown;
  TargetState to = TargetState::unknown;
  FailureClass cls = FailureClass::ok;
  Phase phase = Phase::none;
  Detail detail = Detail::none;
  int http_status = 0;  // with Detail::http_status
  std::string message;
};

}  // namespace faultline
