// Runs the idle-reset experiment once on a private event loop: for `faultline check --idle`
// and tests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

struct IdleReport {
  IdleFinding finding;
  std::vector<IdleStepResult> steps;
};

// Blocks the calling thread until the experiment ends (at least the longest ladder step).
// `progress`, if set, hears of each step as it ends.
IdleReport idle_experiment_once(std::shared_ptr<const ProbeSpec> spec,
                                std::vector<std::chrono::milliseconds> ladder,
                                IdleBracketOptions options,
                                std::function<void(const IdleStepResult&)> progress = nullptr);

}  // namespace faultline
