#include "daemon/idle_monitor.hpp"

#include <spdlog/spdlog.h>

#include "checks/idle_experiment.hpp"
#include "daemon/schedule_math.hpp"

namespace faultline {

struct IdleMonitor::Entry {
  const MonitoredTarget* target = nullptr;
  std::unique_ptr<UvTimer> timer;
  std::unique_ptr<Run> run;
  bool queued = false;
  std::optional<IdleFinding> last;
};

namespace {

struct ExperimentRun final : IdleMonitor::Run {
  std::unique_ptr<IdleExperiment> experiment;
};

bool same_verdict(const IdleFinding& a, const IdleFinding& b) {
  return a.kind == b.kind && a.threshold_low_s == b.threshold_low_s &&
         a.threshold_high_s == b.threshold_high_s && a.keepalive_verified == b.keepalive_verified;
}

}  // namespace

IdleMonitor::Runner IdleMonitor::experiment_runner(uv_loop_t* loop) {
  return [loop](const MonitoredTarget& target, std::function<void(IdleFinding)> done) {
    auto run = std::make_unique<ExperimentRun>();
    IdleBracketOptions options;
    options.keepalive_check = target.config.idle_probe->keepalive_check;
    run->experiment = std::make_unique<IdleExperiment>(
        loop, target.spec, target.config.idle_probe->ladder, options,
        [done = std::move(done)](const IdleFinding& f, const std::vector<IdleStepResult>&) {
          done(f);
        });
    run->experiment->start();
    return run;
  };
}

IdleMonitor::IdleMonitor(uv_loop_t* loop, const Clock& clock, std::vector<ResultSink*> sinks,
                         Runner runner, Options options)
    : loop_(loop),
      clock_(clock),
      sinks_(std::move(sinks)),
      runner_(std::move(runner)),
      options_(options) {}

IdleMonitor::~IdleMonitor() {
  stop();
}

void IdleMonitor::set_targets(const std::vector<const MonitoredTarget*>& targets) {
  if (stopped_) return;
  std::map<std::string, const MonitoredTarget*> wanted;
  for (const MonitoredTarget* t : targets) {
    if (t->config.idle_probe) wanted[t->info.name] = t;
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second->target) {
      if (it->second->run) --running_;
      it = entries_.erase(it);  // abandons a running experiment
    } else {
      ++it;
    }
  }
  for (const auto& [name, target] : wanted) {
    if (entries_.count(name)) continue;
    auto entry = std::make_unique<Entry>();
    entry->target = target;
    entry->timer = std::make_unique<UvTimer>(loop_);
    const auto delay = start_offset(name, options_.first_run_spread);
    entry->timer->start(static_cast<std::uint64_t>(delay.count()), [this, n = name] { due(n); });
    entries_[name] = std::move(entry);
  }
  start_queued();
}

void IdleMonitor::due(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second->run || it->second->queued) return;
  it->second->queued = true;
  queue_.push_back(name);
  start_queued();
}

void IdleMonitor::start_queued() {
  while (!stopped_ && running_ < options_.max_concurrent && !queue_.empty()) {
    const std::string name = queue_.front();
    queue_.pop_front();
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second->queued) continue;
    launch(*it->second);
  }
}

void IdleMonitor::launch(Entry& e) {
  e.queued = false;
  ++running_;
  const MonitoredTarget* target = e.target;
  spdlog::debug("{}: idle-connection experiment started", target->info.name);
  e.run = runner_(*target, [this, name = target->info.name, target](IdleFinding f) {
    finished(name, target, std::move(f));
  });
}

void IdleMonitor::finished(const std::string& name, const MonitoredTarget* target,
                           IdleFinding finding) {
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second->target != target) return;
  Entry& e = *it->second;
  --running_;
  // Released on the next loop turn: we are inside the experiment's own callback.
  auto finished_run = std::make_shared<std::unique_ptr<Run>>(std::move(e.run));
  auto reaper = std::make_shared<UvTimer>(loop_);
  reaper->start(0, [finished_run, reaper]() mutable {
    finished_run.reset();
    reaper.reset();
  });

  const bool changed = !e.last || !same_verdict(*e.last, finding);
  if (changed) {
    const bool bad = finding.kind == IdleFindingKind::middlebox_reset ||
                     finding.kind == IdleFindingKind::server_reset;
    if (bad) {
      spdlog::warn("{}: {}", name, finding.summary);
    } else {
      spdlog::info("{}: {}", name, finding.summary);
    }
  }
  e.last = finding;
  const std::int64_t now = clock_.unix_ms();
  for (ResultSink* sink : sinks_)
    sink->on_idle_finding(target->info, finding, now);
  e.timer->start(static_cast<std::uint64_t>(options_.rerun.count()), [this, name] { due(name); });
  start_queued();
}

void IdleMonitor::stop() {
  stopped_ = true;
  queue_.clear();
  entries_.clear();
  running_ = 0;
}

std::optional<IdleFinding> IdleMonitor::last_finding(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? std::nullopt : it->second->last;
}

}  // namespace faultline
