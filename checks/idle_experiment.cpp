#include "checks/idle_experiment.hpp"

namespace faultline {

IdleExperiment::IdleExperiment(uv_loop_t* loop, std::shared_ptr<const ProbeSpec> spec,
                               std::vector<std::chrono::milliseconds> ladder,
                               IdleBracketOptions options, Done done, Progress progress)
    : loop_(loop),
      spec_(std::move(spec)),
      bracket_(std::move(ladder), options),
      done_(std::move(done)),
      progress_(std::move(progress)) {}

void IdleExperiment::start() {
  run_batch();
}

void IdleExperiment::run_batch() {
  // Steps of the previous batch are released here, outside their own callbacks.
  finished_.clear();
  const auto batch = bracket_.next_batch();
  if (batch.empty()) {
    Done done = std::move(done_);
    done(bracket_.finding(), bracket_.steps());
    return;
  }
  for (const IdleStepRequest& request : batch) {
    const int id = next_id_++;
    running_.emplace(
        id, std::make_unique<IdleStep>(loop_, spec_, request, [this, id](IdleStepResult r) {
          step_done(id, std::move(r));
        }));
  }
  for (auto& [id, step] : running_)
    step->start();
}

void IdleExperiment::step_done(int id, IdleStepResult result) {
  if (progress_) progress_(result);
  bracket_.record(result);
  auto it = running_.find(id);
  if (it != running_.end()) {
    finished_.push_back(std::move(it->second));
    running_.erase(it);
  }
  if (running_.empty()) run_batch();
}

}  // namespace faultline
