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
    return [this](const MonitoredTarget& t, IdleMonitor::Done done) {
      started.push_back(t.info.name);
      pending[t.info.name] = std::move(done);
      return std::make_unique<Run>(*this, t.info.name);
    };
  }
  bool finish(const std::string& name, IdleFinding f, std::vector<IdleStepResult> steps = {}) {
    auto it = pending.find(name);
    if (it == pending.end()) return false;
    auto done = std::move(it->second);
    pending.erase(it);
    done(std::move(f), std::move(steps));
    return true;
  }
  std::vector<std::string> started;
  std::map<std::string, IdleMonitor::Done> pending;
  std::map<std::string, int> destroyed;
};

TargetConfig target(const std::string& name, bool idle, bool reuse = false) {
  TargetConfig t;
  t.name = name;
  t.probe.url = *parse_target_url("http://" + name + ".test/");
  if (idle) t.idle_probe = IdleProbeConfig{{std::chrono::seconds(30)}, true};
  t.probe.reuse_connection = reuse;
  return t;
}

// A normal probe's result as the engine reports it for a reuse_connection target.
ProbeResult fresh(FailureClass cls = FailureClass::ok) {
  ProbeResult r;
  r.cls = cls;
  if (cls != FailureClass::ok) r.phase = Phase::response;
  return r;
}
ProbeResult kept(std::int64_t idle_ms, IdleOutcome outcome) {
  ProbeResult r;  // ok: when the kept connection failed, libcurl's retry on a fresh one did not
  r.reused = outcome == IdleOutcome::survived;
  r.idle_ms = idle_ms;
  r.kept = KeptConnectionUse{idle_ms, outcome};
  return r;
}

IdleStepResult step(std::int64_t idle_ms, IdleOutcome outcome) {
  IdleStepResult s;
  s.request.idle = milliseconds(idle_ms);
  s.outcome = outcome;
  return s;
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
  ResultRouter router{clock, {&sink}, nullptr};  // the monitor's verdicts reach `sink` through it
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
    monitor = std::make_unique<IdleMonitor>(&loop, clock, router, runs.runner(), o);
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

TEST_CASE("idle monitor: probes over a kept connection start a finding without an experiment") {
  Harness h;
  const MonitoredTarget& api = *h.set({target("api", false, true)})[0];
  h.monitor->on_probe_result(api, fresh());
  CHECK(h.sink.idle_findings.empty());  // nothing has sat idle yet

  h.monitor->on_probe_result(api, kept(1000, IdleOutcome::survived));
  REQUIRE(h.sink.idle_findings.size() == 1);
  IdleFinding f = h.sink.idle_findings.back().second;
  CHECK(f.kind == IdleFindingKind::none);
  CHECK(f.threshold_low_s == doctest::Approx(1.0));
  CHECK_FALSE(f.from_experiment);
  CHECK(f.probe_observations == 1);

  // Reset after 3 s idle, while the fresh connection of libcurl's retry worked.
  h.monitor->on_probe_result(api, kept(3000, IdleOutcome::reset));
  REQUIRE(h.sink.idle_findings.size() == 2);
  f = h.sink.idle_findings.back().second;
  CHECK(f.kind == IdleFindingKind::middlebox_reset);
  CHECK(f.threshold_low_s == doctest::Approx(1.0));
  REQUIRE(f.threshold_high_s);
  CHECK(*f.threshold_high_s == doctest::Approx(3.0));
  CHECK(f.resets == 1);
  CHECK(f.probe_observations == 1);
  CHECK(f.summary.find("passive evidence: 1 of the last 2 probes") != std::string::npos);
  CHECK(h.log.str().find("warning api: connections idle >= 3 s are reset") != std::string::npos);

  // The same verdict again is not reported again before confirm_every, and idle times that
  // differ by a few milliseconds (2.95 s rounds up to the 3 s bound) are the same verdict.
  h.monitor->on_probe_result(api, kept(2950, IdleOutcome::reset));
  h.monitor->on_probe_result(api, kept(1040, IdleOutcome::survived));
  CHECK(h.sink.idle_findings.size() == 2);
  CHECK(h.monitor->last_finding("api")->kind == IdleFindingKind::middlebox_reset);
}

TEST_CASE("idle monitor: resets on fresh connections too are the server's, not a middlebox's") {
  Harness h;
  const MonitoredTarget& api = *h.set({target("api", false, true)})[0];
  h.monitor->on_probe_result(api, kept(2000, IdleOutcome::reset));
  ProbeResult retry_reset = fresh(FailureClass::reset);
  retry_reset.kept = KeptConnectionUse{2000, IdleOutcome::reset};
  h.monitor->on_probe_result(api, retry_reset);
  REQUIRE_FALSE(h.sink.idle_findings.empty());
  const IdleFinding& f = h.sink.idle_findings.back().second;
  CHECK(f.kind == IdleFindingKind::server_reset);
  CHECK(f.advice.find("keepalive will not help") != std::string::npos);
}

TEST_CASE("idle monitor: passive evidence narrows an experiment's bracket") {
  Harness h;
  const MonitoredTarget& api = *h.set({target("api", true, true)})[0];
  h.run_until([&] { return h.runs.pending.count("api") == 1; });
  std::vector<IdleStepResult> steps = {step(0, IdleOutcome::survived),
                                       step(10'000, IdleOutcome::survived),
                                       step(60'000, IdleOutcome::reset)};
  IdleBracket b({}, {});
  for (const auto& s : steps)
    b.record(s);
  REQUIRE(h.runs.finish("api", b.finding(), steps));
  REQUIRE(h.sink.idle_findings.size() == 1);
  CHECK(h.sink.idle_findings[0].second.from_experiment);
  CHECK(*h.sink.idle_findings[0].second.threshold_high_s == doctest::Approx(60.0));

  // A normal probe's connection survived 40 s idle, and another was reset after 50 s.
  h.monitor->on_probe_result(api, kept(40'000, IdleOutcome::survived));
  h.monitor->on_probe_result(api, kept(50'000, IdleOutcome::reset));
  const IdleFinding& f = h.sink.idle_findings.back().second;
  CHECK_FALSE(f.from_experiment);
  CHECK(f.kind == IdleFindingKind::middlebox_reset);
  CHECK(f.threshold_low_s == doctest::Approx(40.0));
  CHECK(*f.threshold_high_s == doctest::Approx(50.0));
  CHECK(f.summary.find("with the last experiment") != std::string::npos);
}

TEST_CASE("idle monitor: results of targets without reuse_connection are no evidence") {
  Harness h;
  const MonitoredTarget& plain = *h.set({target("plain", false, false)})[0];
  h.monitor->on_probe_result(plain, kept(3000, IdleOutcome::reset));
  CHECK(h.sink.idle_findings.empty());
  CHECK_FALSE(h.monitor->last_finding("plain"));
}
