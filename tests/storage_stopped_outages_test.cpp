// Down time is what faultline saw: a real `faultline run` with targets down is killed, then
// started again and stopped, and the history (the outages view, `faultline report` read long
// afterwards) ends each outage at the last probe faultline made, never at "now".
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "daemon/report_command.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/stopped_outages.hpp"
#include "storage_test_support.hpp"
#include "tests/daemon_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr auto kWait = std::chrono::seconds(20);
constexpr std::int64_t kMinuteMs = 60'000;

DaemonLaunch launch(const std::string& config) {
  DaemonLaunch l;
  l.config = config;
  return l;
}

// `faultline report --json` on `db` as if run `minutes_later` minutes from now.
nlohmann::json report_later(const std::string& db, int minutes_later) {
  ReportOptions options;
  options.db = {db};
  options.since = "2h";
  options.json = true;
  std::ostringstream out, err;
  REQUIRE(run_report(options, unix_now_ms() + minutes_later * kMinuteMs, out, err) == 0);
  CAPTURE(err.str());
  return nlohmann::json::parse(out.str());
}

StateChange change(std::int64_t at, TargetState from, TargetState to) {
  StateChange c;
  c.at_ms = at;
  c.from = from;
  c.to = to;
  if (to == TargetState::down) {
    c.cls = FailureClass::refused;
    c.phase = Phase::connect;
  }
  return c;
}

}  // namespace

TEST_CASE("stopped outages: closing the store ends each open outage at its target's last probe") {
  TempDir dir;
  const StorageOptions options = fast_options(dir.file("h.db"));
  const std::int64_t t0 = unix_now_ms() - 10 * kMinuteMs;
  {
    auto store = SqliteStore::open(options);
    REQUIRE_MESSAGE(store, store.error());
    const TargetInfo down = make_target("down");
    const TargetInfo recovered = make_target("recovered");
    const TargetInfo healthy = make_target("healthy");
    (*store)->on_targets({&down, &recovered, &healthy});
    (*store)->on_state_change(down, change(t0, TargetState::unknown, TargetState::down));
    (*store)->on_state_change(recovered, change(t0, TargetState::unknown, TargetState::down));
    (*store)->on_state_change(recovered, change(t0 + 1000, TargetState::down, TargetState::up));
    (*store)->on_state_change(healthy, change(t0, TargetState::unknown, TargetState::up));
    for (int i = 0; i < 5; ++i) {
      (*store)->on_result(down, refused_result(t0 + i * 2000));
      (*store)->on_result(healthy, ok_result(t0 + i * 2000 + 7000, 3));
    }
    (*store)->flush(std::chrono::seconds(10));
    TestDb db(options.path);
    CHECK(db.scalar("SELECT count(*) FROM outages WHERE ended IS NULL") == 1);
  }  // faultline stops
  TestDb db(options.path);
  CHECK(db.rows("SELECT target, started_ms, ended_ms, ended_by, duration_s FROM outages "
                "ORDER BY target") ==
        std::vector<std::vector<std::string>>{
            {"down", std::to_string(t0), std::to_string(t0 + 8000), "faultline_stopped", "8.0"},
            {"recovered", std::to_string(t0), std::to_string(t0 + 1000), "up", "1.0"}});
  CHECK(db.rows("SELECT from_state, to_state, class, phase, detail, message FROM state_changes "
                "WHERE to_state = 'unknown'") ==
        std::vector<std::vector<std::string>>{
            {"down", "unknown", "ok", "", "NULL", kStoppedMessage}});
  CHECK(db.scalar("SELECT last_probe FROM targets WHERE name = 'healthy'") == t0 + 15000);

  // Started again with the target still down: a new outage, not the old one running on.
  {
    auto store = SqliteStore::open(options);
    REQUIRE_MESSAGE(store, store.error());
    const TargetInfo down = make_target("down");
    (*store)->on_targets({&down});
    const std::int64_t t1 = t0 + 5 * kMinuteMs;
    (*store)->on_state_change(down, change(t1, TargetState::unknown, TargetState::down));
    (*store)->on_result(down, refused_result(t1));
    (*store)->flush(std::chrono::seconds(10));
    CHECK(db.rows("SELECT ended_by FROM outages WHERE target = 'down' ORDER BY started_ms") ==
          std::vector<std::vector<std::string>>{{"faultline_stopped"}, {"NULL"}});
  }
}

TEST_CASE("stopped outages: a killed faultline's outages end at the last probe, never now") {
  TempDir dir;
  LoopbackServer up(Behavior::http_ok);
  const std::string db = dir.file("history.db");
  const std::string config = dir.write(
      "faultline.yaml",
      "storage: {path: " + db +
          "}\nmetrics: {listen: 127.0.0.1:0}\n"
          "defaults: {interval: 200ms, timeout: 150ms, failure_threshold: 1}\n"
          "targets:\n  - {name: web, interval: 1s, timeout: 900ms, url: '" +
          up.url() + "'}\n  - {name: db, url: 'tcp://127.0.0.1:" + std::to_string(closed_port()) +
          "'}\n  - {name: cache, url: 'tcp://127.0.0.1:" + std::to_string(closed_port()) + "'}\n");
  auto count = [&](const std::string& where) {
    TestDb h(db);
    return h.scalar("SELECT count(*) FROM outages WHERE " + where);
  };

  {
    DaemonProcess first(launch(config));
    REQUIRE_MESSAGE(first.wait_for_log("cache is DOWN", kWait), first.log());
    REQUIRE(first.wait_for_log("db is DOWN", kWait));
    REQUIRE(eventually([&] { return count("ended IS NULL") == 2; }, kWait));
    first.signal(SIGKILL);
    CHECK(first.wait_exit(kWait) == 128 + SIGKILL);
  }
  // Nothing ended them: the view cannot tell a crash from a faultline still running...
  CHECK(count("ended IS NULL") == 2);
  // ...but the report can (nobody holds the lock): 51 minutes later they ended when
  // faultline did, seconds after they began.
  const auto later = report_later(db, 51);
  CHECK(later["faultline_running"] == false);
  REQUIRE(later["outages"].size() == 2);
  for (const auto& o : later["outages"]) {
    CAPTURE(o.dump());
    CHECK(o["ended_by"] == "faultline_stopped");
    CHECK(o["ongoing"] == false);
    CHECK(o["duration_s"].get<double>() < 60);
  }
  for (const auto& t : later["targets"])
    CHECK(t["down_s"].get<double>() < 60);

  // Started again: it ends what the killed one left open before it writes anything.
  DaemonProcess second(launch(config));
  REQUIRE_MESSAGE(second.wait_for_log("monitoring 3 targets", kWait), second.log());
  CHECK(second.log().find("storage: 2 outage(s) still open when faultline last stopped end at "
                          "their target's last probe") != std::string::npos);
  CHECK(count("ended_by = 'faultline_stopped'") == 2);
  REQUIRE(second.wait_for_log("db is DOWN", kWait));
  REQUIRE(eventually([&] { return count("ended IS NULL") == 2; }, kWait));
  const auto running = report_later(db, 0);
  CHECK(running["faultline_running"] == true);

  // Stopped cleanly: it ends its own.
  CHECK(second.stop() == 0);
  CHECK(count("ended IS NULL") == 0);
  CHECK(count("ended_by = 'faultline_stopped'") == 4);
  const auto after_stop = report_later(db, 51);
  CHECK(after_stop["outages"].size() == 4);
  for (const auto& o : after_stop["outages"]) {
    CAPTURE(o.dump());
    CHECK(o["ended_by"] == "faultline_stopped");
    CHECK(o["duration_s"].get<double>() < 60);
  }
}
