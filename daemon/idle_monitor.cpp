#include "daemon/idle_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "checks/idle_experiment.hpp"
#include "daemon/schedule_math.hpp"

namespace faultline {

struct IdleMonitor::Entry {
  const MonitoredTarget* target = nullptr;
  std::unique_ptr<UvTimer> timer;  // experiments only
  std::unique_ptr<Run> run;
  bool queued = false;
  std::optional<IdleFinding> last;
  // The last experiment's verdict and steps, and the latest passive observations.
  std::optional<IdleFinding> experiment;
  std::vector<IdleStepResult> experiment_steps;
  std::deque<IdleStepResult> observed;
  // Observations since the verdict last went to the sinks, as counts the sinks add up.
  IdleFinding unreported;
  std::int64_t last_published_ms = 0;
};

namespace {

struct ExperimentRun final : IdleMonitor::Run {
  std::unique_ptr<IdleExperiment> experiment;
};

bool same_verdict(const IdleFinding& a, const IdleFinding& b) {
  return a.kind == b.kind && a.threshold_low_s == b.threshold_low_s &&
         a.threshold_high_s == b.threshold_high_s && a.keepalive_verified == b.keepalive_verified;
}

IdleStepResult observation(std::int64_t idle_ms, IdleOutcome outcome) {
  IdleStepResult s;
  s.request.idle = std::chrono::milliseconds(idle_ms);
  s.outcome = outcome;
  return s;
}

// Idle times of normal probes vary by milliseconds around the interval; unrounded, each new
// shortest failure or longest survival would be a "changed" verdict, logged and stored anew.
// A failure is rounded up and a survival down, so each stays a true bound of the threshold.
std::int64_t rounded_idle_ms(std::int64_t idle_ms, IdleOutcome outcome) {
  const std::int64_t q = idle_ms < 10'000 ? 100 : 1000;
  const std::int64_t down = idle_ms / q * q;
  if (outcome == IdleOutcome::survived) return std::max<std::int64_t>(q, down);
  return down == idle_ms ? idle_ms : down + q;
}

bool is_control(const IdleStepResult& s) {
  return s.request.idle.count() == 0;
}

bool any_idle(const std::deque<IdleStepResult>& observed) {
  return std::any_of(observed.begin(), observed.end(),
                     [](const IdleStepResult& s) { return !is_control(s); });
}

}  // namespace

IdleMonitor::Runner IdleMonitor::experiment_runner(uv_loop_t* loop) {
  return [loop](const MonitoredTarget& target, Done done) {
    auto run = std::make_unique<ExperimentRun>();
    IdleBracketOptions options;
    options.keepalive_check = target.config.idle_probe->keepalive_check;
    run->experiment = std::make_unique<IdleExperiment>(
        loop, target.spec, target.config.idle_probe->ladder, options,
        [done = std::move(done)](const IdleFinding& f, const std::vector<IdleStepResult>& steps) {
          done(f, steps);
        });
    run->experiment->start();
    return run;
  };
}

IdleMonitor::IdleMonitor(uv_loop_t* loop, const Clock& clock, ResultRouter& router, Runner runner,
                         Options options)
    : loop_(loop), clock_(clock), router_(router), runner_(std::move(runner)), options_(options) {}

IdleMonitor::~IdleMonitor() {
  stop();
}

void IdleMonitor::set_targets(const std::vector<const MonitoredTarget*>& targets) {
  if (stopped_) return;
  std::map<std::string, const MonitoredTarget*> wanted;
  for (const MonitoredTarget* t : targets) {
    if (t->config.idle_probe || t->spec->reuse_connection) wanted[t->info.name] = t;
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
    if (target->config.idle_probe) {
      entry->timer = std::make_unique<UvTimer>(loop_);
      const auto delay = start_offset(name, options_.first_run_spread);
      entry->timer->start(static_cast<std::uint64_t>(delay.count()), [this, n = name] { due(n); });
    }
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
  e.run = runner_(*target, [this, name = target->info.name, target](
                               IdleFinding f, std::vector<IdleStepResult> steps) {
    finished(name, target, std::move(f), std::move(steps));
  });
}

void IdleMonitor::finished(const std::string& name, const MonitoredTarget* target,
                           IdleFinding finding, std::vector<IdleStepResult> steps) {
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

  e.experiment = finding;
  e.experiment_steps = std::move(steps);
  publish(e, verdict(e, finding), &finding);
  e.timer->start(static_cast<std::uint64_t>(options_.rerun.count()), [this, name] { due(name); });
  start_queued();
}

void IdleMonitor::on_probe_result(const MonitoredTarget& target, const ProbeResult& result) {
  if (stopped_ || !target.spec->reuse_connection) return;
  auto it = entries_.find(target.info.name);
  if (it == entries_.end() || it->second->target != &target) return;
  Entry& e = *it->second;
  if (result.kept && result.kept->outcome != IdleOutcome::error) {
    // A kept connection found ended says as much at the idle time it had, though no request
    // went over it.
    observe(e, observation(rounded_idle_ms(result.kept->idle_ms, result.kept->outcome),
                           result.kept->outcome));
  }
  // A request over a fresh connection is the control: does the server answer at all without
  // idling? Only its answer or a reset of it says so; other failures are about other layers.
  const bool exchange = result.ok() || result.cls == FailureClass::reset;
  if (!result.reused && exchange) {
    observe(e, observation(0, result.ok() ? IdleOutcome::survived : IdleOutcome::reset));
  }
  if (!any_idle(e.observed) && !e.experiment) return;  // nothing has sat idle yet
  IdleFinding f = verdict(e, e.experiment);
  const bool changed = !e.last || !same_verdict(*e.last, f);
  if (!changed && clock_.unix_ms() - e.last_published_ms < options_.confirm_every.count()) return;
  publish(e, std::move(f), nullptr);
}

void IdleMonitor::observe(Entry& e, IdleStepResult step) {
  if (!is_control(step)) ++e.unreported.probe_observations;
  count_outcome(e.unreported, step.outcome);
  e.observed.push_back(std::move(step));
  while (e.observed.size() > options_.observation_window)
    e.observed.pop_front();
}

IdleFinding IdleMonitor::verdict(const Entry& e,
                                 const std::optional<IdleFinding>& experiment) const {
  if (experiment && !any_idle(e.observed)) return *experiment;
  IdleBracket bracket({}, {});
  for (const IdleStepResult& s : e.experiment_steps)
    bracket.record(s);
  int idle = 0, failed = 0;
  for (const IdleStepResult& s : e.observed) {
    bracket.record(s);
    if (is_control(s)) continue;
    ++idle;
    if (s.outcome != IdleOutcome::survived) ++failed;
  }
  IdleFinding f = bracket.finding();
  f.summary += " (passive evidence: " + std::to_string(idle - failed) + " of the last " +
               std::to_string(idle) + " probes over a kept connection found it alive";
  f.summary += e.experiment_steps.empty() ? ")" : ", with the last experiment)";
  return f;
}

void IdleMonitor::publish(Entry& e, IdleFinding finding, const IdleFinding* experiment) {
  // Sinks add the counts up, so a report carries what is new since the last one: the
  // observations not reported yet, plus the experiment's own when one ended now.
  finding.survived = e.unreported.survived + (experiment ? experiment->survived : 0);
  finding.resets = e.unreported.resets + (experiment ? experiment->resets : 0);
  finding.closes = e.unreported.closes + (experiment ? experiment->closes : 0);
  finding.timeouts = e.unreported.timeouts + (experiment ? experiment->timeouts : 0);
  finding.probe_observations = e.unreported.probe_observations;
  finding.from_experiment = experiment != nullptr;
  const std::string& name = e.target->info.name;
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
  e.unreported = IdleFinding{};
  const std::int64_t now = clock_.unix_ms();
  e.last_published_ms = now;
  router_.on_idle_finding(e.target->info, finding, now);
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
