// The daemon's own numbers, beside the per-target data the ResultSinks get: how late probes
// start, how reloads went, and once a second the scheduler's counts. The router hands them on;
// `faultline run` wires the one implementation, which publishes them as the exporter's process
// metrics, so changing how they are published is a change in one place.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faultline {

// The scheduler's counts, as they stand.
struct SchedulerStats {
  std::size_t probes_in_flight = 0;
  // Ticks not started since the daemon started (see Scheduler::skipped_total).
  std::uint64_t probes_skipped_total = 0;
};

// Called on the loop thread; an implementation must return without blocking.
class ProcessSink {
 public:
  virtual ~ProcessSink() = default;
  // One probe's start delay against its planned start.
  virtual void on_schedule_lag(std::int64_t lag_ms) = 0;
  // A reload ended: applied (`ok`) or refused, at `unix_seconds`.
  virtual void on_reload(bool ok, std::int64_t unix_seconds) = 0;
  // Once a second while the daemon runs.
  virtual void on_stats(const SchedulerStats& stats) = 0;
};

}  // namespace faultline
