#include "daemon/result_router.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace faultline {

void ResultRouter::on_probe_started(const MonitoredTarget&, std::int64_t lag_ms) {
  if (on_lag_) on_lag_(lag_ms);
}

void ResultRouter::on_probe_finished(MonitoredTarget& target, const ProbeResult& result) {
  if (!result.ok()) {
    spdlog::debug("{}: {}/{} ({}): {}", target.info.name, to_string(result.cls),
                  detail_text(result), to_string(result.phase), result.message);
  }
  const auto change = target.health.observe(result, clock_.unix_ms());
  for (ResultSink* sink : sinks_)
    sink->on_result(target.info, result);
  if (!change) return;
  if (change->to == TargetState::down) {
    std::string what(to_string(change->cls));
    if (change->detail != Detail::none) what += "/" + detail_text(result);
    spdlog::warn("{} is DOWN after {} failures: {} during {}: {}", target.info.name,
                 target.health.consecutive_failures(), what, to_string(change->phase),
                 change->message);
  } else {
    spdlog::info("{} is UP ({} -> up)", target.info.name, to_string(change->from));
  }
  for (ResultSink* sink : sinks_)
    sink->on_state_change(target.info, *change);
}

void ResultRouter::announce_targets(const std::vector<const TargetInfo*>& targets) {
  for (ResultSink* sink : sinks_)
    sink->on_targets(targets);
}

void ResultRouter::flush(std::chrono::milliseconds budget) {
  const auto end = std::chrono::steady_clock::now() + budget;
  for (ResultSink* sink : sinks_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    sink->flush(std::max(left, std::chrono::milliseconds(0)));
  }
}

}  // namespace faultline
