// degraded_after: a successful probe slower than it is slow (still up). The key and its errors
// (file:line:col), check --degraded-after, and in `faultline run` the slow counter and the
// degraded gauge, the rollups' `slow` count and `faultline report`; a history written before
// rollups counted slow probes migrates and reads.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config_loader.hpp"
#include "storage/history_reader.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/config_errors.hpp"
#include "tests/daemon_process.hpp"
#include "tests/faultline_cli.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

LoopbackServerOptions answering_after(milliseconds delay) {
  LoopbackServerOptions o;
  o.response_delay = delay;
  return o;
}

}  // namespace

TEST_CASE("config: degraded_after on a target and under defaults, shorter than the timeout") {
  ConfigLoad load = parse_config(
      "defaults: {timeout: 2s, degraded_after: 800ms}\ntargets:\n"
      "  - {name: a, url: 'http://127.0.0.1/'}\n"
      "  - {name: b, url: 'tcp://127.0.0.1:22', degraded_after: 50ms}\n"
      "  - {name: c, url: 'https://127.0.0.1/', timeout: 500ms, degraded_after: 200ms}\n",
      "t.yaml");
  REQUIRE(load.config);
  CHECK(load.config->targets[0].probe.degraded_after == milliseconds(800));
  CHECK(load.config->targets[1].probe.degraded_after == milliseconds(50));
  CHECK(load.config->targets[2].probe.degraded_after == milliseconds(200));
  ConfigLoad none = parse_config("targets:\n  - {name: a, url: 'http://127.0.0.1/'}\n", "t.yaml");
  REQUIRE(none.config);
  CHECK_FALSE(none.config->targets[0].probe.degraded_after);

  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    degraded_after: 5s\n") ==
        "t.yaml:4:21: target 'a': degraded_after 5s must be shorter than its timeout 5s, or no "
        "probe could be slow");
  CHECK(error_of("defaults: {degraded_after: 3s}\n"
                 "targets:\n  - name: a\n    url: http://a/\n    timeout: 2s\n") ==
        "t.yaml:1:28: target 'a': degraded_after 3s must be shorter than its timeout 2s, or no "
        "probe could be slow");
  CHECK(error_of("targets:\n  - name: a\n    url: http://a/\n    degraded_after: fast\n")
            .find("t.yaml:4:21: 'degraded_after'") == 0);
}

TEST_CASE("check --degraded-after: a slow server is ok and slow, in text and JSON") {
  LoopbackServer slow(answering_after(milliseconds(400)));
  Run text = run_faultline({"check", "--degraded-after", "150ms", slow.url()});
  INFO(text.output);
  CHECK(text.status == 0);  // slow is still up
  CHECK(text.output.find("SLOW  slower than degraded_after 150ms: up, but degraded") !=
        std::string::npos);

  Run j = run_faultline({"check", "--json", "--degraded-after", "150ms", slow.url()});
  CHECK(j.status == 0);
  json out = json::parse(j.output);
  CHECK(out["class"] == "ok");
  CHECK(out["slow"] == true);
  CHECK(out["timings"]["total_ms"].get<double>() >= 350);

  Run fast = run_faultline({"check", "--json", "--degraded-after", "3s", slow.url()});
  CHECK(json::parse(fast.output)["slow"] == false);

  Run bad = run_faultline({"check", "--degraded-after", "5s", "--timeout", "5s", slow.url()});
  CHECK(bad.status == 2);
  CHECK(bad.output.find("faultline check: --degraded-after 5s must be shorter than --timeout 5s") !=
        std::string::npos);
}

TEST_CASE("run: slow probes are counted, the degraded gauge follows the last probe, rollups") {
  TempDir dir;
  LoopbackServer slow(answering_after(milliseconds(400)));
  LoopbackServer fast(Behavior::http_ok);
  DaemonLaunch launch;
  launch.config =
      dir.write("faultline.yaml",
                "storage: {path: " + dir.file("h.db") +
                    "}\nmetrics: {listen: 127.0.0.1:0}\n"
                    "defaults: {interval: 700ms, timeout: 600ms, degraded_after: 150ms}\ntargets:\n"
                    "  - {name: slow, url: '" +
                    slow.url() +
                    "'}\n"
                    "  - {name: fast, url: '" +
                    fast.url() + "'}\n");
  DaemonProcess daemon(launch);
  const int port = daemon.metrics_port();
  REQUIRE_MESSAGE(port > 0, daemon.log());
  std::vector<Sample> samples;
  REQUIRE(eventually(
      [&] {
        // A scrape may fall between a probe's two counters (probes_total, then slow_total),
        // so wait until one scrape shows both at 2 rather than assume they move together.
        samples = parse_exposition(http_get(port).body);
        return value_of(samples, "faultline_probes_slow_total", {{"target", "slow"}}).value_or(0) >=
                   2 &&
               value_of(samples, "faultline_probes_total", {{"target", "slow"}, {"class", "ok"}})
                       .value_or(0) >= 2;
      },
      seconds(20)));
  CHECK(value_of(samples, "faultline_target_degraded", {{"target", "slow"}}) == 1);
  CHECK(value_of(samples, "faultline_target_degraded", {{"target", "fast"}}) == 0);
  CHECK(value_of(samples, "faultline_probes_slow_total", {{"target", "fast"}}) == 0);
  CHECK(value_of(samples, "faultline_target_up", {{"target", "slow"}}) == 1);  // slow is up
  CHECK(value_of(samples, "faultline_probes_total", {{"target", "slow"}, {"class", "ok"}})
            .value_or(0) >= 2);
  CHECK(daemon.stop() == 0);

  TestDb db(dir.file("h.db"));
  CHECK(db.scalar("SELECT sum(r.slow) FROM rollups r JOIN targets t ON t.id = r.target_id "
                  "WHERE t.name = 'slow'") >= 2);
  CHECK(db.scalar("SELECT sum(r.slow) FROM rollups r JOIN targets t ON t.id = r.target_id "
                  "WHERE t.name = 'fast'") == 0);

  Run report = run_faultline({"report", "--db", dir.file("h.db"), "--json"});
  INFO(report.output);
  json r = json::parse(report.output);
  for (const json& t : r["targets"]) {
    if (t["target"] == "slow") CHECK(t["slow"].get<int>() >= 2);
    if (t["target"] == "fast") CHECK(t["slow"] == 0);
  }
  Run text = run_faultline({"report", "--db", dir.file("h.db")});
  CHECK(text.output.find(" SLOW ") != std::string::npos);
}

TEST_CASE("storage: a version 4 history migrates, rollups gain slow, counted from then on") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  {
    std::ifstream in(FAULTLINE_SOURCE_DIR "/tests/storage_fixtures/history_v4.sql");
    std::stringstream dump;
    dump << in.rdbuf();
    REQUIRE(!dump.str().empty());
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(raw, dump.str().c_str(), nullptr, nullptr, &error);
    const std::string text = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(raw);
    REQUIRE_MESSAGE(rc == SQLITE_OK, text);
  }
  {
    TestDb old(path);
    REQUIRE(old.scalar("PRAGMA user_version") == 4);
  }
  // `faultline report` reads the old file as it is (it never writes): no slow probes.
  {
    auto reader = HistoryReader::open(path);
    REQUIRE_MESSAGE(reader, reader.error());
    auto report = reader->read({1796387700000, 1796387760000, 1, {}});
    REQUIRE_MESSAGE(report, report.error());
    REQUIRE(report->targets.size() == 2);
    for (const TargetHistory& t : report->targets) {
      CHECK(t.probes > 10);
      CHECK(t.slow == 0);
    }
  }
  {
    auto store = SqliteStore::open(fast_options(path));  // migrates
    REQUIRE_MESSAGE(store, store.error());
    ProbeResult slow = ok_result(1796387700000 + 30'000, 900);
    slow.slow = true;
    (*store)->on_result(make_target("web", "http://127.0.0.1:47821/"), slow);
    (*store)->flush(seconds(5));
  }
  TestDb db(path);
  CHECK(db.scalar("PRAGMA user_version") == kSchemaVersion);
  CHECK(db.scalar("SELECT count(*) FROM rollups") == 2);
  CHECK(db.scalar("SELECT slow FROM rollups r JOIN targets t ON t.id = r.target_id "
                  "WHERE t.name = 'web'") == 1);
  CHECK(db.scalar("SELECT slow FROM rollups r JOIN targets t ON t.id = r.target_id "
                  "WHERE t.name = 'gone'") == 0);
  CHECK(db.scalar("SELECT probes FROM rollups r JOIN targets t ON t.id = r.target_id "
                  "WHERE t.name = 'web'") == 17);
}
