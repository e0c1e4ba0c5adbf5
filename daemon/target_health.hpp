// Up/down state of one target, damped by thresholds so one lost probe is not an outage.
#pragma once

#include <cstdint>
#include <optional>

#include "checks/probe_result.hpp"
#include "sinks/target_state.hpp"

namespace faultline {

class TargetHealth {
 public:
  TargetHealth(int failure_threshold, int success_threshold)
      : failure_threshold_(failure_threshold), success_threshold_(success_threshold) {}

  // Feeds one result. Returns the state change it causes, if any: `down` after
  // failure_threshold consecutive failures, `up` after success_threshold consecutive
  // successes. `local` results describe this host, not the target, and change nothing.
  std::optional<StateChange> observe(const ProbeResult& result, std::int64_t now_unix_ms);

  TargetState state() const { return state_; }
  int consecutive_failures() const { return failures_; }
  int consecutive_successes() const { return successes_; }

 private:
  int failure_threshold_;
  int success_threshold_;
  TargetState state_ = TargetState::unknown;
  int failures_ = 0;
  int successes_ = 0;
};

}  // namespace faultline
