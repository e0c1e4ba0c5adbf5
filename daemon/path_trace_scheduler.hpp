// When the daemon traces a target's path (issue 20): when the target goes down with a failure
// that calls for it (checks/path_trace_target.hpp), then at most every trace_interval while it
// stays down, at most max_concurrent traces at once (the rest wait in line, one per target).
// Traces run beside the probes on the same loop and never hold one up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>

#include "checks/path_trace_target.hpp"
#include "checks/path_tracer.hpp"
#include "daemon/clock.hpp"

namespace faultline {

class PathTraceScheduler {
 public:
  using Done = std::function<void(const PathTrace&)>;

  // `clock` and `tracer` must outlive the scheduler.
  PathTraceScheduler(const Clock& clock, Tracer& tracer);
  // Cancels the running traces and drops the waiting ones, without calling back.
  ~PathTraceScheduler();
  PathTraceScheduler(const PathTraceScheduler&) = delete;
  PathTraceScheduler& operator=(const PathTraceScheduler&) = delete;

  // engine.trace_interval and engine.max_concurrent_traces (0: no traces from now on). Takes
  // effect for the next request.
  void configure(std::chrono::milliseconds interval, int max_concurrent);

  // A failed probe of a down target `target_id` calls for a trace to `where`; `went_down`
  // when this failure made it go down. Starts or queues one, and returns true, unless the
  // target has one running or waiting, traces are off, or (not went_down) its last trace began
  // less than the interval ago. `done` then runs on the loop thread with the trace, which
  // may be one that could not run (PathTrace::local_error).
  bool request(std::uint64_t target_id, const TraceTarget& where, bool went_down, Done done);

  // Cancels the target's running or waiting trace (no callback) and forgets when it last ran:
  // a target that was removed or changed by a reload.
  void forget(std::uint64_t target_id);

  std::size_t running() const { return running_.size(); }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Request {
    std::uint64_t target_id = 0;
    TraceTarget where;
    Done done;
  };
  void launch(Request request);
  void launch_waiting();
  void finished(std::uint64_t target_id, const Done& done, const PathTrace& trace);

  const Clock& clock_;
  Tracer& tracer_;
  std::chrono::milliseconds interval_{600'000};
  std::size_t max_concurrent_ = 4;
  std::unordered_map<std::uint64_t, std::int64_t> last_request_ms_;  // monotonic, per target
  std::unordered_map<std::uint64_t, Tracer::TraceId> running_;       // by target
  std::deque<Request> waiting_;
};

}  // namespace faultline
