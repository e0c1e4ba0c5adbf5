// The daemon's path traces (issue 20) without sockets: the ResultRouter and PathTraceScheduler
// against a FakeClock, a FakeTracer and recording sinks. When a trace starts (down with a
// connect timeout or unreachable, then once per trace_interval while down), how many run at
// once, the DOWN line that waits for the verdict, a trace that cannot run, a reload that
// removes a target, and address drift.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/path_trace_scheduler.hpp"
#include "daemon/result_router.hpp"
#include "daemon_fakes.hpp"
#include "fake_tracer.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kMinute = 60'000;

TargetConfig target(const std::string& name, int failure_threshold = 2) {
  TargetConfig t;
  t.name = name;
  t.probe.url = *parse_target_url("https://" + name + ".test/");
  t.failure_threshold = failure_threshold;
  t.success_threshold = 1;
  return t;
}

ProbeResult connect_timeout(const std::string& address = "10.0.3.3") {
  ProbeResult r;
  r.cls = FailureClass::timeout;
  r.phase = Phase::connect;
  r.message = "no answer to the TCP handshake";
  r.remote_addr = address + ":443";
  return r;
}

ProbeResult ok_from(const std::string& address) {
  ProbeResult r;
  r.message = "200 OK";
  r.remote_addr = address + ":443";
  return r;
}

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
  bool has(const std::string& part) const { return text.str().find(part) != std::string::npos; }
};

struct Fixture {
  FakeClock clock;
  RecordingSink sink;
  FakeTracer tracer;
  PathTraceScheduler traces{clock, tracer};
  ResultRouter router{clock, {&sink}, nullptr};
  std::vector<std::unique_ptr<MonitoredTarget>> targets;

  explicit Fixture(int max_concurrent = 4) {
    traces.configure(std::chrono::minutes(10), max_concurrent);
    router.set_path_traces(&traces);
  }
  const MonitoredTarget& add(TargetConfig config) {
    targets.push_back(std::make_unique<MonitoredTarget>(std::move(config)));
    std::vector<const MonitoredTarget*> all;
    for (const auto& t : targets)
      all.push_back(t.get());
    router.announce_targets(all);
    return *targets.back();
  }
};

}  // namespace

TEST_CASE("path traces: traced when down, then at most once per trace_interval while down") {
  LogCapture log;
  Fixture f;
  const MonitoredTarget& api = f.add(target("api"));
  f.router.on_probe_finished(api, connect_timeout());
  CHECK(f.tracer.started.empty());  // one failure of two: not down yet
  f.router.on_probe_finished(api, connect_timeout());
  REQUIRE(f.tracer.started.size() == 1);
  CHECK(f.tracer.started[0].address == "10.0.3.3");
  CHECK(f.tracer.started[0].port == 443);
  // The DOWN line waits for the verdict; the state change does not.
  CHECK_FALSE(log.has("is DOWN"));
  CHECK(f.sink.changes.size() == 1);

  f.clock.advance(3000);
  f.tracer.finish(0, dropped_after_hop_2());
  CHECK(
      log.has("warning api is DOWN after 2 failures: timeout during connect: no answer to the "
              "TCP handshake; packets to port 443 stop after hop 2 (10.0.2.1); the host "
              "answers ping at hop 3"));
  REQUIRE(f.sink.path_traces.size() == 1);
  CHECK(f.sink.path_traces[0].first == "api");
  CHECK(f.sink.path_traces[0].second.findings.verdict == PathVerdict::dropped_after_hop);

  // Still down: nothing new within the interval, one trace once it has passed.
  for (int minute = 1; minute < 10; ++minute) {
    f.clock.advance(kMinute);
    f.router.on_probe_finished(api, connect_timeout());
  }
  CHECK(f.tracer.started.size() == 1);
  f.clock.advance(kMinute);
  f.router.on_probe_finished(api, connect_timeout());
  REQUIRE(f.tracer.started.size() == 2);
  // While it runs, no second one.
  f.clock.advance(20 * kMinute);
  f.router.on_probe_finished(api, connect_timeout());
  CHECK(f.tracer.started.size() == 2);
  f.tracer.finish(1, dropped_after_hop_2());
  CHECK(log.has("info api is still down: packets to port 443 stop after hop 2"));
  CHECK(f.sink.path_traces.size() == 2);
}

TEST_CASE("path traces: a refused or an HTTP failure is not traced and logs DOWN at once") {
  LogCapture log;
  Fixture f;
  const MonitoredTarget& api = f.add(target("api", 1));
  ProbeResult refused = connect_timeout();
  refused.cls = FailureClass::refused;
  f.router.on_probe_finished(api, refused);
  CHECK(f.tracer.started.empty());
  CHECK(log.has("api is DOWN after 1 failures: refused during connect"));
  // Down already, and now a timeout during TLS: not a path problem either.
  ProbeResult tls = connect_timeout();
  tls.phase = Phase::tls;
  f.router.on_probe_finished(api, tls);
  CHECK(f.tracer.started.empty());
  // A connect timeout while down is.
  f.router.on_probe_finished(api, connect_timeout());
  CHECK(f.tracer.started.size() == 1);
}

TEST_CASE("path traces: at most max_concurrent_traces at once, the others wait their turn") {
  Fixture f(2);
  std::vector<const MonitoredTarget*> down;
  for (const char* name : {"a", "b", "c"})
    down.push_back(&f.add(target(name, 1)));
  for (const MonitoredTarget* t : down)
    f.router.on_probe_finished(*t, connect_timeout());
  CHECK(f.tracer.started.size() == 2);
  CHECK(f.traces.waiting() == 1);
  f.tracer.finish(0, dropped_after_hop_2());
  REQUIRE(f.tracer.started.size() == 3);
  CHECK(f.tracer.running() == 2);
  CHECK(f.traces.waiting() == 0);
}

TEST_CASE("path traces: max_concurrent_traces 0 traces nothing") {
  LogCapture log;
  Fixture f(0);
  const MonitoredTarget& api = f.add(target("api", 1));
  f.router.on_probe_finished(api, connect_timeout());
  CHECK(f.tracer.started.empty());
  CHECK(log.has("api is DOWN after 1 failures"));
}

TEST_CASE("path traces: a trace that cannot run is the daemon's trouble, logged as local") {
  LogCapture log;
  Fixture f;
  const MonitoredTarget& api = f.add(target("api", 1));
  f.router.on_probe_finished(api, connect_timeout());
  PathTrace failed;
  failed.local_errno = EMFILE;
  failed.local_error = "cannot open its TCP sockets: Too many open files (EMFILE)";
  f.tracer.finish(0, failed);
  CHECK(
      log.has("warning api: path trace to 10.0.3.3 port 443 could not run (local): cannot "
              "open its TCP sockets: Too many open files (EMFILE)"));
  CHECK(
      log.has("warning api is DOWN after 1 failures: timeout during connect: no answer to the "
              "TCP handshake\n"));
  // The target's own record is untouched: one failure, one change.
  CHECK(f.sink.results.size() == 1);
  CHECK(f.sink.changes.size() == 1);
}

TEST_CASE("path traces: a reload that removes a target cancels its trace, the DOWN line stays") {
  LogCapture log;
  Fixture f;
  const MonitoredTarget& api = f.add(target("api", 1));
  f.router.on_probe_finished(api, connect_timeout());
  REQUIRE(f.tracer.running() == 1);
  CHECK_FALSE(log.has("is DOWN"));
  f.router.announce_targets({});
  CHECK(f.tracer.running() == 0);
  CHECK(f.tracer.cancelled.size() == 1);
  CHECK(f.sink.path_traces.empty());
  CHECK(
      log.has("warning api is DOWN after 1 failures: timeout during connect: no answer to the "
              "TCP handshake\n"));
}

TEST_CASE("path traces: at stop, a DOWN line still waiting for its trace is logged") {
  LogCapture log;
  Fixture f;
  const MonitoredTarget& api = f.add(target("api", 1));
  f.router.on_probe_finished(api, connect_timeout());
  CHECK_FALSE(log.has("is DOWN"));
  f.router.flush(std::chrono::milliseconds(100));
  CHECK(log.has("warning api is DOWN after 1 failures"));
}

TEST_CASE("address drift: a failure from another address than the last success says so") {
  Fixture f;
  const MonitoredTarget& api = f.add(target("api", 3));
  f.router.on_probe_finished(api, ok_from("10.0.0.5"));
  f.clock.advance(12 * kMinute);
  f.router.on_probe_finished(api, connect_timeout("10.0.0.9"));
  REQUIRE(f.sink.results.size() == 2);
  CHECK(f.sink.results[1].second.message ==
        "no answer to the TCP handshake; resolves to 10.0.0.9 now; the last success was via "
        "10.0.0.5, 12 minutes ago");
  // From the same address: nothing to say.
  f.router.on_probe_finished(api, connect_timeout("10.0.0.5"));
  CHECK(f.sink.results[2].second.message == "no answer to the TCP handshake");
  CHECK(rough_age(45'000) == "45 seconds");
  CHECK(rough_age(3 * 3'600'000) == "3 hours");
  CHECK(rough_age(49 * 3'600'000) == "2 days");
}
