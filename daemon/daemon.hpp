// `faultline run`: the monitor's event loop. Schedules probes, routes results to the sinks,
// reloads its config on SIGHUP without losing state, stops gracefully on SIGTERM/SIGINT and
// speaks the systemd notify protocol.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checks/prober.hpp"
#include "daemon/clock.hpp"
#include "daemon/config.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/idle_monitor.hpp"
#include "daemon/notifier.hpp"
#include "daemon/result_router.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/uv_signals.hpp"

namespace faultline {

class UvTimer;

struct DaemonOptions {
  std::size_t max_in_flight = 1000;
  // How long in-flight probes may run on after SIGTERM before they are cancelled.
  std::chrono::milliseconds stop_grace{5000};
  // How long the sinks get to write out what they hold at stop.
  std::chrono::milliseconds flush_budget{5000};
  // Keep the log level the command line forced, whatever the config says on reload.
  bool log_level_forced = false;
};

// Hooks for process-level metrics; any may be empty.
struct DaemonObservers {
  std::function<void(bool ok, std::int64_t unix_seconds)> reload;
  std::function<void(std::int64_t lag_ms)> schedule_lag;
  // Replaces the real idle-connection experiment (tests).
  IdleMonitor::Runner idle_runner;
  // Once a second on the loop thread, e.g. to publish gauges.
  std::function<void(const Scheduler&)> every_second;
};

class Daemon final : public SchedulerListener {
 public:
  Daemon(uv_loop_t* loop, Config config, const Clock& clock, Prober& prober,
         std::vector<ResultSink*> sinks, Notifier& notifier, DaemonOptions options,
         DaemonObservers observers = {});
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Schedules the configured targets, installs signal handlers, starts the watchdog and tells
  // systemd READY=1.
  void start();
  // Re-reads the config file off the loop thread and applies it (SIGHUP does this). An invalid
  // file changes nothing: every error is logged with its position.
  void request_reload();
  // Stops scheduling, lets running probes finish within the grace period, flushes the sinks
  // and stops the loop (SIGTERM/SIGINT do this; a second signal exits at once).
  void request_stop();

  bool stopped() const { return stopped_; }
  const Scheduler& scheduler() const { return scheduler_; }
  // The settings in force, except `targets`, which the scheduler holds once started.
  const Config& config() const { return config_; }
  // Targets in the config file, this shard's and the others'.
  std::size_t configured_targets() const { return configured_targets_; }

  void on_probe_started(const MonitoredTarget& target, std::int64_t lag_ms) override;
  void on_probe_finished(MonitoredTarget& target, const ProbeResult& result) override;

 private:
  struct ReloadWork;
  void arm_tick();
  void apply_reload(ConfigLoad load);
  void finish_stop();
  void arm_watchdog();
  void arm_stats();

  uv_loop_t* loop_;
  Config config_;
  std::size_t configured_targets_ = 0;
  const Clock& clock_;
  Notifier& notifier_;
  DaemonOptions options_;
  DaemonObservers observers_;
  ResultRouter router_;
  Scheduler scheduler_;
  IdleMonitor idle_;
  std::unique_ptr<UvTimer> tick_timer_;
  std::unique_ptr<UvTimer> grace_timer_;
  std::unique_ptr<UvTimer> watchdog_timer_;
  std::unique_ptr<UvTimer> stats_timer_;
  std::unique_ptr<UvSignals> signals_;
  ReloadWork* reload_in_progress_ = nullptr;
  bool reload_again_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
};

// Runs the daemon on `config_path` until stopped; returns the process exit status (0 after a
// clean stop, 1 when the config or a sink cannot start).
int run_daemon(const std::string& config_path, std::optional<std::string> log_level_override);

}  // namespace faultline
