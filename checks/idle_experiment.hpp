// The idle-reset experiment for one target: runs the IdleBracket's batches of IdleSteps in
// parallel until the threshold is bracketed (and the keepalive fix verified), then reports the
// finding.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/idle_step.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

class IdleExperiment {
 public:
  using Done = std::function<void(const IdleFinding&, const std::vector<IdleStepResult>&)>;
  using Progress = std::function<void(const IdleStepResult&)>;

  // `done` is called once from a loop callback; the owner may destroy the experiment in it.
  // At most ladder size + 1 connections are open at a time.
  IdleExperiment(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec,
                 std::vector<std::chrono::milliseconds> ladder, IdleBracketOptions options,
                 Done done, Progress progress = nullptr);
  IdleExperiment(const IdleExperiment&) = delete;
  IdleExperiment& operator=(const IdleExperiment&) = delete;

  void start();

 private:
  void run_batch();
  void step_done(int id, IdleStepResult result);

  uv_loop_t* loop_;
  std::shared_ptr<const ProbeSpec> spec_;
  IdleBracket bracket_;
  Done done_;
  Progress progress_;
  int next_id_ = 0;
  std::map<int, std::unique_ptr<IdleStep>> running_;
  std::vector<std::unique_ptr<IdleStep>> finished_;
};

}  // namespace faultline
