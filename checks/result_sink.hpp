// The one interface through which probe results and target state changes reach their consumers
// (storage, metrics, idle-reset analysis). The daemon calls every method on its event-loop
// thread, so an implementation must return quickly: queue, never block on disk or network.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/probe_result.hpp"
#include "checks/target_url.hpp"

namespace faultline {

// Label name -> value, sorted by name, as configured under a target's `labels:`.
using Labels = std::vector<std::pair<std::string, std::string>>;

// What consumers know of a target. The daemon keeps each TargetInfo at a stable address for as
// long as the target is configured unchanged, so a sink may key its own per-target data on the
// address as well as on the name.
struct TargetInfo {
  std::string name;
  std::string url;  // normalised URL text
  Scheme kind = Scheme::http;
  Labels labels;

  bool operator==(const TargetInfo&) const = default;
};

enum class TargetState : std::uint8_t { unknown, up, down };

// "unknown", "up", "down".
std::string_view to_string(TargetState s);

// A target crossed a threshold. For changes to `down`, the class/phase/detail are those of the
// failure that completed the threshold; for changes to `up` they are ok/none/none.
struct StateChange {
  std::int64_t at_ms = 0;  // unix milliseconds
  TargetState from = TargetState::unknown;
  TargetState to = TargetState::unknown;
  FailureClass cls = FailureClass::ok;
  Phase phase = Phase::none;
  Detail detail = Detail::none;
  int http_status = 0;  // with Detail::http_status
  std::string message;
};

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

  // Persist or publish everything accepted so far, waiting at most `budget`. Called once at
  // shutdown, after the last result.
  virtual void flush(std::chrono::milliseconds budget) = 0;
};

}  // namespace faultline
