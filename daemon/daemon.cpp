#include "daemon/daemon.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <utility>

#include "checks/uv_timer.hpp"
#include "daemon/logging.hpp"
#include "daemon/shard.hpp"

namespace faultline {

struct Daemon::ReloadWork {
  uv_work_t req{};
  std::string path;
  std::function<ConfigLoad(const std::string&, const ReusableTargets&)> load;
  // The running targets' settings, shared with the scheduler (never changed once read), so the
  // load can reuse them without touching the loop's own objects. The loop only copies the
  // pointers; the index by name is built in the pool.
  std::vector<SharedTargetConfig> running;
  ConfigLoad result;
  std::exception_ptr error;  // what `load` threw, if it did
  Daemon* daemon = nullptr;  // cleared if the daemon goes away first
};

void log_diagnostics(const ConfigLoad& load) {
  for (const Diagnostic& w : load.warnings)
    spdlog::warn("config: {}", w.to_string());
  for (const Diagnostic& e : load.errors)
    spdlog::error("config: {}", e.to_string());
}

// Parsing a config builds a YAML tree many times the size of the file (about 300 MB for
// 100,000 targets) and frees it at once; glibc keeps such freed memory in the process unless
// asked, so a daemon's resident size stayed at the peak of its last config load.
void return_freed_memory() {
  malloc_trim(0);
}

namespace {

std::string targets_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " target" : " targets");
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

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

}  // namespace

Daemon::Daemon(uv_loop_t* loop, Config config, const Clock& clock, Prober& prober,
               std::vector<ResultSink*> sinks, ProcessSink* process, Notifier& notifier,
               DaemonOptions options, DaemonSeams seams)
    : loop_(loop),
      config_(std::move(config)),
      clock_(clock),
      notifier_(notifier),
      options_(options),
      seams_(std::move(seams)),
      router_(clock, std::move(sinks), process),
      scheduler_(clock, prober, router_, options.max_in_flight),
      idle_(loop, clock, router_, IdleMonitor::experiment_runner(loop), IdleMonitor::Options{}),
      tick_timer_(std::make_unique<UvTimer>(loop)),
      grace_timer_(std::make_unique<UvTimer>(loop)),
      watchdog_timer_(std::make_unique<UvTimer>(loop)),
      stats_timer_(std::make_unique<UvTimer>(loop)),
      own_tracer_(seams_.tracer != nullptr ? nullptr : std::make_unique<PathTracer>(loop)),
      traces_(clock, seams_.tracer != nullptr ? *seams_.tracer : *own_tracer_) {
  router_.add_observer(idle_);
  traces_.configure(config_.engine.trace_interval, config_.engine.max_concurrent_traces);
  router_.set_path_traces(&traces_);
}

Daemon::~Daemon() {
  if (reload_in_progress_ != nullptr) reload_in_progress_->daemon = nullptr;
}

void Daemon::start() {
  // The scheduler keeps the only copy of the targets' settings (see MonitoredTarget).
  configured_targets_ = config_.targets.size();
  scheduler_.set_targets(owned_targets(std::exchange(config_.targets, {}), config_.cluster));
  log_shard(config_.cluster, scheduler_.targets().size(), configured_targets_);
  return_freed_memory();
  router_.announce_targets(scheduler_.monitored());
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
  router_.on_stats({scheduler_.in_flight(), scheduler_.skipped_total()});
  stats_timer_->start(1000, [this] { arm_stats(); });
}

void Daemon::request_reload() {
  if (stopping_) return;
  if (reload_in_progress_ != nullptr) {
    reload_again_ = true;
    return;
  }
  notifier_.reloading();
  spdlog::info("reloading {}", config_.path);
  auto work = std::make_unique<ReloadWork>();
  work->req.data = work.get();
  work->path = config_.path;
  work->load = seams_.load_config;
  const std::vector<const MonitoredTarget*> running = scheduler_.monitored();
  work->running.reserve(running.size());
  for (const MonitoredTarget* t : running)
    work->running.push_back(t->shared_config);
  work->daemon = this;
  // Reading and validating the file (and checking ca_file paths) touches the disk, so it runs
  // in libuv's pool; only applying the result happens on the loop.
  const int rc = seams_.queue_work(
      loop_, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<ReloadWork*>(req->data);
        // The top of the reload worker: an exception leaving it would end the process.
        try {
          ReusableTargets reusable;
          reusable.reserve(w->running.size());
          for (const SharedTargetConfig& t : w->running)
            reusable.emplace(t->name, t);
          w->result = w->load(w->path, reusable);
        } catch (...) {
          w->error = std::current_exception();
        }
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<ReloadWork> w(static_cast<ReloadWork*>(req->data));
        if (w->daemon != nullptr) w->daemon->reload_done(*w);
      });
  if (rc != 0) {
    reload_failed("cannot queue the reading of " + config_.path + ": " + uv_strerror(rc));
    return;
  }
  reload_in_progress_ = work.release();
}

void Daemon::reload_done(ReloadWork& work) {
  reload_in_progress_ = nullptr;
  // What the load reused is in its result now; the others' settings (removed or changed
  // targets) must be free to go as the scheduler lets them.
  work.running = {};
  // The parse's garbage (the file's text, each target's YAML tree) was freed on the pool thread
  // but is still resident; give it back before the sinks rebuild their tables for the new
  // targets, so that the reload's peak is the larger of the two, not their sum.
  return_freed_memory();
  if (work.error) {
    reload_failed("cannot read " + work.path + ": " + describe(work.error));
  } else {
    apply_reload(std::move(work.result));
  }
  if (reload_again_ && !stopping_) {
    reload_again_ = false;
    request_reload();
  }
}

void Daemon::reload_failed(const std::string& why) {
  if (stopping_) return;
  spdlog::error("reload failed: {}; still running the previous config", why);
  router_.on_reload(false, clock_.unix_ms() / 1000);
  notifier_.ready("reload failed; running the previous config");
}

void Daemon::apply_reload(ConfigLoad load) {
  if (stopping_) return;
  log_diagnostics(load);
  if (!load.config) {
    reload_failed(config_.path + " has " + std::to_string(load.errors.size()) + " error(s)");
    return;
  }
  Config next = std::move(*load.config);
  apply_settings(next);
  apply_targets(next);
  // The stored config keeps the engine/storage/metrics settings we run with.
  StorageConfig storage = config_.storage;
  MetricsConfig metrics = config_.metrics;
  config_ = std::move(next);
  config_.storage = storage;
  config_.metrics = metrics;
  router_.on_reload(true, clock_.unix_ms() / 1000);
  return_freed_memory();
  arm_tick();
  notifier_.ready("monitoring " + targets_text(scheduler_.targets().size()));
}

// Everything but the targets: what takes effect now, and what waits for a restart.
void Daemon::apply_settings(Config& next) {
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
  traces_.configure(next.engine.trace_interval, next.engine.max_concurrent_traces);
}

void Daemon::apply_targets(Config& next) {
  const std::size_t configured = next.targets.size();
  ReloadSummary s =
      scheduler_.set_targets(owned_targets(std::exchange(next.targets, {}), next.cluster));
  if (next.cluster != config_.cluster || configured != configured_targets_) {
    log_shard(next.cluster, scheduler_.targets().size(), configured);
  }
  configured_targets_ = configured;
  router_.announce_targets(scheduler_.monitored());
  idle_.set_targets(scheduler_.monitored());
  spdlog::info("reloaded: {} added, {} removed, {} changed, {} unchanged{}{}{}", s.added.size(),
               s.removed.size(), s.changed.size(), s.unchanged,
               s.added.empty() ? "" : " (added: " + join(s.added) + ")",
               s.removed.empty() ? "" : " (removed: " + join(s.removed) + ")",
               s.changed.empty() ? "" : " (changed: " + join(s.changed) + ")");
}

void Daemon::request_stop() {
  if (stopped_) return;  // stopped already; the process is on its way out
  if (stopping_) {
    spdlog::warn("second stop signal: exiting at once");
    std::_Exit(1);
  }
  stopping_ = true;
  notifier_.stopping();
  scheduler_.stop([this] { finish_stop(); });
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
  spdlog::info("stopped");
  uv_stop(loop_);
}

}  // namespace faultline
