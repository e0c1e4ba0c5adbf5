#include "daemon/result_router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

namespace faultline {

ResultRouter::ResultRouter(const Clock& clock, std::vector<ResultSink*> sinks, ProcessSink* process)
    : clock_(clock), sinks_(std::move(sinks)), process_(process) {}

void ResultRouter::add_observer(ResultObserver& observer) {
  observers_.push_back(&observer);
}

void ResultRouter::announce_targets(const std::vector<const MonitoredTarget*>& targets) {
  std::unordered_map<std::uint64_t, TargetHealth> kept;
  kept.reserve(targets.size());
  std::vector<const TargetInfo*> infos;
  infos.reserve(targets.size());
  for (const MonitoredTarget* t : targets) {
    auto it = health_.find(t->id);
    if (it != health_.end()) {
      kept.insert(health_.extract(it));  // moves the node: no allocation per kept target
    } else {
      kept.emplace(t->id, TargetHealth(t->config.failure_threshold, t->config.success_threshold));
    }
    infos.push_back(&t->info);
  }
  health_ = std::move(kept);
  for (ResultSink* sink : sinks_)
    sink->on_targets(infos);
}

TargetHealth& ResultRouter::health_of(const MonitoredTarget& target) {
  auto it = health_.find(target.id);
  if (it == health_.end()) {
    // Not announced (a caller that skipped announce_targets): track it from now on.
    it = health_
             .emplace(target.id, TargetHealth(target.config.failure_threshold,
                                              target.config.success_threshold))
             .first;
  }
  return it->second;
}

void ResultRouter::on_probe_started(const MonitoredTarget&, std::int64_t lag_ms) {
  if (process_ != nullptr) process_->on_schedule_lag(lag_ms);
}

void ResultRouter::on_probe_finished(const MonitoredTarget& target, const ProbeResult& result) {
  if (!result.ok()) {
    spdlog::debug("{}: {}/{} ({}): {}", target.info.name, to_string(result.cls),
                  detail_text(result), to_string(result.phase), result.message);
  }
  TargetHealth& health = health_of(target);
  const auto change = health.observe(result, clock_.unix_ms());
  for (ResultSink* sink : sinks_)
    sink->on_result(target.info, result);
  if (change) {
    log_change(target, health, *change, result);
    for (ResultSink* sink : sinks_)
      sink->on_state_change(target.info, *change);
  }
  for (ResultObserver* observer : observers_)
    observer->on_probe_result(target, result);
}

void ResultRouter::log_change(const MonitoredTarget& target, const TargetHealth& health,
                              const StateChange& change, const ProbeResult& result) const {
  if (change.to == TargetState::down) {
    std::string what(to_string(change.cls));
    if (change.detail != Detail::none) what += "/" + detail_text(result);
    spdlog::warn("{} is DOWN after {} failures: {} during {}: {}", target.info.name,
                 health.consecutive_failures(), what, to_string(change.phase), change.message);
  } else {
    spdlog::info("{} is UP ({} -> up)", target.info.name, to_string(change.from));
  }
}

void ResultRouter::on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                                   std::int64_t at_ms) {
  for (ResultSink* sink : sinks_)
    sink->on_idle_finding(target, finding, at_ms);
}

void ResultRouter::on_reload(bool ok, std::int64_t unix_seconds) {
  if (process_ != nullptr) process_->on_reload(ok, unix_seconds);
}

void ResultRouter::on_stats(const SchedulerStats& stats) {
  if (process_ != nullptr) process_->on_stats(stats);
}

void ResultRouter::flush(std::chrono::milliseconds budget) {
  const auto end = std::chrono::steady_clock::now() + budget;
  for (ResultSink* sink : sinks_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    sink->flush(std::max(left, std::chrono::milliseconds(0)));
  }
}

std::optional<TargetState> ResultRouter::state(const MonitoredTarget& target) const {
  auto it = health_.find(target.id);
  if (it == health_.end()) return std::nullopt;
  return it->second.state();
}

}  // namespace faultline
