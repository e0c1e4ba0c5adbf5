// The daemon on a real libuv loop with a FakeProber: reload, stop and flush, driven by real
// signals, with no network.
#include "daemon/daemon.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <new>
#include <sstream>

#include "checks/uv_timer.hpp"
#include "daemon_fakes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::string config_text(const std::vector<std::string>& names,
                        const std::string& interval = "200ms",
                        const std::string& timeout = "100ms") {
  std::string text = "defaults: {interval: " + interval + ", timeout: " + timeout + "}\ntargets:\n";
  for (const auto& n : names)
    text += "  - name: " + n + "\n    url: http://" + n + ".test/\n";
  return text;
}

struct Harness {
  TempDir dir;
  uv_loop_t loop{};
  SystemClock clock;
  FakeProber prober;
  RecordingSink sink;
  RecordingNotifier notifier;
  RecordingProcessSink process;
  std::vector<std::pair<bool, std::int64_t>>& reloads = process.reloads;
  std::unique_ptr<Daemon> daemon;

  explicit Harness(const std::string& text, DaemonOptions options = {}, DaemonSeams seams = {}) {
    uv_loop_init(&loop);
    const std::string path = dir.write("faultline.yaml", text);
    ConfigLoad load = load_config(path);
    REQUIRE(load.config);
    daemon = std::make_unique<Daemon>(&loop, std::move(*load.config), clock, prober,
                                      std::vector<ResultSink*>{&sink}, &process, notifier, options,
                                      std::move(seams));
  }
  ~Harness() {
    daemon.reset();
    // A stop leaves uv_stop's flag set, which makes the next uv_run return before closing
    // anything; run until every handle the daemon closed is gone.
    int rc = uv_loop_close(&loop);
    for (int i = 0; i < 100 && rc == UV_EBUSY; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      rc = uv_loop_close(&loop);
    }
    CHECK_MESSAGE(rc == 0, "a handle outlived the daemon");
  }

  // Runs the loop until `done` holds, or fails after `limit_ms`.
  void run_until(const std::function<bool()>& done, int limit_ms = 5000) {
    bool expired = false;
    UvTimer guard(&loop);
    guard.start(static_cast<std::uint64_t>(limit_ms), [&] { expired = true; });
    while (!done() && !expired)
      uv_run(&loop, UV_RUN_ONCE);
    REQUIRE_MESSAGE(done(), "condition not reached within " << limit_ms << " ms");
  }
};

// Everything logged at info and above while it lives, as "LEVEL message" lines.
struct LogCapture {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
  bool has(const std::string& needle) const { return text.str().find(needle) != std::string::npos; }
};

// uv_queue_work that refuses while `g_refusals` is positive.
int g_refusals = 0;
int refusing_queue_work(uv_loop_t* loop, uv_work_t* req, uv_work_cb work, uv_after_work_cb after) {
  if (g_refusals > 0) {
    --g_refusals;
    return UV_ENOMEM;
  }
  return uv_queue_work(loop, req, work, after);
}

bool pending(int signum) {
  sigset_t set;
  sigpending(&set);
  return sigismember(&set, signum) == 1;
}

}  // namespace

TEST_CASE("daemon: SIGHUP with an invalid file keeps the old config, a valid one applies") {
  Harness h(config_text({"a", "b"}));
  h.daemon->start();
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1"});
  REQUIRE(h.sink.target_sets.size() == 1);
  CHECK(h.sink.target_sets[0] == std::vector<std::string>{"a", "b"});

  h.dir.write("faultline.yaml", "targets:\n  - name: a\n    url: [oops\n");
  raise(SIGHUP);
  h.run_until([&] { return h.reloads.size() == 1; });
  CHECK_FALSE(h.reloads[0].first);
  CHECK(h.sink.target_sets.size() == 1);
  CHECK(h.daemon->scheduler().targets().size() == 2);
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1"});

  h.dir.write("faultline.yaml", config_text({"a", "c"}));
  raise(SIGHUP);
  h.run_until([&] { return h.reloads.size() == 2; });
  CHECK(h.reloads[1].first);
  REQUIRE(h.sink.target_sets.size() == 2);
  CHECK(h.sink.target_sets[1] == std::vector<std::string>{"a", "c"});
  CHECK(h.daemon->scheduler().find("b") == nullptr);
}

TEST_CASE("daemon: a config file deleted before the reload keeps the daemon running") {
  Harness h(config_text({"a"}));
  h.daemon->start();
  std::filesystem::remove(h.dir.file("faultline.yaml"));
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 1; });
  CHECK_FALSE(h.reloads[0].first);
  CHECK(h.daemon->scheduler().targets().size() == 1);
}

TEST_CASE("daemon: SIGTERM lets probes in flight finish, then flushes every sink once") {
  Harness h(config_text({"a", "b", "c"}));
  h.daemon->start();
  h.run_until([&] { return h.prober.in_flight() == 3; });
  const std::size_t started = h.prober.started.size();
  // The probes end 150 ms into the grace period.
  UvTimer finisher(&h.loop);
  finisher.start(150, [&] {
    while (h.prober.finish("", ok_result())) {
    }
  });
  raise(SIGTERM);
  h.run_until([&] { return h.daemon->stopped(); });
  CHECK(h.sink.results.size() == started);  // every in-flight probe's result was delivered
  CHECK(h.sink.flushes == 1);
  CHECK(h.prober.cancelled.empty());
  CHECK(h.prober.started.size() == started);  // nothing new started after the signal
  CHECK(h.notifier.messages.back() == "STOPPING=1");
}

TEST_CASE("daemon: probes still running after the grace period are cancelled, then flushed") {
  DaemonOptions options;
  options.stop_grace = std::chrono::milliseconds(300);
  Harness h(config_text({"a", "b"}), options);
  h.daemon->start();
  h.run_until([&] { return h.prober.in_flight() == 2; });
  const auto t0 = std::chrono::steady_clock::now();
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(3));
  CHECK(h.prober.cancelled.size() == 2);
  CHECK(h.sink.results.empty());
  CHECK(h.sink.flushes == 1);
}

TEST_CASE("daemon: results reach the sinks and state changes are events") {
  Harness h(config_text({"a"}));
  h.daemon->start();
  for (int i = 0; i < 3; ++i) {
    h.run_until([&] { return h.prober.in_flight() == 1; });
    h.prober.finish("", failed(FailureClass::refused));
  }
  REQUIRE(h.sink.results.size() == 3);
  REQUIRE(h.sink.changes.size() == 1);
  CHECK(h.sink.changes[0].first == "a");
  CHECK(h.sink.changes[0].second.to == TargetState::down);
  CHECK(h.sink.changes[0].second.cls == FailureClass::refused);
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
}

TEST_CASE(
    "daemon: schedule lag, the scheduler's numbers and reload outcomes reach the process sink") {
  Harness h(config_text({"a", "b"}));
  h.daemon->start();
  REQUIRE(h.process.stats.size() == 1);  // at once, then every second
  CHECK(h.process.stats[0].probes_in_flight == 0);
  h.run_until([&] { return h.prober.in_flight() == 2; });
  CHECK(h.process.lags.size() == 2);
  for (std::int64_t lag : h.process.lags)
    CHECK(lag >= 0);
  h.run_until([&] { return h.process.stats.size() >= 2; }, 3000);
  CHECK(h.process.stats.back().probes_in_flight == 2);
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 1; });
  CHECK(h.reloads[0].first);
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
}

TEST_CASE("daemon: a reload whose reading throws keeps the previous config and counts as failed") {
  int calls = 0;
  DaemonSeams seams;
  seams.load_config = [&calls](const std::string& path, const ReusableTargets&) -> ConfigLoad {
    ++calls;
    if (calls == 1) throw std::bad_alloc();
    if (calls == 2) {
      throw std::filesystem::filesystem_error(
          "cannot make absolute path", path,
          std::make_error_code(std::errc::no_such_file_or_directory));
    }
    return load_config(path);
  };
  Harness h(config_text({"a", "b"}), {}, std::move(seams));
  LogCapture log;
  h.daemon->start();
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 1; });
  CHECK_FALSE(h.reloads[0].first);
  CHECK(log.has("error reload failed: cannot read " + h.dir.file("faultline.yaml") +
                ": std::bad_alloc; still running the previous config"));
  CHECK(h.daemon->scheduler().targets().size() == 2);
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1"});

  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 2; });
  CHECK_FALSE(h.reloads[1].first);
  CHECK(log.has("cannot make absolute path"));
  CHECK(h.daemon->scheduler().targets().size() == 2);

  // The daemon is unharmed: the next reload applies.
  h.dir.write("faultline.yaml", config_text({"a"}));
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 3; });
  CHECK(h.reloads[2].first);
  CHECK(h.daemon->scheduler().targets().size() == 1);
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
}

TEST_CASE("daemon: a reload that cannot be queued fails, logged, and the next one applies") {
  DaemonSeams seams;
  seams.queue_work = refusing_queue_work;
  g_refusals = 1;
  Harness h(config_text({"a", "b"}), {}, std::move(seams));
  LogCapture log;
  h.daemon->start();
  h.dir.write("faultline.yaml", config_text({"a"}));
  h.daemon->request_reload();
  // Refused at once: the failure is counted before request_reload() returns.
  REQUIRE(h.reloads.size() == 1);
  CHECK_FALSE(h.reloads[0].first);
  CHECK(log.has("error reload failed: cannot queue the reading of " + h.dir.file("faultline.yaml") +
                ": " + uv_strerror(UV_ENOMEM) + "; still running the previous config"));
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1"});
  CHECK(h.daemon->scheduler().targets().size() == 2);

  // Nothing is left believing a reload is under way: the next one runs and applies.
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 2; });
  CHECK(h.reloads[1].first);
  CHECK(h.daemon->scheduler().targets().size() == 1);
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
}

TEST_CASE("daemon: a SIGHUP held before start becomes a reload once the watchers exist") {
  Harness h(config_text({"a"}));
  hold_signals(kDaemonSignals);
  raise(SIGHUP);  // without the hold, this would end the test binary
  CHECK(pending(SIGHUP));
  h.daemon->start();
  release_signals(kDaemonSignals);
  CHECK_FALSE(pending(SIGHUP));
  h.run_until([&] { return h.reloads.size() == 1; });
  CHECK(h.reloads[0].first);
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1"});
  h.daemon->request_stop();
  h.run_until([&] { return h.daemon->stopped(); });
}

TEST_CASE("daemon: a SIGTERM held before start stops cleanly once released, and flushes") {
  Harness h(config_text({"a", "b"}));
  LogCapture log;
  hold_signals(kDaemonSignals);
  raise(SIGTERM);
  h.daemon->start();
  release_signals(kDaemonSignals);
  h.run_until([&] { return h.daemon->stopped(); });
  CHECK(h.sink.flushes == 1);
  CHECK(h.notifier.messages == std::vector<std::string>{"READY=1", "STOPPING=1"});
  CHECK(log.has("info stopping: waiting up to"));
  CHECK(log.has("info stopped"));
  // A stop signal after the stop is complete is no "second stop signal": nothing exits.
  h.daemon->request_stop();
  CHECK(h.daemon->stopped());
}

TEST_CASE("daemon: a reload keeps the running settings of unchanged targets, not a copy") {
  // What the reload's load read for `a`, seen through the seam.
  const TargetConfig* loaded_a = nullptr;
  DaemonSeams seams;
  seams.load_config = [&loaded_a](const std::string& path, const ReusableTargets& running) {
    ConfigLoad load = load_config(path, StorageUse::write, &running);
    if (load.config) {
      for (std::size_t i = 0; i < load.config->targets.size(); ++i) {
        if (load.config->targets[i].name == "a") loaded_a = load.config->targets.shared(i).get();
      }
    }
    return load;
  };
  Harness h(
      "targets:\n"
      "  - {name: a, url: 'http://a.test/', interval: 200ms, timeout: 100ms}\n"
      "  - {name: b, url: 'http://b.test/', interval: 200ms, timeout: 100ms}\n",
      {}, std::move(seams));
  h.daemon->start();
  const TargetConfig* a = &h.daemon->scheduler().find("a")->config;
  const long uses = h.daemon->scheduler().find("a")->shared_config.use_count();
  const TargetConfig* b = &h.daemon->scheduler().find("b")->config;

  // `a` moves down a line and is written another way; `b` changes; `c` is new.
  h.dir.write("faultline.yaml",
              "targets:\n"
              "  - {name: c, url: 'http://c.test/', interval: 200ms, timeout: 100ms}\n"
              "  - name: a\n    url: http://a.test/\n    interval: 200ms\n    timeout: 100ms\n"
              "  - {name: b, url: 'http://b.test/other', interval: 200ms, timeout: 100ms}\n");
  h.daemon->request_reload();
  h.run_until([&] { return h.reloads.size() == 1; });
  REQUIRE(h.reloads[0].first);
  CHECK(loaded_a == a);  // the load shared the running object instead of reading a copy
  const MonitoredTarget* now_a = h.daemon->scheduler().find("a");
  const MonitoredTarget* now_b = h.daemon->scheduler().find("b");
  REQUIRE(now_a != nullptr);
  REQUIRE(now_b != nullptr);
  CHECK(&now_a->config == a);
  // Held as before: the reload's snapshot and its parse let go of theirs.
  CHECK(now_a->shared_config.use_count() == uses);
  CHECK(&now_b->config != b);
  CHECK(now_b->config.probe.url.path == "/other");
  CHECK(h.daemon->scheduler().find("c") != nullptr);
}
