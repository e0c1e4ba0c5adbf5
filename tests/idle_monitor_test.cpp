// The daemon's idle monitor with a recording runner instead of real experiments: which targets
// run, how many at once, reruns, reload, and that a changed verdict is logged once.
#include "daemon/idle_monitor.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <functional>
#include <map>
#include <sstream>

#include "checks/uv_timer.hpp"
#include "daemon_fakes.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

struct FakeRuns {
  struct Run final : IdleMonitor::Run {
    explicit Run(FakeRuns& o, std::string n) : owner(o), name(std::move(n)) {}
    ~Run() override { ++owner.destroyed[name]; }
    FakeRuns& owner;
    std::string name;
  };
  IdleMonitor::Runner runner() {
    return [this](const MonitoredTarget& t, std::function<void(IdleFinding)> done) {
      started.push_back(t.info.name);
      pending[t.info.name] = std::move(done);
      return std::make_unique<Run>(*this, t.info.name);
    };
  }
  bool finish(const std::string& name, IdleFinding f) {
    auto it = pending.find(name);
    if (it == pending.end()) return false;
    auto done = std::move(it->second);
    pending.erase(it);
    done(std::move(f));
    return true;
  }
  std::vector<std::string> started;
  std::map<std::string, std::function<void(IdleFinding)>> pending;
  std::map<std::string, int> destroyed;
};

TargetConfig target(const std::string& name, bool idle) {
  TargetConfig t;
  t.name = name;
  t.probe.url = *parse_target_url("http://" + name + ".test/");
  if (idle) t.idle_probe = IdleProbeConfig{{std::chrono::seconds(30)}, true};
  return t;
}

IdleFinding middlebox(double low) {
  IdleFinding f;
  f.kind = IdleFindingKind::middlebox_reset;
  f.threshold_low_s = low;
  f.threshold_high_s = low + 1;
  f.summary = "connections idle >= " + std::to_string(low + 1) + " s are reset by a middlebox";
  return f;
}

struct Harness {
  uv_loop_t loop{};
  SystemClock clock;
  RecordingSink sink;
  FakeRuns runs;
  std::unique_ptr<IdleMonitor> monitor;
  std::vector<std::unique_ptr<MonitoredTarget>> targets;
  std::ostringstream log;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();

  Harness() {
    uv_loop_init(&loop);
    IdleMonitor::Options o;
    o.max_concurrent = 1;
    o.first_run_spread = milliseconds(20);
    o.rerun = milliseconds(50);
    monitor = std::make_unique<IdleMonitor>(&loop, clock, std::vector<ResultSink*>{&sink},
                                            runs.runner(), o);
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~Harness() {
    monitor.reset();
    spdlog::set_default_logger(previous);
    int rc = uv_loop_close(&loop);
    for (int i = 0; i < 100 && rc == UV_EBUSY; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      rc = uv_loop_close(&loop);
    }
    CHECK(rc == 0);
  }
  std::vector<const MonitoredTarget*> set(std::vector<TargetConfig> configs) {
    std::vector<const MonitoredTarget*> out;
    for (auto& c : configs) {
      targets.push_back(std::make_unique<MonitoredTarget>(c));
      out.push_back(targets.back().get());
    }
    monitor->set_targets(out);
    return out;
  }
  void run_until(const std::function<bool()>& done) {
    bool expired = false;
    UvTimer guard(&loop);
    guard.start(5000, [&] { expired = true; });
    while (!done() && !expired)
      uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(done());
  }
};

}  // namespace

TEST_CASE(
    "idle monitor: only idle_probe targets run, one at a time, and every verdict reaches the "
    "sinks") {
  Harness h;
  h.set({target("a", true), target("b", true), target("plain", false)});
  h.run_until([&] { return h.runs.started.size() == 1; });
  CHECK(h.monitor->running() == 1);
  const std::string first = h.runs.started[0];
  const std::string second = first == "a" ? "b" : "a";
  REQUIRE(h.runs.finish(first, middlebox(20)));
  h.run_until([&] { return h.runs.started.size() == 2; });
  CHECK(h.runs.started[1] == second);
  REQUIRE(h.runs.finish(second, IdleFinding{}));
  // Reruns come back; the same verdict again is recorded but not logged again.
  h.run_until([&] { return h.runs.pending.count(first) == 1; });
  REQUIRE(h.runs.finish(first, middlebox(20)));
  h.run_until([&] { return h.runs.destroyed[first] == 2; });

  for (const auto& n : h.runs.started)
    CHECK(n != "plain");
  CHECK(h.monitor->last_finding(first)->kind == IdleFindingKind::middlebox_reset);
  const std::string log = h.log.str();
  const auto warned = [&](const std::string& text) {
    std::size_t count = 0;
    for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
      ++count;
    }
    return count;
  };
  CHECK(warned("warning " + first + ": connections idle") == 1);
  CHECK(warned("info " + second + ": ") == 1);
}

TEST_CASE("idle monitor: a target removed or changed by a reload abandons its experiment") {
  Harness h;
  h.set({target("a", true)});
  h.run_until([&] { return h.runs.started.size() == 1; });
  h.set({target("b", true)});  // a removed
  CHECK(h.runs.destroyed["a"] == 1);
  CHECK(h.monitor->running() == 0);
  h.run_until([&] { return h.runs.started.size() == 2; });
  CHECK(h.runs.started[1] == "b");
  // A late verdict of the abandoned experiment is ignored.
  CHECK(h.runs.finish("a", middlebox(1)));
  CHECK_FALSE(h.monitor->last_finding("a").has_value());
  h.monitor->stop();
  CHECK(h.runs.destroyed["b"] == 1);
}
