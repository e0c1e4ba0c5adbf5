// Where finished probes go: the target's up/down state is updated, state changes are logged
// once (warning for down, info for up), and the result and any change reach every sink.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "daemon/clock.hpp"
#include "daemon/scheduler.hpp"
#include "sinks/result_sink.hpp"

namespace faultline {

class ResultRouter final : public SchedulerListener {
 public:
  ResultRouter(const Clock& clock, std::vector<ResultSink*> sinks)
      : clock_(clock), sinks_(std::move(sinks)) {}

  // Called with every probe's schedule lag, e.g. to feed a histogram.
  void on_lag(std::function<void(std::int64_t lag_ms)> fn) { on_lag_ = std::move(fn); }

  void on_probe_started(const MonitoredTarget& target, std::int64_t lag_ms) override;
  void on_probe_finished(MonitoredTarget& target, const ProbeResult& result) override;

  // Tells every sink the configured set (start and after each reload).
  void announce_targets(const std::vector<const TargetInfo*>& targets);
  // Flushes every sink, sharing `budget` between them.
  void flush(std::chrono::milliseconds budget);

 private:
  const Clock& clock_;
  std::vector<ResultSink*> sinks_;
  std::function<void(std::int64_t)> on_lag_;
};

}  // namespace faultline
