#include "daemon/daemon.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <thread>
#include <utility>

#include "checks/probe_engine.hpp"
#include "checks/uv_timer.hpp"
#include "daemon/fd_limit.hpp"
#include "daemon/logging.hpp"
#include "daemon/scheduler_stats.hpp"
#include "daemon/secret_exposure.hpp"
#include "daemon/shard.hpp"
#include "exporters/prometheus_exporter.hpp"
#include "storage/sqlite_store.hpp"

namespace faultline {

struct Daemon::ReloadWork {
  uv_work_t req{};
  std::string path;
  ConfigLoad load;
  Daemon* daemon = nullptr;  // cleared if the daemon goes away first
};

namespace {

void log_diagnostics(const ConfigLoad& load) {
  for (const Diagnostic& w : load.warnings)
    spdlog::warn("config: {}", w.to_string());
  for (const Diagnostic& e : load.errors)
    spdlog::error("config: {}", e.to_string());
}

std::string targets_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " target" : " targets");
}

// Parsing a config builds a YAML tree many times the size of the file (about 300 MB for
// 100,000 targets) and frees it at once; glibc keeps such freed memory in the process unless
// asked, so a daemon's resident size stayed at the peak of its last config load.
void return_freed_memory() {
  malloc_trim(0);
}

// A resize of the fleet adds or removes thousands of targets at once; the log line names the
// first few and counts the rest.
std::string join(const std::vector<std::string>& names) {
  constexpr std::size_t kNamed = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kNamed; ++i)
    out += (out.empty() ? "" : ", ") + names[i];
  if (names.size() > kNamed) out += " and " + std::to_string(names.size() - kNamed) + " more";
  return out;
}

void log_shard(const ClusterConfig& cluster, std::size_t owned, std::size_t configured) {
  if (cluster.shards <= 1) return;
  spdlog::info("cluster shard {} (of {}, counted from 0) probes {} of the {} configured targets",
               cluster.shard, cluster.shards, owned, configured);
}

}  // namespace

Daemon::Daemon(uv_loop_t* loop, Config config, const Clock& clock, Prober& prober,
               std::vector<ResultSink*> sinks, Notifier& notifier, DaemonOptions options,
               DaemonObservers observers)
    : loop_(loop),
      config_(std::move(config)),
      clock_(clock),
      notifier_(notifier),
      options_(options),
      observers_(std::move(observers)),
      router_(clock, sinks),
      scheduler_(clock, prober, *this, options.max_in_flight),
      idle_(loop, clock, sinks,
            observers_.idle_runner ? observers_.idle_runner : IdleMonitor::experiment_runner(loop),
            IdleMonitor::Options{}),
      tick_timer_(std::make_unique<UvTimer>(loop)),
      grace_timer_(std::make_unique<UvTimer>(loop)),
      watchdog_timer_(std::make_unique<UvTimer>(loop)),
      stats_timer_(std::make_unique<UvTimer>(loop)) {}

Daemon::~Daemon() {
  if (reload_in_progress_ != nullptr) reload_in_progress_->daemon = nullptr;
}

void Daemon::start() {
  // The scheduler keeps the only copy of the targets' settings (see MonitoredTarget).
  configured_targets_ = config_.targets.size();
  scheduler_.set_targets(owned_targets(std::exchange(config_.targets, {}), config_.cluster));
  log_shard(config_.cluster, scheduler_.targets().size(), configured_targets_);
  return_freed_memory();
  router_.announce_targets(scheduler_.targets());
  idle_.set_targets(scheduler_.monitored());
  signals_ = std::make_unique<UvSignals>(loop_);
  signals_->on(SIGHUP, [this] { request_reload(); });
  signals_->on(SIGTERM, [this] { request_stop(); });
  signals_->on(SIGINT, [this] { request_stop(); });
  arm_tick();
  arm_watchdog();
  arm_stats();
  const std::string status = targets_text(scheduler_.targets().size());
  spdlog::info("faultline {} monitoring {} (config {}, at most {} probes in flight)",
               FAULTLINE_VERSION, status, config_.path, scheduler_.max_in_flight());
  notifier_.ready("monitoring " + status);
}

void Daemon::arm_tick() {
  auto wake = scheduler_.next_wake_ms();
  if (!wake) {
    tick_timer_->stop();
    return;
  }
  const std::int64_t delay = std::max<std::int64_t>(0, *wake - clock_.monotonic_ms());
  tick_timer_->start(static_cast<std::uint64_t>(delay), [this] {
    scheduler_.tick();
    arm_tick();
  });
}

void Daemon::arm_watchdog() {
  auto period = notifier_.watchdog_period();
  if (!period) return;
  // Sent from the loop thread on purpose: a stuck loop stops the pings and systemd restarts us.
  notifier_.watchdog();
  watchdog_timer_->start(static_cast<std::uint64_t>(period->count()), [this] { arm_watchdog(); });
}

void Daemon::arm_stats() {
  if (!observers_.every_second) return;
  observers_.every_second(scheduler_);
  stats_timer_->start(1000, [this] { arm_stats(); });
}

void Daemon::on_probe_started(const MonitoredTarget& target, std::int64_t lag_ms) {
  router_.on_probe_started(target, lag_ms);
  if (observers_.schedule_lag) observers_.schedule_lag(lag_ms);
}

void Daemon::on_probe_finished(MonitoredTarget& target, const ProbeResult& result) {
  router_.on_probe_finished(target, result);
  idle_.on_probe_result(target, result);
  if (stopping_ && !stopped_ && scheduler_.in_flight() == 0) finish_stop();
}

void Daemon::request_reload() {
  if (stopping_) return;
  if (reload_in_progress_ != nullptr) {
    reload_again_ = true;
    return;
  }
  notifier_.reloading();
  spdlog::info("reloading {}", config_.path);
  auto* work = new ReloadWork;
  work->req.data = work;
  work->path = config_.path;
  work->daemon = this;
  reload_in_progress_ = work;
  // Reading and validating the file (and checking ca_file paths) touches the disk, so it runs
  // in libuv's pool; only applying the result happens on the loop.
  uv_queue_work(
      loop_, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<ReloadWork*>(req->data);
        w->load = load_config(w->path);
      },
      [](uv_work_t* req, int) {
        auto* w = static_cast<ReloadWork*>(req->data);
        if (w->daemon != nullptr) {
          Daemon* d = w->daemon;
          d->reload_in_progress_ = nullptr;
          d->apply_reload(std::move(w->load));
        }
        delete w;
      });
}

void Daemon::apply_reload(ConfigLoad load) {
  const std::int64_t now_s = clock_.unix_ms() / 1000;
  if (stopping_) return;
  if (!load.config) {
    log_diagnostics(load);
    spdlog::error("reload failed: {} has {} error(s); still running the previous config",
                  config_.path, load.errors.size());
    if (observers_.reload) observers_.reload(false, now_s);
    notifier_.ready("reload failed; running the previous config");
  } else {
    log_diagnostics(load);
    Config next = std::move(*load.config);
    if (next.storage != config_.storage) {
      spdlog::warn("reload: storage settings changed; they take effect after a restart");
    }
    if (next.metrics != config_.metrics) {
      spdlog::warn("reload: metrics settings changed; they take effect after a restart");
    }
    if (next.cluster.vantage != config_.cluster.vantage) {
      spdlog::warn("reload: cluster.vantage changed; it takes effect after a restart");
      next.cluster.vantage = config_.cluster.vantage;
    }
    if (!options_.log_level_forced && next.log.level != config_.log.level) {
      if (auto level = parse_log_level(next.log.level)) spdlog::set_level(*level);
    }
    if (next.engine.max_in_flight && next.engine != config_.engine) {
      scheduler_.set_max_in_flight(static_cast<std::size_t>(*next.engine.max_in_flight));
    }
    const std::size_t configured = next.targets.size();
    ReloadSummary s =
        scheduler_.set_targets(owned_targets(std::exchange(next.targets, {}), next.cluster));
    if (next.cluster != config_.cluster || configured != configured_targets_) {
      log_shard(next.cluster, scheduler_.targets().size(), configured);
    }
    configured_targets_ = configured;
    router_.announce_targets(scheduler_.targets());
    idle_.set_targets(scheduler_.monitored());
    spdlog::info("reloaded: {} added, {} removed, {} changed, {} unchanged{}{}{}", s.added.size(),
                 s.removed.size(), s.changed.size(), s.unchanged,
                 s.added.empty() ? "" : " (added: " + join(s.added) + ")",
                 s.removed.empty() ? "" : " (removed: " + join(s.removed) + ")",
                 s.changed.empty() ? "" : " (changed: " + join(s.changed) + ")");
    // The stored config keeps the engine/storage/metrics settings we run with.
    StorageConfig storage = config_.storage;
    MetricsConfig metrics = config_.metrics;
    config_ = std::move(next);
    config_.storage = storage;
    config_.metrics = metrics;
    if (observers_.reload) observers_.reload(true, now_s);
    return_freed_memory();
    arm_tick();
    notifier_.ready("monitoring " + targets_text(scheduler_.targets().size()));
  }
  if (reload_again_) {
    reload_again_ = false;
    request_reload();
  }
}

void Daemon::request_stop() {
  if (stopping_) {
    spdlog::warn("second stop signal: exiting at once");
    std::_Exit(1);
  }
  stopping_ = true;
  notifier_.stopping();
  scheduler_.stop();
  idle_.stop();
  tick_timer_->stop();
  spdlog::info("stopping: waiting up to {} ms for {} probe(s) in flight",
               options_.stop_grace.count(), scheduler_.in_flight());
  if (scheduler_.in_flight() == 0) {
    finish_stop();
    return;
  }
  grace_timer_->start(static_cast<std::uint64_t>(options_.stop_grace.count()),
                      [this] { finish_stop(); });
}

void Daemon::finish_stop() {
  if (stopped_) return;
  stopped_ = true;
  if (scheduler_.in_flight() > 0) {
    spdlog::warn("stopping: cancelling {} probe(s) still running", scheduler_.in_flight());
    scheduler_.cancel_running();
  }
  grace_timer_->stop();
  watchdog_timer_->stop();
  stats_timer_->stop();
  router_.flush(options_.flush_budget);
  signals_.reset();
  spdlog::info("stopped");
  uv_stop(loop_);
}

int run_daemon(const std::string& config_path, std::optional<std::string> log_level_override) {
  // Every name lookup holds a pool thread for its whole duration; four would let one slow
  // resolver starve every other probe's DNS.
  setenv("UV_THREADPOOL_SIZE", "32", 0);
  std::signal(SIGPIPE, SIG_IGN);

  // Parsed on a thread of its own so that the YAML tree, and the parser's copies of the targets,
  // live in that thread's malloc arena: the scheduler copies what it keeps into the main one,
  // and the whole arena can then go back to the system instead of leaving the survivors
  // scattered over the tree's pages (100 MB of RSS at 100,000 targets).
  ConfigLoad load;
  std::thread([&] { load = load_config(config_path); }).join();
  if (!load.config) {
    // Through the logger, like a failed reload, so that under journald each error carries its
    // priority (<3>) and `journalctl -p err` shows why the start failed.
    log_diagnostics(load);
    spdlog::error("cannot start: {} has {} error(s)", config_path, load.errors.size());
    return 1;
  }
  Config config = std::move(*load.config);
  return_freed_memory();
  if (!log_level_override) {
    if (auto level = parse_log_level(config.log.level)) spdlog::set_level(*level);
  }
  for (const Diagnostic& w : load.warnings)
    spdlog::warn("config: {}", w.to_string());
  for (const std::string& w : secret_exposure_warnings(config))
    spdlog::warn("config: {}", w);

  const FdLimit fds = raise_fd_limit();
  const std::size_t supported = default_max_in_flight(fds.soft);
  std::size_t max_in_flight = supported;
  if (config.engine.max_in_flight) {
    max_in_flight = static_cast<std::size_t>(*config.engine.max_in_flight);
    if (max_in_flight > supported) {
      spdlog::warn(
          "engine.max_in_flight {} needs more file descriptors than the limit of {} "
          "allows (about {}); probes may fail as 'local' under load",
          max_in_flight, fds.soft, supported);
    }
  }
  if (fds.soft > fds.soft_before) {
    spdlog::debug("raised the file descriptor limit from {} to {}", fds.soft_before, fds.soft);
  }

  StorageOptions storage_options;
  storage_options.path = config.storage.path;
  storage_options.retention_failures = config.storage.retention.failures;
  storage_options.retention_rollups = config.storage.retention.rollups;
  storage_options.record_successes = config.storage.record_successes;
  auto store = SqliteStore::open(storage_options);
  if (!store) {
    spdlog::error("cannot start: {}", store.error());
    return 1;
  }

  ExporterOptions exporter_options;
  exporter_options.listen = config.metrics.listen;
  exporter_options.histograms = config.metrics.histograms;
  if (config.cluster.vantage)
    exporter_options.const_labels = {{"vantage", *config.cluster.vantage}};
  if (config.metrics.basic_auth) {
    exporter_options.basic_auth = ExporterBasicAuth{config.metrics.basic_auth->username,
                                                    config.metrics.basic_auth->password_file};
  }
  auto exporter = PrometheusExporter::start(exporter_options);
  if (!exporter) {
    spdlog::error("cannot start: {}", exporter.error());
    return 1;
  }
  spdlog::info("history in {}; metrics on http://{}/metrics{}", storage_options.path,
               config.metrics.listen.substr(0, config.metrics.listen.rfind(':')) + ":" +
                   std::to_string((*exporter)->port()),
               config.cluster.vantage ? " with vantage=\"" + *config.cluster.vantage + "\"" : "");

  uv_loop_t loop;
  uv_loop_init(&loop);
  int rc = 0;
  {
    SystemClock clock;
    SystemdNotifier notifier;
    ProbeEngine engine(&loop);
    PrometheusExporter& metrics = **exporter;
    SqliteStore& history = **store;
    std::vector<ResultSink*> sinks = {&history, &metrics};
    DaemonOptions options;
    options.max_in_flight = max_in_flight;
    options.log_level_forced = log_level_override.has_value();
    DaemonObservers observers;
    observers.reload = [&metrics](bool ok, std::int64_t t) {
      ok ? metrics.config_reload_succeeded(t) : metrics.config_reload_failed();
    };
    observers.schedule_lag = [&metrics](std::int64_t ms) {
      metrics.observe_schedule_lag(static_cast<double>(ms) / 1000.0);
    };
    observers.every_second = [&metrics, &history](const Scheduler& s) {
      metrics.publish(scheduler_stats(s.in_flight(), s.skipped_total()));
      metrics.publish(history.process_stats());
    };
    Daemon daemon(&loop, std::move(config), clock, engine, sinks, notifier, options, observers);
    daemon.start();
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = daemon.stopped() ? 0 : 1;
  }
  // Let libuv release the handles just closed. A name lookup still running in the pool would
  // keep the loop alive until glibc gives up; the process does not wait for it.
  for (int i = 0; i < 10 && uv_loop_alive(&loop); ++i)
    uv_run(&loop, UV_RUN_NOWAIT);
  if (!uv_loop_alive(&loop)) uv_loop_close(&loop);
  return rc;
}

}  // namespace faultline
