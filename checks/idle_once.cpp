#include "checks/idle_once.hpp"

#include <uv.h>

#include <mutex>
#include <optional>

#include "checks/idle_experiment.hpp"

namespace faultline {

IdleReport idle_experiment_once(std::shared_ptr<const ProbeSpec> spec,
                                std::vector<std::chrono::milliseconds> ladder,
                                IdleBracketOptions options,
                                std::function<void(const IdleStepResult&)> progress) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::optional<IdleReport> report;
  {
    IdleExperiment experiment(
        &loop, std::move(spec), std::move(ladder), options,
        [&](const IdleFinding& f, const std::vector<IdleStepResult>& steps) {
          report = IdleReport{f, steps};
        },
        std::move(progress));
    experiment.start();
    while (!report && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return report.value_or(IdleReport{});
}

}  // namespace faultline
