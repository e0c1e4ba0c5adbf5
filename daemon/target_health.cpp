#include "daemon/target_health.hpp"

namespace faultline {

std::optional<StateChange> TargetHealth::observe(const ProbeResult& r, std::int64_t now_unix_ms) {
  if (r.cls == FailureClass::local) return std::nullopt;
  StateChange change;
  change.at_ms = now_unix_ms;
  change.from = state_;
  if (r.ok()) {
    failures_ = 0;
    ++successes_;
    if (state_ == TargetState::up || successes_ < success_threshold_) return std::nullopt;
    change.to = TargetState::up;
  } else {
    successes_ = 0;
    ++failures_;
    if (state_ == TargetState::down || failures_ < failure_threshold_) return std::nullopt;
    change.to = TargetState::down;
    change.cls = r.cls;
    change.phase = r.phase;
    change.detail = r.detail;
    change.http_status = r.http_status;
  }
  change.message = r.message;
  state_ = change.to;
  return change;
}

}  // namespace faultline
