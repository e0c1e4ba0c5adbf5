// Runs the idle-connection experiment for every target configured with `idle_probe`, beside
// the normal probes: once shortly after start (at a phase derived from the name), then again
// every few hours, at most a few targets at a time so the sockets it holds stay bounded. Every
// verdict goes to the sinks through the ResultRouter; a changed verdict is logged once.
//
// Targets with `reuse_connection` add passive evidence: each normal probe that took up the
// connection its predecessor left open is one more observation (idle time, outcome), and a
// probe on a fresh connection is a control. The verdict is drawn from the last experiment's
// steps and the latest observations together, so resets that follow idleness start a finding
// without an experiment and move the bracket of one.
#pragma once

#include <uv.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/idle_bracket.hpp"
#include "checks/probe_result.hpp"
#include "checks/uv_timer.hpp"
#include "daemon/clock.hpp"
#include "daemon/result_router.hpp"
#include "daemon/scheduler.hpp"
#include "sinks/result_sink.hpp"

namespace faultline {

class IdleMonitor final : public ResultObserver {
 public:
  // A running experiment; destroying it abandons it.
  struct Run {
    virtual ~Run() = default;
  };
  // Starts the experiment for `target`; `done` is called once, from a loop callback, with the
  // verdict and the steps it was drawn from.
  using Done = std::function<void(IdleFinding, std::vector<IdleStepResult>)>;
  using Runner = std::function<std::unique_ptr<Run>(const MonitoredTarget& target, Done done)>;

  struct Options {
    std::size_t max_concurrent = 8;  // experiments at once (each holds ladder+1 connections)
    std::chrono::milliseconds rerun{6LL * 3600 * 1000};
    std::chrono::milliseconds first_run_spread{60'000};
    // Passive evidence: observations kept per target, and how often an unchanged verdict is
    // confirmed to the sinks (a changed one goes at once).
    std::size_t observation_window = 32;
    std::chrono::milliseconds confirm_every{600'000};
  };

  // The real runner: IdleExperiment over libcurl on `loop`.
  static Runner experiment_runner(uv_loop_t* loop);

  // Verdicts go to `router`, which must outlive the monitor.
  IdleMonitor(uv_loop_t* loop, const Clock& clock, ResultRouter& router, Runner runner,
              Options options);
  ~IdleMonitor() override;
  IdleMonitor(const IdleMonitor&) = delete;
  IdleMonitor& operator=(const IdleMonitor&) = delete;

  // The configured targets (start, reload). Targets without idle_probe are ignored; a target
  // whose settings changed (a new MonitoredTarget) starts over.
  void set_targets(const std::vector<const MonitoredTarget*>& targets);
  // A normal probe of `target` finished: passive evidence for reuse_connection targets.
  void on_probe_result(const MonitoredTarget& target, const ProbeResult& result) override;
  // Abandons every experiment and schedules no more.
  void stop();

  std::size_t running() const { return running_; }
  std::optional<IdleFinding> last_finding(const std::string& name) const;

 private:
  struct Entry;
  void due(const std::string& name);
  void launch(Entry& e);
  void finished(const std::string& name, const MonitoredTarget* target, IdleFinding finding,
                std::vector<IdleStepResult> steps);
  void observe(Entry& e, IdleStepResult step);
  // The verdict from the experiment's steps and the observations; `experiment` is the
  // experiment's own verdict, used as it is when there are no observations.
  IdleFinding verdict(const Entry& e, const std::optional<IdleFinding>& experiment) const;
  // Logs a changed verdict and hands it to the router with the counts the sinks have not seen;
  // `experiment` is the verdict of an experiment that ended now, if one did.
  void publish(Entry& e, IdleFinding finding, const IdleFinding* experiment);
  void start_queued();

  uv_loop_t* loop_;
  const Clock& clock_;
  ResultRouter& router_;
  Runner runner_;
  Options options_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::deque<std::string> queue_;
  std::size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace faultline
