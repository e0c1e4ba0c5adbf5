// The router, the one route from a finished probe to the sinks, against recording sinks and a
// FakeClock: thresholds, the order every sink sees, what state is kept or forgotten, idle
// findings, the process's own numbers and the shared flush budget.
#include "daemon/result_router.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_fakes.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

TargetConfig target(const std::string& name, int failure_threshold = 2, int success_threshold = 1) {
  TargetConfig t;
  t.name = name;
  t.probe.url = *parse_target_url("http://" + name + ".test/");
  t.failure_threshold = failure_threshold;
  t.success_threshold = success_threshold;
  return t;
}

class JournalObserver final : public ResultObserver {
 public:
  explicit JournalObserver(std::vector<std::string>& journal) : journal_(journal) {}
  void on_probe_result(const MonitoredTarget& t, const ProbeResult&) override {
    journal_.push_back("observer " + t.info.name);
  }

 private:
  std::vector<std::string>& journal_;
};

struct Fixture {
  FakeClock clock;
  std::vector<std::string> journal;
  RecordingSink first{"first", journal};
  RecordingSink second{"second", journal};
  RecordingProcessSink process;
  ResultRouter router{clock, {&first, &second}, &process};
  std::vector<std::unique_ptr<MonitoredTarget>> targets;

  const MonitoredTarget& add(TargetConfig config) {
    targets.push_back(std::make_unique<MonitoredTarget>(std::move(config)));
    return *targets.back();
  }
  void announce(const std::vector<const MonitoredTarget*>& set) {
    router.announce_targets(set);
    journal.clear();
  }
};

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
};

}  // namespace

TEST_CASE("router: each state change reaches every sink exactly once, after the result, in order") {
  Fixture f;
  JournalObserver observer(f.journal);
  f.router.add_observer(observer);
  const MonitoredTarget& a = f.add(target("a", 3, 2));
  f.announce({&a});

  for (int i = 0; i < 4; ++i)
    f.router.on_probe_finished(a, failed(FailureClass::refused));
  f.router.on_probe_finished(a, ok_result());
  f.router.on_probe_finished(a, ok_result());
  f.router.on_probe_finished(a, ok_result());

  const std::vector<std::string> result = {"first result a", "second result a", "observer a"};
  std::vector<std::string> expected;
  auto append = [&](const std::vector<std::string>& lines) {
    expected.insert(expected.end(), lines.begin(), lines.end());
  };
  append(result);  // failure 1 of 3
  append(result);  // failure 2
  append({"first result a", "second result a", "first change a down", "second change a down",
          "observer a"});  // failure 3: down
  append(result);          // failure 4: still down, no new event
  append(result);          // success 1 of 2
  append({"first result a", "second result a", "first change a up", "second change a up",
          "observer a"});  // success 2: up
  append(result);          // still up
  CHECK(f.journal == expected);

  REQUIRE(f.first.changes.size() == 2);
  const StateChange& down = f.first.changes[0].second;
  CHECK(down.from == TargetState::unknown);
  CHECK(down.to == TargetState::down);
  CHECK(down.cls == FailureClass::refused);
  CHECK(down.phase == Phase::connect);
  CHECK(down.at_ms == f.clock.unix_ms());
  const StateChange& up = f.first.changes[1].second;
  CHECK(up.from == TargetState::down);
  CHECK(up.to == TargetState::up);
  CHECK(f.router.state(a) == TargetState::up);
}

TEST_CASE("router: the state changes are logged once, as before the router owned the state") {
  Fixture f;
  const MonitoredTarget& a = f.add(target("a", 2));
  f.announce({&a});
  LogCapture log;
  ProbeResult timeout = failed(FailureClass::timeout, Phase::response);
  timeout.message = "no answer within 5000 ms";
  f.router.on_probe_finished(a, timeout);
  f.router.on_probe_finished(a, timeout);
  f.router.on_probe_finished(a, timeout);
  f.router.on_probe_finished(a, ok_result());
  CHECK(log.text.str() ==
        "warning a is DOWN after 2 failures: timeout during response: no answer within 5000 ms\n"
        "info a is UP (down -> up)\n");
}

TEST_CASE("router: `local` results reach the sinks but change no state") {
  Fixture f;
  const MonitoredTarget& a = f.add(target("a", 1));
  f.announce({&a});
  for (int i = 0; i < 5; ++i)
    f.router.on_probe_finished(a, failed(FailureClass::local));
  CHECK(f.first.results.size() == 5);
  CHECK(f.second.results.size() == 5);
  CHECK(f.first.changes.empty());
  CHECK(f.router.state(a) == TargetState::unknown);

  f.router.on_probe_finished(a, failed(FailureClass::refused));
  REQUIRE(f.first.changes.size() == 1);
  f.router.on_probe_finished(a, failed(FailureClass::local));
  f.router.on_probe_finished(a, ok_result());
  // The local failure neither counted as a failure nor broke the success streak.
  REQUIRE(f.first.changes.size() == 2);
  CHECK(f.first.changes[1].second.from == TargetState::down);
  CHECK(f.first.changes[1].second.to == TargetState::up);
}

TEST_CASE("router: a removed target's state is forgotten, a kept one keeps it") {
  Fixture f;
  const MonitoredTarget& a = f.add(target("a", 1));
  const MonitoredTarget& b = f.add(target("b", 1));
  f.announce({&a, &b});
  f.router.on_probe_finished(a, failed(FailureClass::refused));
  f.router.on_probe_finished(b, failed(FailureClass::refused));
  REQUIRE(f.router.state(a) == TargetState::down);

  f.announce({&b});  // a removed
  CHECK_FALSE(f.router.state(a).has_value());
  CHECK(f.router.state(b) == TargetState::down);
  CHECK(f.first.target_sets.back() == std::vector<std::string>{"b"});
  CHECK(f.second.target_sets.back() == std::vector<std::string>{"b"});

  // Configured again: it starts over, so its next failure is a change from unknown.
  f.announce({&a, &b});
  CHECK(f.router.state(a) == TargetState::unknown);
  f.router.on_probe_finished(a, failed(FailureClass::refused));
  REQUIRE(f.first.changes.size() == 3);
  CHECK(f.first.changes[2].second.from == TargetState::unknown);
  // b, kept all along, is still down: no new event.
  f.router.on_probe_finished(b, failed(FailureClass::refused));
  CHECK(f.first.changes.size() == 3);
}

TEST_CASE(
    "router: across a reload, an unchanged target keeps its state, a changed one starts over") {
  FakeClock clock;
  FakeProber prober;
  RecordingSink sink;
  ResultRouter router(clock, {&sink}, nullptr);
  Scheduler scheduler(clock, prober, router, 100);
  auto config = [](const std::string& name, std::int64_t interval_ms) {
    TargetConfig t = target(name, 1);
    t.interval = milliseconds(interval_ms);
    t.probe.timeout = milliseconds(50);
    return t;
  };
  scheduler.set_targets({config("keep", 1000), config("change", 1000)});
  router.announce_targets(scheduler.monitored());
  for (int i = 0; i < 4 && prober.in_flight() < 2; ++i) {
    clock.advance(*scheduler.next_wake_ms() - clock.monotonic_ms());
    scheduler.tick();
  }
  REQUIRE(prober.in_flight() == 2);
  REQUIRE(prober.finish("http://keep.test/", ok_result()));
  REQUIRE(prober.finish("http://change.test/", ok_result()));
  REQUIRE(router.state(*scheduler.find("keep")) == TargetState::up);
  REQUIRE(router.state(*scheduler.find("change")) == TargetState::up);

  scheduler.set_targets({config("keep", 1000), config("change", 2000)});
  router.announce_targets(scheduler.monitored());
  CHECK(router.state(*scheduler.find("keep")) == TargetState::up);
  CHECK(router.state(*scheduler.find("change")) == TargetState::unknown);
}

TEST_CASE("router: a target built where a removed one lived does not inherit its state") {
  Fixture f;
  auto old_target = std::make_unique<MonitoredTarget>(target("a", 1));
  f.announce({old_target.get()});
  f.router.on_probe_finished(*old_target, failed(FailureClass::refused));
  REQUIRE(f.router.state(*old_target) == TargetState::down);
  const std::uint64_t old_id = old_target->id;
  old_target.reset();
  // Whatever address the allocator hands out, the identity is new.
  auto new_target = std::make_unique<MonitoredTarget>(target("a", 1));
  CHECK(new_target->id != old_id);
  CHECK_FALSE(f.router.state(*new_target).has_value());
  f.router.announce_targets({new_target.get()});
  CHECK(f.router.state(*new_target) == TargetState::unknown);
}

TEST_CASE("router: idle findings reach every sink, lag, reloads and stats reach the process sink") {
  Fixture f;
  const MonitoredTarget& a = f.add(target("a"));
  f.announce({&a});
  IdleFinding finding;
  finding.kind = IdleFindingKind::middlebox_reset;
  f.router.on_idle_finding(a.info, finding, 1234);
  CHECK(f.journal == std::vector<std::string>{"first idle a", "second idle a"});
  REQUIRE(f.second.idle_findings.size() == 1);
  CHECK(f.second.idle_findings[0].second.kind == IdleFindingKind::middlebox_reset);

  f.router.on_probe_started(a, 42);
  f.router.on_reload(false, 100);
  f.router.on_reload(true, 200);
  f.router.on_stats({3, 7});
  CHECK(f.process.lags == std::vector<std::int64_t>{42});
  CHECK(f.process.reloads == std::vector<std::pair<bool, std::int64_t>>{{false, 100}, {true, 200}});
  REQUIRE(f.process.stats.size() == 1);
  CHECK(f.process.stats[0].probes_in_flight == 3);
  CHECK(f.process.stats[0].probes_skipped_total == 7);
  // None of it is a result or a state.
  CHECK(f.first.results.empty());
  CHECK(f.first.changes.empty());
}

TEST_CASE("router: without a process sink, the process's numbers go nowhere and nothing breaks") {
  FakeClock clock;
  RecordingSink sink;
  ResultRouter router(clock, {&sink}, nullptr);
  MonitoredTarget a(target("a"));
  router.on_probe_started(a, 5);
  router.on_reload(true, 1);
  router.on_stats({});
  router.on_probe_finished(a, ok_result());  // never announced: tracked from its first result
  CHECK(sink.results.size() == 1);
  CHECK(router.state(a) == TargetState::up);
}

TEST_CASE("router: flush goes to every sink in order, each getting what the ones before left") {
  Fixture f;
  f.first.flush_takes = milliseconds(150);
  f.router.flush(milliseconds(2000));
  CHECK(f.journal == std::vector<std::string>{"first flush", "second flush"});
  REQUIRE(f.first.flush_budgets.size() == 1);
  REQUIRE(f.second.flush_budgets.size() == 1);
  CHECK(f.first.flush_budgets[0] <= milliseconds(2000));
  CHECK(f.first.flush_budgets[0] >= milliseconds(1900));
  CHECK(f.second.flush_budgets[0] <= milliseconds(1850));

  // A sink that overruns the whole budget leaves nothing, never a negative wait.
  Fixture g;
  g.first.flush_takes = milliseconds(250);
  g.router.flush(milliseconds(100));
  REQUIRE(g.second.flush_budgets.size() == 1);
  CHECK(g.second.flush_budgets[0] == milliseconds(0));
}
