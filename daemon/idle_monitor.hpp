// Runs the idle-connection experiment for every target configured with `idle_probe`, beside
// the normal probes: once shortly after start (at a phase derived from the name), then again
// every few hours, at most a few targets at a time so the sockets it holds stay bounded. Every
// verdict goes to the sinks; a changed verdict is logged once.
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
#include "checks/result_sink.hpp"
#include "checks/uv_timer.hpp"
#include "daemon/clock.hpp"
#include "daemon/scheduler.hpp"

namespace faultline {

class IdleMonitor {
 public:
  // A running experiment; destroying it abandons it.
  struct Run {
    virtual ~Run() = default;
  };
  // Starts the experiment for `target`; `done` is called once, from a loop callback.
  using Runner = std::function<std::unique_ptr<Run>(const MonitoredTarget& target,
                                                    std::function<void(IdleFinding)> done)>;

  struct Options {
    std::size_t max_concurrent = 8;  // experiments at once (each holds ladder+1 connections)
    std::chrono::milliseconds rerun{6LL * 3600 * 1000};
    std::chrono::milliseconds first_run_spread{60'000};
  };

  // The real runner: IdleExperiment over libcurl on `loop`.
  static Runner experiment_runner(uv_loop_t* loop);

  IdleMonitor(uv_loop_t* loop, const Clock& clock, std::vector<ResultSink*> sinks, Runner runner,
              Options options);
  ~IdleMonitor();

  // The configured targets (start, reload). Targets without idle_probe are ignored; a target
  // whose settings changed (a new MonitoredTarget) starts over.
  void set_targets(const std::vector<const MonitoredTarget*>& targets);
  // Abandons every experiment and schedules no more.
  void stop();

  std::size_t running() const { return running_; }
  std::optional<IdleFinding> last_finding(const std::string& name) const;

 private:
  struct Entry;
  void due(const std::string& name);
  void launch(Entry& e);
  void finished(const std::string& name, const MonitoredTarget* target, IdleFinding finding);
  void start_queued();

  uv_loop_t* loop_;
  const Clock& clock_;
  std::vector<ResultSink*> sinks_;
  Runner runner_;
  Options options_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::deque<std::string> queue_;
  std::size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace faultline
