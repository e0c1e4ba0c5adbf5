// The one route from a finished probe to the sinks. The scheduler reports to the router; the
// router owns every target's up/down state (a TargetHealth per configured target), logs state
// changes once (warning for down, info for up), and hands results, state changes, idle-connection
// findings, schedule lag, reload outcomes and the process's own numbers on to the sinks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "daemon/address_drift.hpp"
#include "daemon/clock.hpp"
#include "daemon/path_trace_scheduler.hpp"
#include "daemon/process_sink.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/target_health.hpp"
#include "sinks/result_sink.hpp"

namespace faultline {

// Learns from every finished probe once the sinks have it (the idle monitor's passive
// evidence), on the loop thread.
class ResultObserver {
 public:
  virtual ~ResultObserver() = default;
  virtual void on_probe_result(const MonitoredTarget& target, const ProbeResult& result) = 0;
};

class ResultRouter final : public SchedulerListener {
 public:
  // `sinks` get every target's data in this order; `process` (may be null) the process's own
  // numbers. Both must outlive the router.
  ResultRouter(const Clock& clock, std::vector<ResultSink*> sinks, ProcessSink* process);
  ResultRouter(const ResultRouter&) = delete;
  ResultRouter& operator=(const ResultRouter&) = delete;

  // `observer` hears of every result after the sinks, until the router goes.
  void add_observer(ResultObserver& observer);

  // Path traces (issue 20) from now on: a target that goes down with a connect timeout or
  // unreachable is traced through `traces` (which must outlive the router; null: none), and
  // its DOWN log line waits for the trace's verdict. Every trace goes to every sink.
  void set_path_traces(PathTraceScheduler* traces) { traces_ = traces; }

  // Makes `targets` the configured set (start and after each reload) and tells every sink.
  // A target keeps its state while it stays the same MonitoredTarget (unchanged by a reload);
  // a removed target's state is forgotten, and a changed one (a new MonitoredTarget) starts
  // over as unknown.
  void announce_targets(const std::vector<const MonitoredTarget*>& targets);

  // Sends `lag_ms` to the process sink.
  void on_probe_started(const MonitoredTarget& target, std::int64_t lag_ms) override;
  // Updates the target's state, then gives every sink the result and, when a threshold was
  // crossed, the state change (each sink sees the result first), then tells the observers.
  // A `local` result changes no state. A failure from another address than the target's last
  // success says so in its message (AddressDrift); a failure of a down target may start a path
  // trace (set_path_traces).
  void on_probe_finished(const MonitoredTarget& target, const ProbeResult& result) override;

  // An idle-connection verdict for `target`, reached at `at_ms` (unix ms), to every sink.
  void on_idle_finding(const TargetInfo& target, const IdleFinding& finding, std::int64_t at_ms);
  // A reload's outcome, to the process sink.
  void on_reload(bool ok, std::int64_t unix_seconds);
  // The scheduler's counts, to the process sink (once a second).
  void on_stats(const SchedulerStats& stats);

  // Flushes every sink in order, sharing `budget`: each gets what the ones before it left.
  // DOWN lines still waiting for their path trace are logged first, without a verdict.
  void flush(std::chrono::milliseconds budget);

  // The state the router holds for `target`; nullopt when it holds none (not announced, or
  // forgotten).
  std::optional<TargetState> state(const MonitoredTarget& target) const;

 private:
  TargetHealth& health_of(const MonitoredTarget& target);
  void log_change(const MonitoredTarget& target, const TargetHealth& health,
                  const StateChange& change, const ProbeResult& result) const;
  std::string down_line(const MonitoredTarget& target, const TargetHealth& health,
                        const StateChange& change, const ProbeResult& result) const;
  // Asks for a trace after `result` of a down target; `down` is its DOWN line when the result
  // made it go down (logged with the verdict), else "". True when a trace was started or queued.
  bool request_trace(const MonitoredTarget& target, const ProbeResult& result, std::string down);
  void on_path_trace(const MonitoredTarget& target, const PathTrace& trace,
                     const std::string& down) const;

  const Clock& clock_;
  std::vector<ResultSink*> sinks_;
  ProcessSink* process_;
  std::vector<ResultObserver*> observers_;
  // Keyed by MonitoredTarget::id, which no other target ever has: a target that replaced a
  // removed one at the same address does not inherit its state.
  std::unordered_map<std::uint64_t, TargetHealth> health_;
  PathTraceScheduler* traces_ = nullptr;
  // DOWN lines waiting for their trace's verdict, by target id: logged as they are when the
  // trace is cancelled (a reload removes the target, faultline stops).
  std::unordered_map<std::uint64_t, std::string> waiting_down_;
  AddressDrift drift_;
};

}  // namespace faultline
