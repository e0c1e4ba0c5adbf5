// The one interface through which probe results and target state changes reach their consumers
// (storage, metrics, idle-reset analysis). The daemon calls every method on its event-loop
// thread, so an implementation must return quickly: queue, never block on disk or network.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/path_trace.hpp"
#include "checks/probe_result.hpp"
#include "sinks/target_info.hpp"
#include "sinks/target_state.hpp"

namespace faultline {

class ResultSink {
 public:
  virtual ~ResultSink() = default;

  // The configured target set, on start and after every successful reload, before any result of
  // a new target. Targets absent from `targets` are gone; forget their live state.
  virtual void on_targets(const std::vector<const TargetInfo*>& targets) = 0;

  // Every finished probe, ok or not.
  virtual void on_result(const TargetInfo& target, const ProbeResult& result) = 0;

  // Every up/down transition, exactly once.
  virtual void on_state_change(const TargetInfo& target, const StateChange& change) = 0;

  // The verdict of an idle-connection experiment (idle_probe targets), each time one ends,
  // at `at_ms` (unix milliseconds). Sinks that do not record findings ignore it.
  virtual void on_idle_finding(const TargetInfo& /*target*/, const IdleFinding& /*finding*/,
                               std::int64_t /*at_ms*/) {}

  // A path trace of `target` (issue 20), each time one ends: when the target went down with a
  // connect timeout or unreachable, and at most every engine.trace_interval while it stays
  // down. A trace that could not run (PathTrace::ran() false) says nothing about the target.
  // Sinks that do not record traces ignore it.
  virtual void on_path_trace(const TargetInfo& /*target*/, const PathTrace& /*trace*/) {}

  // Persist or publish everything accepted so far, waiting at most `budget`. Called once at
  // shutdown, after the last result.
  virtual void flush(std::chrono::milliseconds budget) = 0;
};

}  // namespace faultline
