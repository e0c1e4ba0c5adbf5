// The scheduler against a FakeClock and a FakeProber: no sockets, no sleeping.
#include "daemon/scheduler.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/schedule_math.hpp"
#include "daemon_fakes.hpp"

using namespace faultline;
using faultline::testing::FakeProber;
using faultline::testing::ok_result;

namespace {

TargetConfig target(const std::string& name, std::int64_t interval_ms,
                    std::int64_t timeout_ms = 50) {
  TargetConfig t;
  t.name = name;
  t.probe.url = *parse_target_url("http://" + name + ".test/");
  t.probe.timeout = std::chrono::milliseconds(timeout_ms);
  t.interval = std::chrono::milliseconds(interval_ms);
  return t;
}

struct Recorder final : SchedulerListener {
  struct Start {
    std::string name;
    std::int64_t at;
    std::int64_t lag;
  };
  explicit Recorder(const FakeClock& c) : clock(c) {}
  void on_probe_started(const MonitoredTarget& t, std::int64_t lag_ms) override {
    starts.push_back({t.info.name, clock.monotonic_ms(), lag_ms});
  }
  void on_probe_finished(const MonitoredTarget& t, const ProbeResult&) override {
    finished.push_back(t.info.name);
  }
  std::vector<std::string> started_names() const {
    std::vector<std::string> out;
    for (const auto& s : starts)
      out.push_back(s.name);
    return out;
  }
  const FakeClock& clock;
  std::vector<Start> starts;
  std::vector<std::string> finished;
};

// Advances the clock to `until` (monotonic), ticking at every wake-up on the way.
void run_until(FakeClock& clock, Scheduler& s, std::int64_t until) {
  while (auto wake = s.next_wake_ms()) {
    if (*wake > until) break;
    clock.advance(std::max<std::int64_t>(0, *wake - clock.monotonic_ms()));
    s.tick();
  }
  clock.advance(std::max<std::int64_t>(0, until - clock.monotonic_ms()));
}

struct Fixture {
  FakeClock clock;
  FakeProber prober;
  Recorder recorder{clock};
};

}  // namespace

TEST_CASE("scheduler: fixed-rate ticks never drift, whatever the probe takes") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("api", 1000, 900)});
  const std::int64_t t0 = *s.next_wake_ms();
  const std::int64_t start = f.clock.monotonic_ms();
  CHECK(t0 - start < 1000);
  for (int k = 0; k < 500; ++k) {
    run_until(f.clock, s, t0 + k * 1000);
    REQUIRE(f.prober.in_flight() == 1);
    // Each probe takes a different time (up to 899 ms) before it finishes.
    f.clock.advance((k * 37) % 900);
    REQUIRE(f.prober.finish("", ok_result()));
  }
  REQUIRE(f.recorder.starts.size() == 500);
  for (int k = 0; k < 500; ++k) {
    CHECK(f.recorder.starts[static_cast<std::size_t>(k)].at == t0 + k * 1000);
    CHECK(f.recorder.starts[static_cast<std::size_t>(k)].lag == 0);
  }
  CHECK(s.skipped_total() == 0);
}

TEST_CASE("scheduler: the phase follows the name, anchored to the wall clock") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("api", 10'000)});
  const std::int64_t wake = *s.next_wake_ms();
  const std::int64_t wake_unix = f.clock.unix_ms() + (wake - f.clock.monotonic_ms());
  const auto offset = start_offset("api", std::chrono::milliseconds(10'000));
  CHECK((wake_unix - offset.count()) % 10'000 == 0);
}

TEST_CASE("scheduler: a probe still running at its next tick is not started twice") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("slow", 1000)});
  const std::int64_t t0 = *s.next_wake_ms();
  run_until(f.clock, s, t0 + 4500);  // ticks at t0 .. t0+4000: the first probe never ends
  CHECK(f.prober.started.size() == 1);
  CHECK(s.skipped_total() == 4);
  REQUIRE(f.prober.finish("", ok_result()));
  run_until(f.clock, s, t0 + 5000);
  CHECK(f.prober.started.size() == 2);
  CHECK(f.recorder.starts.back().at == t0 + 5000);
}

TEST_CASE("scheduler: the in-flight cap queues probes and measures their lag") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 2);
  std::vector<TargetConfig> targets;
  for (int i = 0; i < 5; ++i)
    targets.push_back(target("t" + std::to_string(i), 60'000));
  s.set_targets(targets);
  run_until(f.clock, s, f.clock.monotonic_ms() + 60'000);  // every target became due once
  CHECK(f.prober.in_flight() == 2);
  CHECK(s.in_flight() == 2);
  CHECK(s.queued() == 3);
  CHECK(s.skipped_total() == 0);
  f.clock.advance(250);
  REQUIRE(f.prober.finish("", ok_result()));
  CHECK(f.prober.in_flight() == 2);
  CHECK(s.queued() == 2);
  // The probe that waited for a slot reports how long it waited.
  CHECK(f.recorder.starts.back().lag >= 250);
  while (f.prober.finish("", ok_result())) {
  }
  CHECK(f.recorder.starts.size() == 5);
  CHECK(s.queued() == 0);
  CHECK(s.in_flight() == 0);
}

TEST_CASE("scheduler: a stalled loop skips whole intervals instead of bursting") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("api", 1000)});
  const std::int64_t t0 = *s.next_wake_ms();
  f.clock.advance(t0 - f.clock.monotonic_ms() + 3500);  // woke 3.5 intervals late
  s.tick();
  CHECK(f.prober.started.size() == 1);
  CHECK(f.recorder.starts[0].lag == 3500);
  CHECK(s.skipped_total() == 3);
  CHECK(*s.next_wake_ms() == t0 + 4000);
}

TEST_CASE("scheduler: reload keeps unchanged targets, stops removed, restarts changed, adds new") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("keep", 1000), target("drop", 1000), target("change", 1000)});
  run_until(f.clock, s, f.clock.monotonic_ms() + 1000);
  REQUIRE(f.prober.in_flight() == 3);
  f.prober.finish("http://keep.test/", ok_result());
  const MonitoredTarget* keep_before = s.find("keep");
  REQUIRE(keep_before != nullptr);
  const std::uint64_t keep_id = keep_before->id;
  const std::uint64_t change_id = s.find("change")->id;
  const std::int64_t keep_wake = *s.next_wake_ms();

  TargetConfig changed = target("change", 2000);
  ReloadSummary summary = s.set_targets({target("keep", 1000), changed, target("new", 1000)});
  CHECK(summary.added == std::vector<std::string>{"new"});
  CHECK(summary.removed == std::vector<std::string>{"drop"});
  CHECK(summary.changed == std::vector<std::string>{"change"});
  CHECK(summary.unchanged == 1);
  // Running probes of removed and changed targets are cancelled; no result will arrive.
  CHECK(f.prober.cancelled.size() == 2);
  CHECK(f.prober.in_flight() == 0);
  CHECK(s.in_flight() == 0);
  // The unchanged target is the same object with the same identity (which its state is kept
  // under: result_router_test) and phase; the changed one is a new target.
  CHECK(s.find("keep") == keep_before);
  CHECK(s.find("keep")->id == keep_id);
  CHECK(*s.next_wake_ms() <= keep_wake);
  CHECK(s.find("change")->config.interval == std::chrono::milliseconds(2000));
  CHECK(s.find("change")->id != change_id);
  CHECK(s.find("new")->id != keep_id);
  CHECK(s.find("drop") == nullptr);
  std::vector<std::string> names;
  for (const TargetInfo* t : s.targets())
    names.push_back(t->name);
  CHECK(names == std::vector<std::string>{"keep", "change", "new"});

  f.recorder.starts.clear();
  run_until(f.clock, s, f.clock.monotonic_ms() + 2000);
  auto started = f.recorder.started_names();
  CHECK(std::count(started.begin(), started.end(), "drop") == 0);
  CHECK(std::count(started.begin(), started.end(), "new") >= 1);
  CHECK(std::count(started.begin(), started.end(), "change") == 1);
}

TEST_CASE("scheduler: stop drops queued probes and ticks, running ones finish") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 1);
  s.set_targets({target("a", 1000), target("b", 1000)});
  run_until(f.clock, s, f.clock.monotonic_ms() + 1000);
  CHECK(s.in_flight() == 1);
  CHECK(s.queued() == 1);
  s.stop();
  CHECK(s.queued() == 0);
  CHECK_FALSE(s.next_wake_ms().has_value());
  REQUIRE(f.prober.finish("", ok_result()));
  CHECK(f.prober.in_flight() == 0);  // the queued one did not start after stop
  CHECK(f.recorder.finished.size() == 1);
}

TEST_CASE("scheduler: after stop, `drained` runs once, right after the last running probe ends") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("a", 1000), target("b", 1000)});
  run_until(f.clock, s, f.clock.monotonic_ms() + 1000);
  REQUIRE(s.in_flight() == 2);
  int drained = 0;
  std::size_t heard_before_drained = 0;
  s.stop([&] {
    ++drained;
    heard_before_drained = f.recorder.finished.size();
  });
  CHECK(drained == 0);  // never from stop() itself
  REQUIRE(f.prober.finish("", ok_result()));
  CHECK(drained == 0);
  REQUIRE(f.prober.finish("", ok_result()));
  CHECK(drained == 1);
  CHECK(heard_before_drained == 2);  // the listener heard of the last one first
}

TEST_CASE("scheduler: probes cancelled after stop never call `drained`") {
  Fixture f;
  Scheduler s(f.clock, f.prober, f.recorder, 100);
  s.set_targets({target("a", 1000)});
  run_until(f.clock, s, f.clock.monotonic_ms() + 1000);
  REQUIRE(s.in_flight() == 1);
  int drained = 0;
  s.stop([&] { ++drained; });
  s.cancel_running();
  CHECK(s.in_flight() == 0);
  CHECK_FALSE(f.prober.finish("", ok_result()));  // cancelled: no result arrives
  CHECK(drained == 0);
}
