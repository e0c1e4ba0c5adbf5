// The monitor's event loop (`faultline run`; see run_command.hpp for the process around it).
// Schedules probes, routes results to the sinks, reloads its config on SIGHUP without losing
// state, stops gracefully on SIGTERM/SIGINT and speaks the systemd notify protocol.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checks/path_tracer.hpp"
#include "checks/prober.hpp"
#include "daemon/clock.hpp"
#include "daemon/config.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/idle_monitor.hpp"
#include "daemon/notifier.hpp"
#include "daemon/path_trace_scheduler.hpp"
#include "daemon/process_sink.hpp"
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

// Logs `load`'s warnings and errors, one line each with its position, through the logger (so
// that under journald each carries its priority).
void log_diagnostics(const ConfigLoad& load);
// Gives the memory a config load freed back to the system (glibc keeps it otherwise).
void return_freed_memory();

// What the daemon calls to reload, replaceable so that tests can make each step fail.
struct DaemonSeams {
  // Reads and validates the config file; runs in libuv's pool. An exception it throws fails
  // the reload like an invalid file. `running`: the targets being probed, for the load to reuse
  // the settings of those it reads unchanged (load_config's `reuse`).
  std::function<ConfigLoad(const std::string& path, const ReusableTargets& running)> load_config =
      [](const std::string& path, const ReusableTargets& running) {
        return ::faultline::load_config(path, StorageUse::write, &running);
      };
  // Queues that work (uv_queue_work's signature); a non-zero return fails the reload.
  using QueueWork = int (*)(uv_loop_t*, uv_work_t*, uv_work_cb, uv_after_work_cb);
  QueueWork queue_work = uv_queue_work;
  // Runs the path traces (issue 20); null: a PathTracer on the daemon's loop.
  Tracer* tracer = nullptr;
};

// The loop's logic: the scheduler reports every probe to the ResultRouter, which holds the
// targets' state and feeds the sinks; the idle monitor learns from the router's results and
// hands its verdicts back to it. The daemon adds reload, stop, the watchdog and the once-a-second
// numbers.
class Daemon final {
 public:
  // `sinks` and `process` (may be null) are fed through the router; all must outlive the daemon.
  Daemon(uv_loop_t* loop, Config config, const Clock& clock, Prober& prober,
         std::vector<ResultSink*> sinks, ProcessSink* process, Notifier& notifier,
         DaemonOptions options, DaemonSeams seams = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Schedules the configured targets, installs the SIGHUP/SIGTERM/SIGINT watchers, starts the
  // watchdog and tells systemd READY=1. Signals held (hold_signals) until then are handled once
  // the caller releases them; the watchers stay until the daemon goes.
  void start();
  // Re-reads the config file off the loop thread and applies it (SIGHUP does this). An invalid
  // file, or one that cannot be read at all, changes nothing: every error is logged, with its
  // position when it has one, and the reload counts as failed.
  void request_reload();
  // Stops scheduling, lets running probes finish within the grace period, flushes the sinks
  // and stops the loop (SIGTERM/SIGINT do this; a second signal before the stop is complete
  // exits at once with status 1).
  void request_stop();

  bool stopped() const { return stopped_; }
  const Scheduler& scheduler() const { return scheduler_; }
  const ResultRouter& router() const { return router_; }
  // The settings in force, except `targets`, which the scheduler holds once started.
  const Config& config() const { return config_; }
  // Targets in the config file, this shard's and the others'.
  std::size_t configured_targets() const { return configured_targets_; }

 private:
  struct ReloadWork;
  void arm_tick();
  void reload_done(ReloadWork& work);
  void reload_failed(const std::string& why);
  void apply_reload(ConfigLoad load);
  void apply_settings(Config& next);
  void apply_targets(Config& next);
  void finish_stop();
  void arm_watchdog();
  void arm_stats();

  uv_loop_t* loop_;
  Config config_;
  std::size_t configured_targets_ = 0;
  const Clock& clock_;
  Notifier& notifier_;
  DaemonOptions options_;
  DaemonSeams seams_;
  ResultRouter router_;
  Scheduler scheduler_;
  IdleMonitor idle_;
  std::unique_ptr<UvTimer> tick_timer_;
  std::unique_ptr<UvTimer> grace_timer_;
  std::unique_ptr<UvTimer> watchdog_timer_;
  std::unique_ptr<UvTimer> stats_timer_;
  std::unique_ptr<UvSignals> signals_;
  // Path traces: the tracer outlives the scheduler that cancels its traces.
  std::unique_ptr<PathTracer> own_tracer_;
  PathTraceScheduler traces_;
  ReloadWork* reload_in_progress_ = nullptr;
  bool reload_again_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace faultline
