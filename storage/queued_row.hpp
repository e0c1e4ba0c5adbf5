// What travels from the event loop to the writer thread: copies of the sink calls' arguments,
// reduced to what the database stores, so the loop never shares live data with the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/path_trace.hpp"
#include "checks/probe_result.hpp"
#include "sinks/target_info.hpp"
#include "sinks/target_state.hpp"

namespace faultline {

// A target as the `targets` table records it. Shared, immutable: every row of a target points
// at one copy, so rows stay self-describing even when the on_targets row before them was
// dropped from a full queue.
struct TargetRecord {
  std::string name;
  std::string url;
  Scheme kind = Scheme::http;
  Labels labels;

  bool operator==(const TargetRecord&) const = default;
};
using TargetRef = std::shared_ptr<const TargetRecord>;

// on_targets: the configured set, recorded as seen at `at_ms`.
struct TargetsRow {
  std::int64_t at_ms = 0;
  std::vector<TargetRef> targets;
};

// on_result: one probe. `message` and `remote_addr` are left empty for successes that only feed
// the rollups (record_successes off), which keeps the queue small.
struct ResultRow {
  TargetRef target;
  std::int64_t time_ms = 0;
  FailureClass cls = FailureClass::ok;
  Phase phase = Phase::none;
  std::string detail;  // detail_text(): the status code for Detail::http_status
  int http_status = 0;
  int sys_errno = 0;
  std::string message;
  Timings timings;
  std::string remote_addr;
  bool reused = false;
  std::optional<std::int64_t> idle_ms;
  bool slow = false;  // ProbeResult::slow: counted in the rollup's `slow`
};

// on_state_change.
struct StateRow {
  TargetRef target;
  StateChange change;
};

// on_idle_finding.
struct IdleRow {
  TargetRef target;
  std::int64_t at_ms = 0;
  IdleFinding finding;
};

// on_path_trace: a trace that ran (one that could not says nothing about the target).
struct PathTraceRow {
  TargetRef target;
  PathTrace trace;
};

using QueuedRow = std::variant<TargetsRow, ResultRow, StateRow, IdleRow, PathTraceRow>;

}  // namespace faultline
