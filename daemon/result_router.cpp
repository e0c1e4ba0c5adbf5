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
  // What is left are the targets that went: their traces and addresses go with them.
  for (const auto& [id, gone] : health_) {
    drift_.forget(id);
    if (traces_ != nullptr) traces_->forget(id);
    if (auto line = waiting_down_.extract(id)) spdlog::warn("{}", line.mapped());
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

void ResultRouter::on_probe_finished(const MonitoredTarget& target, const ProbeResult& probed) {
  // A failure from another address than the last success's says so (issue 20).
  std::optional<ProbeResult> drifted;
  if (auto note = drift_.observe(target.id, probed, clock_.unix_ms())) {
    drifted = probed;
    drifted->message += "; " + *note;
  }
  const ProbeResult& result = drifted ? *drifted : probed;
  if (!result.ok()) {
    spdlog::debug("{}: {}/{} ({}): {}", target.info.name, to_string(result.cls),
                  detail_text(result), to_string(result.phase), result.message);
  }
  TargetHealth& health = health_of(target);
  const auto change = health.observe(result, clock_.unix_ms());
  for (ResultSink* sink : sinks_)
    sink->on_result(target.info, result);
  if (change) {
    // A DOWN line waits for the path trace that explains it.
    const bool down = change->to == TargetState::down;
    if (!down || !request_trace(target, result, down_line(target, health, *change, result))) {
      log_change(target, health, *change, result);
    }
    for (ResultSink* sink : sinks_)
      sink->on_state_change(target.info, *change);
  } else if (!result.ok() && health.state() == TargetState::down) {
    request_trace(target, result, "");
  }
  for (ResultObserver* observer : observers_)
    observer->on_probe_result(target, result);
}

void ResultRouter::log_change(const MonitoredTarget& target, const TargetHealth& health,
                              const StateChange& change, const ProbeResult& result) const {
  if (change.to == TargetState::down) {
    spdlog::warn("{}", down_line(target, health, change, result));
  } else {
    spdlog::info("{} is UP ({} -> up)", target.info.name, to_string(change.from));
  }
}

std::string ResultRouter::down_line(const MonitoredTarget& target, const TargetHealth& health,
                                    const StateChange& change, const ProbeResult& result) const {
  std::string what(to_string(change.cls));
  if (change.detail != Detail::none) what += "/" + detail_text(result);
  return target.info.name + " is DOWN after " + std::to_string(health.consecutive_failures()) +
         " failures: " + what + " during " + std::string(to_string(change.phase)) + ": " +
         change.message;
}

bool ResultRouter::request_trace(const MonitoredTarget& target, const ProbeResult& result,
                                 std::string down) {
  if (traces_ == nullptr || !failure_warrants_trace(result)) return false;
  const std::optional<TraceTarget> where = trace_target(*target.spec, result);
  if (!where) return false;
  // announce_targets cancels the trace of a target that goes, so `target` outlives it.
  const MonitoredTarget* traced = &target;
  const bool went_down = !down.empty();
  const bool requested =
      traces_->request(target.id, *where, went_down, [this, traced](const PathTrace& trace) {
        auto line = waiting_down_.extract(traced->id);
        on_path_trace(*traced, trace, line ? line.mapped() : std::string());
      });
  if (requested && went_down) waiting_down_[target.id] = std::move(down);
  return requested;
}

void ResultRouter::on_path_trace(const MonitoredTarget& target, const PathTrace& trace,
                                 const std::string& down) const {
  const std::string& name = target.info.name;
  if (!trace.ran()) {
    // The trace's own trouble, not the target's.
    spdlog::warn("{}: path trace to {} port {} could not run (local): {}", name, trace.address,
                 trace.port, trace.local_error);
  }
  if (!down.empty()) {
    spdlog::warn("{}", trace.ran() ? down + "; " + path_sentence(trace) : down);
  } else if (trace.ran()) {
    spdlog::info("{} is still down: {}", name, path_sentence(trace));
  }
  for (ResultSink* sink : sinks_)
    sink->on_path_trace(target.info, trace);
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
  for (auto& [id, line] : waiting_down_)
    spdlog::warn("{}", line);
  waiting_down_.clear();
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
