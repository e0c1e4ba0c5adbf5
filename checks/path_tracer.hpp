// Runs path traces on the libuv loop (PathTcpProbes and PathEchoProbes side by side, a
// uv_timer for the deadline) and hands each one's PathTrace to its callback. Never blocks and
// never throws: a trace that cannot run (no descriptors left) ends with PathTrace::local_error.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "checks/path_trace.hpp"

namespace faultline {

// What runs traces, as the daemon sees it: PathTracer, or a recording fake in tests.
class Tracer {
 public:
  using TraceId = std::uint64_t;
  using TraceCallback = std::function<void(PathTrace)>;

  virtual ~Tracer() = default;
  // As PathTracer::start.
  virtual TraceId start(const std::string& address, int port, TraceOptions options,
                        TraceCallback done) = 0;
  // Ends the trace without calling its callback; unknown ids are ignored.
  virtual void cancel(TraceId id) = 0;
};

class PathTracer final : public Tracer {
 public:
  // The loop must outlive the tracer and run again after it is destroyed.
  explicit PathTracer(uv_loop_t* loop);
  // Cancels every running trace (no callbacks).
  ~PathTracer() override;
  PathTracer(const PathTracer&) = delete;
  PathTracer& operator=(const PathTracer&) = delete;

  // Traces the path to numeric `address` ("192.0.2.1", "2001:db8::1") and TCP `port`. `done`
  // runs once on the loop thread (never inside start()) when every probe is answered, when the
  // answers settle the verdict, or at options.timeout; it may start or cancel traces. Options
  // past the limits are clamped (max_hops 1 .. kMaxTraceHops, probes 1 ..
  // kMaxTraceProbesPerHop).
  TraceId start(const std::string& address, int port, TraceOptions options,
                TraceCallback done) override;

  void cancel(TraceId id) override;

  std::size_t in_flight() const { return traces_.size(); }

 private:
  class Trace;
  friend class Trace;
  void complete(TraceId id, PathTrace trace);

  uv_loop_t* loop_;
  TraceId next_id_ = 1;
  std::unordered_map<TraceId, std::unique_ptr<Trace>> traces_;
};

}  // namespace faultline
