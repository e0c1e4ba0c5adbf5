#include "daemon/run_command.hpp"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "checks/probe_kinds.hpp"
#include "daemon/daemon.hpp"
#include "daemon/fd_limit.hpp"
#include "daemon/logging.hpp"
#include "daemon/scheduler_stats.hpp"
#include "daemon/secret_exposure.hpp"
#include "daemon/uv_signals.hpp"
#include "exporters/prometheus_exporter.hpp"
#include "storage/sqlite_store.hpp"

namespace faultline {
namespace {

struct Sinks {
  std::unique_ptr<SqliteStore> history;
  std::unique_ptr<PrometheusExporter> metrics;
};

// Publishes the process's own numbers as the exporter's process metrics, the storage sink's
// counters included: the one place that knows how.
class ExporterProcessSink final : public ProcessSink {
 public:
  explicit ExporterProcessSink(const Sinks& sinks)
      : metrics_(*sinks.metrics), history_(*sinks.history) {}

  void on_schedule_lag(std::int64_t lag_ms) override {
    metrics_.observe_schedule_lag(static_cast<double>(lag_ms) / 1000.0);
  }
  void on_reload(bool ok, std::int64_t unix_seconds) override {
    ok ? metrics_.config_reload_succeeded(unix_seconds) : metrics_.config_reload_failed();
  }
  void on_stats(const SchedulerStats& stats) override {
    metrics_.publish(scheduler_stats(stats.probes_in_flight, stats.probes_skipped_total));
    metrics_.publish(history_.process_stats());
  }

 private:
  PrometheusExporter& metrics_;
  const SqliteStore& history_;
};

// Parsed on a thread of its own so that the YAML tree, and the parser's copies of the targets,
// live in that thread's malloc arena: the scheduler copies what it keeps into the main one,
// and the whole arena can then go back to the system instead of leaving the survivors
// scattered over the tree's pages (100 MB of RSS at 100,000 targets). What the thread throws
// is thrown again here.
ConfigLoad load_on_own_thread(const std::string& path) {
  ConfigLoad load;
  std::exception_ptr error;
  std::thread([&] {
    try {
      load = load_config(path);
    } catch (...) {
      error = std::current_exception();
    }
  }).join();
  if (error) std::rethrow_exception(error);
  return load;
}

std::optional<Config> load_startup_config(const std::string& path, bool log_level_forced) {
  ConfigLoad load = load_on_own_thread(path);
  if (!load.config) {
    // Through the logger, like a failed reload, so that under journald each error carries its
    // priority (<3>) and `journalctl -p err` shows why the start failed.
    log_diagnostics(load);
    spdlog::error("cannot start: {} has {} error(s)", path, load.errors.size());
    return std::nullopt;
  }
  Config config = std::move(*load.config);
  return_freed_memory();
  if (!log_level_forced) {
    if (auto level = parse_log_level(config.log.level)) spdlog::set_level(*level);
  }
  for (const Diagnostic& w : load.warnings)
    spdlog::warn("config: {}", w.to_string());
  for (const std::string& w : secret_exposure_warnings(config))
    spdlog::warn("config: {}", w);
  return config;
}

// How many probes may run at once: the configured number, else what the descriptor limit
// (raised as far as allowed) supports.
std::size_t probe_concurrency(const Config& config) {
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
  return max_in_flight;
}

std::optional<Sinks> open_sinks(const Config& config) {
  StorageOptions storage_options;
  storage_options.path = config.storage.path;
  storage_options.retention_failures = config.storage.retention.failures;
  storage_options.retention_rollups = config.storage.retention.rollups;
  storage_options.record_successes = config.storage.record_successes;
  auto store = SqliteStore::open(storage_options);
  if (!store) {
    spdlog::error("cannot start: {}", store.error());
    return std::nullopt;
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
    return std::nullopt;
  }
  spdlog::info("history in {}; metrics on http://{}/metrics{}", storage_options.path,
               config.metrics.listen.substr(0, config.metrics.listen.rfind(':')) + ":" +
                   std::to_string((*exporter)->port()),
               config.cluster.vantage ? " with vantage=\"" + *config.cluster.vantage + "\"" : "");
  return Sinks{std::move(*store), std::move(*exporter)};
}

// libuv starts its thread pool at the first request and the threads inherit the mask of the
// thread that made it. Started now, while the daemon's signals are held, they never receive one.
void start_thread_pool(uv_loop_t* loop) {
  auto* req = new uv_work_t;
  const int rc = uv_queue_work(
      loop, req, [](uv_work_t*) {}, [](uv_work_t* r, int) { delete r; });
  if (rc != 0) delete req;
}

// Runs the loop until a stop; true when the daemon stopped cleanly.
bool run_loop(uv_loop_t* loop, Config config, const Sinks& sinks, DaemonOptions options) {
  SystemClock clock;
  SystemdNotifier notifier;
  ProbeKinds probers(loop);
  ExporterProcessSink process(sinks);
  std::vector<ResultSink*> result_sinks = {sinks.history.get(), sinks.metrics.get()};
  Daemon daemon(loop, std::move(config), clock, probers, result_sinks, &process, notifier, options);
  start_thread_pool(loop);
  daemon.start();
  // The watchers exist: a signal held since the first line is delivered now, and handled by the
  // loop's first turn.
  release_signals(kDaemonSignals);
  uv_run(loop, UV_RUN_DEFAULT);
  // Stopped and flushed: a late signal must not cut the rest short (the watchers go with the
  // daemon, and the exporter and the store still close).
  hold_signals(kDaemonSignals);
  return daemon.stopped();
}

}  // namespace

int run_daemon(const std::string& config_path, std::optional<std::string> log_level_override) {
  // First of all, before any thread starts (every one inherits the mask): until the loop can
  // handle them, SIGHUP would end the process and SIGTERM skip the flush.
  hold_signals(kDaemonSignals);
  // Every name lookup holds a pool thread for its whole duration; four would let one slow
  // resolver starve every other probe's DNS.
  setenv("UV_THREADPOOL_SIZE", "32", 0);
  std::signal(SIGPIPE, SIG_IGN);

  std::optional<Config> config = load_startup_config(config_path, log_level_override.has_value());
  if (!config) return 1;
  DaemonOptions options;
  options.max_in_flight = probe_concurrency(*config);
  options.log_level_forced = log_level_override.has_value();
  std::optional<Sinks> sinks = open_sinks(*config);
  if (!sinks) return 1;

  uv_loop_t loop;
  uv_loop_init(&loop);
  const bool stopped = run_loop(&loop, std::move(*config), *sinks, options);
  // Let libuv release the handles just closed. A name lookup still running in the pool would
  // keep the loop alive until glibc gives up; the process does not wait for it.
  for (int i = 0; i < 10 && uv_loop_alive(&loop); ++i)
    uv_run(&loop, UV_RUN_NOWAIT);
  if (!uv_loop_alive(&loop)) uv_loop_close(&loop);
  return stopped ? 0 : 1;
}

}  // namespace faultline
