// `faultline report` against a history written by SqliteStore: the numbers, the JSON shape,
// the aligned text, and the errors and exit statuses of the real binary.
#include "daemon/report_command.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/report_output.hpp"
#include "storage/history_reader.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/faultline_cli.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
// 2024-05-01T12:00:00Z: the report's "now"; the window is the 24 hours before.
constexpr std::int64_t kNow = 1'714'564'800'000;
constexpr std::int64_t kFrom = kNow - 24 * kHour;

// A probe `minute` minutes into the window, a second into that minute.
std::int64_t at(int minute) {
  return kFrom + minute * kMinute + 1000;
}

ProbeResult failure(std::int64_t when, FailureClass cls, Phase phase,
                    Detail detail = Detail::none) {
  ProbeResult r = refused_result(when);
  r.cls = cls;
  r.phase = phase;
  r.detail = detail;
  r.message = std::string(to_string(cls)) + " in " + std::string(to_string(phase));
  return r;
}

StateChange change(std::int64_t when, TargetState from, TargetState to, FailureClass cls,
                   Phase phase) {
  StateChange c;
  c.at_ms = when;
  c.from = from;
  c.to = to;
  c.cls = cls;
  c.phase = phase;
  c.message = std::string(to_string(cls)) + " in " + std::string(to_string(phase));
  return c;
}

// api: every minute for 24 h; 3 refused (minutes 1320-1322, an outage of 2 minutes) and an
// expired certificate (1430); also down from an hour before the window until an hour into it.
// db: every minute for the last 6 hours only; 10 refused from minute 1200, down for 10 minutes.
// web: every minute; 2 timeouts at 1435-1436, down since then. old: seen 3 days ago only.
// The store stays open, as a running daemon's would (holding the history's lock), until the
// caller drops it: then faultline has stopped.
[[nodiscard]] std::unique_ptr<SqliteStore> populate(const std::string& path) {
  auto opened = SqliteStore::open(fast_options(path));
  REQUIRE_MESSAGE(opened, opened.error());
  SqliteStore& store = **opened;
  const TargetInfo api = make_target("api", "https://api.test/", Scheme::https);
  const TargetInfo db = make_target("db", "tcp://127.0.0.1:5432", Scheme::tcp);
  const TargetInfo web = make_target("web", "http://web.test/", Scheme::http);
  const TargetInfo old = make_target("old", "http://old.test/", Scheme::http);
  store.on_targets({&old});
  for (int i = 0; i < 10; ++i)
    store.on_result(old, ok_result(kNow - 72 * kHour + i * kMinute, 5));
  store.on_targets({&api, &db, &web});

  for (int m = 0; m < 1440; ++m) {
    if (m >= 1320 && m <= 1322) {
      store.on_result(api, failure(at(m), FailureClass::refused, Phase::connect));
    } else if (m == 1430) {
      store.on_result(api, failure(at(m), FailureClass::tls, Phase::tls, Detail::expired));
    } else {
      store.on_result(api, ok_result(at(m), 20));
    }
    if (m >= 1080) {
      store.on_result(db, m >= 1200 && m < 1210
                              ? failure(at(m), FailureClass::refused, Phase::connect)
                              : ok_result(at(m), 5));
    }
    store.on_result(web, m == 1435 || m == 1436
                             ? failure(at(m), FailureClass::timeout, Phase::response)
                             : ok_result(at(m), 200));
  }
  store.on_state_change(api, change(kFrom - kHour, TargetState::up, TargetState::down,
                                    FailureClass::timeout, Phase::connect));
  store.on_state_change(api, change(kFrom + kHour, TargetState::down, TargetState::up,
                                    FailureClass::ok, Phase::none));
  store.on_state_change(api, change(at(1321), TargetState::up, TargetState::down,
                                    FailureClass::refused, Phase::connect));
  store.on_state_change(
      api, change(at(1323), TargetState::down, TargetState::up, FailureClass::ok, Phase::none));
  store.on_state_change(db, change(at(1201), TargetState::up, TargetState::down,
                                   FailureClass::refused, Phase::connect));
  store.on_state_change(
      db, change(at(1211), TargetState::down, TargetState::up, FailureClass::ok, Phase::none));
  store.on_state_change(web, change(at(1436), TargetState::up, TargetState::down,
                                    FailureClass::timeout, Phase::response));

  IdleFinding idle;
  idle.kind = IdleFindingKind::middlebox_reset;
  idle.threshold_low_s = 345;
  idle.threshold_high_s = 352.5;
  idle.keepalive_verified = KeepaliveVerdict::yes;
  idle.keepalive_interval_s = 172;
  idle.resets = 3;
  idle.survived = 4;
  idle.summary = "connections idle >= 352.5 s are reset by a middlebox";
  idle.advice = "Enable TCP keepalive on clients with an interval below 345 s.";
  store.on_idle_finding(web, idle, kNow - 2 * kHour);
  store.on_idle_finding(web, idle, kNow - kHour);
  // Normal probes over a kept connection (reuse_connection) confirmed the same verdict.
  IdleFinding passive = idle;
  passive.from_experiment = false;
  passive.probe_observations = 6;
  store.on_idle_finding(web, passive, kNow - kHour);
  store.flush(std::chrono::seconds(10));
  REQUIRE(store.stats().queue_rows == 0);
  return std::move(*opened);
}

HistoryReport read_report(const std::string& path, std::optional<std::string> target = {}) {
  auto reader = HistoryReader::open(path);
  REQUIRE_MESSAGE(reader, reader.error());
  HistoryWindow window;
  window.from_ms = kFrom;
  window.to_ms = kNow;
  window.target = std::move(target);
  auto report = reader->read(window);
  REQUIRE_MESSAGE(report, report.error());
  return *report;
}

const TargetHistory& target(const HistoryReport& r, const std::string& name) {
  for (const TargetHistory& t : r.targets)
    if (t.name == name) return t;
  FAIL("no target " << name);
  throw 0;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("report: uptime, buckets and outages per target, worst first") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  const HistoryReport r = read_report(path);

  REQUIRE(r.targets.size() == 3);  // `old` was probed before the window only
  CHECK(r.targets[0].name == "db");
  CHECK(r.targets[1].name == "api");
  CHECK(r.targets[2].name == "web");
  CHECK(r.schema_version == kSchemaVersion);

  const TargetHistory& api = target(r, "api");
  CHECK(api.url == "https://api.test/");
  CHECK(api.kind == "https");
  CHECK(api.probes == 1440);
  CHECK(api.ok == 1436);
  CHECK(api.failures == 4);
  CHECK(*api.uptime_percent() == doctest::Approx(100.0 * 1436 / 1440));
  REQUIRE(api.avg_total_ms);
  CHECK(*api.avg_total_ms == doctest::Approx((1436 * 20.0 + 4 * 0.5) / 1440));
  CHECK(api.outages == 2);
  // The first outage began an hour before the window: only its hour inside counts.
  CHECK(api.down_s == doctest::Approx(3600 + 120));
  REQUIRE(api.failures_by_bucket.size() == 24);
  CHECK(api.failures_by_bucket[22] == 3);
  CHECK(api.failures_by_bucket[23] == 1);
  CHECK(api.probes_by_bucket[0] == 60);

  const TargetHistory& db = target(r, "db");
  CHECK(db.probes == 360);
  CHECK(db.failures == 10);
  CHECK(*db.uptime_percent() == doctest::Approx(100.0 * 350 / 360));
  CHECK(db.outages == 1);
  CHECK(db.down_s == doctest::Approx(600));
  for (std::size_t b = 0; b < 18; ++b)
    CHECK(db.probes_by_bucket[b] == 0);  // not monitored yet: no data, not "no failures"
  CHECK(db.probes_by_bucket[18] == 60);
  CHECK(db.failures_by_bucket[20] == 10);

  const TargetHistory& web = target(r, "web");
  CHECK(web.failures == 2);
  CHECK(web.outages == 1);
  CHECK(web.down_s == doctest::Approx(4 * 60 - 1));  // down since 11:56:01

  // Oldest first; the one that began before the window is included.
  REQUIRE(r.outages.size() == 4);
  CHECK(r.outages[0].target == "api");
  CHECK(r.outages[0].started_ms == kFrom - kHour);
  CHECK(r.outages[0].ended_ms == kFrom + kHour);
  CHECK(r.outages[0].cls == "timeout");
  CHECK(r.outages[1].target == "db");
  CHECK(r.outages[1].ended_ms == at(1211));
  CHECK(r.outages[2].target == "api");
  CHECK(r.outages[3].target == "web");
  CHECK_FALSE(r.outages[3].ended_ms);
  CHECK(r.outages[3].phase == "response");

  REQUIRE(r.failures.size() == 4);
  CHECK(r.failures[0].target == "api");
  CHECK(r.failures[0].cls == "refused");
  CHECK(r.failures[0].phase == "connect");
  CHECK(r.failures[0].detail == "");
  CHECK(r.failures[0].count == 3);
  CHECK(r.failures[0].last_ms == at(1322));
  CHECK(r.failures[1].cls == "tls");
  CHECK(r.failures[1].detail == "expired");
  CHECK(r.failures[2].target == "db");
  CHECK(r.failures[2].count == 10);
  CHECK(r.failures[3].target == "web");
  CHECK(r.failures[3].cls == "timeout");

  REQUIRE(r.idle_findings.size() == 1);
  CHECK(r.idle_findings[0].target == "web");
  CHECK(r.idle_findings[0].kind == "middlebox_reset");
  CHECK(r.idle_findings[0].threshold_high_s == 352.5);
  CHECK(r.idle_findings[0].keepalive_verified == "yes");
  CHECK(r.idle_findings[0].experiments == 2);
  CHECK(r.idle_findings[0].probe_observations == 6);
}

TEST_CASE("report: --target narrows every section, an unknown target is an error") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  const HistoryReport r = read_report(path, "api");
  REQUIRE(r.targets.size() == 1);
  CHECK(r.targets[0].name == "api");
  CHECK(r.failures.size() == 2);
  CHECK(r.outages.size() == 2);
  CHECK(r.idle_findings.empty());

  // A target asked for by name is shown even when it was quiet during the window.
  CHECK(read_report(path, "old").targets.size() == 1);

  auto reader = HistoryReader::open(path);
  REQUIRE(reader);
  HistoryWindow w{kFrom, kNow, 24, "nope"};
  auto missing = reader->read(w);
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == "no target named 'nope' in the history");
}

TEST_CASE("report: the JSON object has the documented shape and the same numbers") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  std::ostringstream out, err;
  ReportOptions options;
  options.db = {path};
  options.json = true;
  REQUIRE(run_report(options, kNow, out, err) == 0);
  CHECK(err.str().empty());
  const auto j = nlohmann::ordered_json::parse(out.str());

  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"database", "schema_version", "faultline_running",
                                         "window", "targets", "failures", "outages",
                                         "idle_findings", "path_traces"});
  CHECK(j["faultline_running"] == true);
  CHECK(j["database"] == path);
  CHECK(j["window"]["from"] == "2024-04-30T12:00:00Z");
  CHECK(j["window"]["to"] == "2024-05-01T12:00:00Z");
  CHECK(j["window"]["buckets"] == 24);
  CHECK(j["window"]["bucket_seconds"] == 3600);

  REQUIRE(j["targets"].size() == 3);
  const auto& db = j["targets"][0];
  CHECK(db["target"] == "db");
  CHECK(db["kind"] == "tcp");
  CHECK(db["probes"] == 360);
  CHECK(db["ok"] == 350);
  CHECK(db["failures"] == 10);
  CHECK(db["uptime_percent"].get<double>() == doctest::Approx(97.2222).epsilon(1e-4));
  CHECK(db["outages"] == 1);
  CHECK(db["down_s"] == 600.0);
  CHECK(db["failures_by_bucket"].size() == 24);
  CHECK(db["failures_by_bucket"][20] == 10);
  CHECK(db["probes_by_bucket"][0] == 0);
  CHECK(db["avg_total_ms"].is_number());

  REQUIRE(j["failures"].size() == 4);
  CHECK(j["failures"][0] == nlohmann::ordered_json::parse(R"({"target": "api", "class": "refused",
      "phase": "connect", "detail": null, "count": 3, "last": "2024-05-01T10:02:01Z"})"));
  CHECK(j["failures"][1]["detail"] == "expired");

  REQUIRE(j["outages"].size() == 4);
  CHECK(j["outages"][1] == nlohmann::ordered_json::parse(R"({"target": "db",
      "started": "2024-05-01T08:01:01Z", "ended": "2024-05-01T08:11:01Z", "ended_by": "up",
      "duration_s": 600.0,
      "ongoing": false, "class": "refused", "phase": "connect", "detail": null,
      "message": "refused in connect"})"));
  CHECK(j["outages"][3]["ended"].is_null());
  CHECK(j["outages"][3]["ended_by"].is_null());
  CHECK(j["outages"][3]["ongoing"] == true);
  CHECK(j["outages"][3]["duration_s"] == 239.0);

  REQUIRE(j["idle_findings"].size() == 1);
  const auto& idle = j["idle_findings"][0];
  CHECK(idle["target"] == "web");
  CHECK(idle["kind"] == "middlebox_reset");
  CHECK(idle["threshold_low_s"] == 345.0);
  CHECK(idle["keepalive_interval_s"] == 172.0);
  CHECK(idle["first_seen"] == "2024-05-01T10:00:00Z");
  CHECK(idle["last_confirmed"] == "2024-05-01T11:00:00Z");
  CHECK(idle["advice"] == "Enable TCP keepalive on clients with an interval below 345 s.");
  CHECK(idle["probe_observations"] == 6);
}

TEST_CASE("report: the text has aligned columns and a sparkline per target") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  const HistoryReport r = read_report(path);
  const std::string text = render_report_text(r, {path, "24h"}, false, Charset::unicode);
  CAPTURE(text);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() > 8);
  CHECK(lines[0] == "faultline report  " + path);
  CHECK(lines[1] == "Last 24h: 2024-04-30 12:00 \u2192 2024-05-01 12:00 UTC, 3 targets");
  CHECK(lines[2] == "");
  // db: no data for 18 hours (blank), failures in the 21st hour only.
  const std::string db_spark = std::string(18, ' ') + "\u2581\u2581\u2588\u2581\u2581\u2581";
  const std::string api_spark = [] {
    std::string s;
    for (int i = 0; i < 22; ++i)
      s += "\u2581";
    return s + "\u2588\u2584";  // 3 failures, then 1: 1/3 of 7 levels, rounded up
  }();
  // Names left-aligned, numbers right-aligned, the sparkline last.
  CHECK(lines[3] ==
        "TARGET   UPTIME  PROBES  FAILED  SLOW     AVG  OUTAGES    DOWN  FAILURES PER 1h");
  CHECK(lines[4] == "db      97.222%     360      10     0  4.9 ms        1     10m  " + db_spark);
  CHECK(lines[5] == "api     99.722%    1440       4     0   20 ms        2   1h 2m  " + api_spark);
  CHECK(lines[6].starts_with("web     99.861%    1440       2     0  200 ms        1  3m 59s  "));
  CHECK(lines[7] == "");

  CHECK(text.find("\nFailures by class and phase\n"
                  "TARGET  CLASS    PHASE     DETAIL   COUNT  LAST\n"
                  "api     refused  connect                3  2024-05-01 10:02\n"
                  "api     tls      tls       expired      1  2024-05-01 11:50\n"
                  "db      refused  connect               10  2024-05-01 08:09\n"
                  "web     timeout  response               2  2024-05-01 11:56\n") !=
        std::string::npos);
  CHECK(text.find("db      2024-05-01 08:01  2024-05-01 08:11       10m  refused  connect") !=
        std::string::npos);
  CHECK(text.find("web     2024-05-01 11:56  ongoing             3m 59s  timeout  response") !=
        std::string::npos);
  CHECK(text.find("api     2024-04-30 11:00  2024-04-30 13:00        2h  timeout  connect") !=
        std::string::npos);
  CHECK(text.find("\nIdle-connection findings\nweb  middlebox_reset, last confirmed "
                  "2024-05-01 11:00 (2 experiments, 6 probe observations since 2024-05-01 10:00)\n"
                  "     connections idle >= 352.5 s are reset by a middlebox\n"
                  "     What to do: Enable TCP keepalive") != std::string::npos);
  CHECK(text.find('\033') == std::string::npos);  // no colour unless asked

  const std::string ascii = render_report_text(r, {path, "24h"}, false, Charset::ascii);
  CHECK(ascii.find(std::string(18, ' ') + "__#___") != std::string::npos);
  CHECK(ascii.find("\xe2") == std::string::npos);  // no UTF-8 at all

  const std::string color = render_report_text(r, {path, "24h"}, true, Charset::unicode);
  CHECK(color.find("\033[1;31mongoing\033[0m") != std::string::npos);
}

TEST_CASE("report: an outage faultline stopped during ends at its last probe, not now") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  populate(path).reset();  // faultline stopped, web still down: it was last probed at 11:59:01
  const HistoryReport r = read_report(path);
  CHECK(r.faultline_running == false);
  REQUIRE(r.outages.size() == 4);
  const OutageRecord& web = r.outages[3];
  CHECK(web.target == "web");
  CHECK(web.ended_ms == at(1439));
  CHECK(web.ended_by == "faultline_stopped");
  CHECK(r.outages[1].ended_by == "up");
  CHECK(target(r, "web").down_s == doctest::Approx(3 * 60));  // 11:56:01 to 11:59:01, not noon

  // Read an hour later, or a year: what faultline did not see is not down time.
  auto reader = HistoryReader::open(path);
  REQUIRE(reader);
  auto later = reader->read({kFrom + 30 * kHour, kNow + 30 * kHour, 24, {}});
  REQUIRE(later);
  CHECK(later->outages.empty());

  const std::string text = render_report_text(r, {path, "24h"}, false, Charset::unicode);
  CAPTURE(text);
  CHECK(text.find("web     2024-05-01 11:56  unknown since 2024-05-01 11:59 \u2014 faultline "
                  "stopped        3m  timeout  response") != std::string::npos);
  CHECK(text.find("ongoing") == std::string::npos);
  CHECK(render_report_text(r, {path, "24h"}, false, Charset::ascii)
            .find("unknown since 2024-05-01 11:59 - faultline stopped") != std::string::npos);

  std::ostringstream out, err;
  ReportOptions options;
  options.db = {path};
  options.json = true;
  REQUIRE(run_report(options, kNow, out, err) == 0);
  const auto j = nlohmann::ordered_json::parse(out.str());
  CHECK(j["faultline_running"] == false);
  CHECK(j["outages"][3]["ended"] == "2024-05-01T11:59:01Z");
  CHECK(j["outages"][3]["ended_by"] == "faultline_stopped");
  CHECK(j["outages"][3]["ongoing"] == false);
  CHECK(j["outages"][3]["duration_s"] == 180.0);
}

TEST_CASE("report: an empty period says so") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  auto reader = HistoryReader::open(path);
  REQUIRE(reader);
  auto r = reader->read({kNow + 10 * 24 * kHour, kNow + 11 * 24 * kHour, 24, {}});
  REQUIRE(r);
  CHECK(r->targets.empty());
  const std::string text = render_report_text(*r, {path, "24h"}, false, Charset::unicode);
  CHECK(text.ends_with("\nNo target was monitored in this period.\n"));
}

TEST_CASE("report: a schema version 1 file, from before idle findings, still reads") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  {
    TestDb db(path);
    REQUIRE(db.exec("DROP VIEW idle_report; DROP TABLE idle_findings; "
                    "ALTER TABLE rollups DROP COLUMN slow; PRAGMA user_version = 1") == "");
  }
  const HistoryReport r = read_report(path);
  CHECK(r.schema_version == 1);
  CHECK(r.targets.size() == 3);
  CHECK(r.idle_findings.empty());
}

TEST_CASE("report: a --since reaching back before 1970 is refused, never printed as a year") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  // kNow is 19,844 days after 1970-01-01.
  for (const std::string since : {"1000000d", "10000000000d", "19845d"}) {
    INFO("--since " << since);
    std::ostringstream out, err;
    ReportOptions options;
    options.db = {path};
    options.since = since;
    CHECK(run_report(options, kNow, out, err) == 2);
    CHECK(out.str().empty());
    CHECK(err.str() == "faultline report: --since " + since +
                           " reaches back before 1970, older than any history; the longest "
                           "period now is 19844d\n");
  }
  std::ostringstream out, err;
  ReportOptions options;
  options.db = {path};
  options.since = "19844d";
  options.json = true;
  REQUIRE(run_report(options, kNow, out, err) == 0);
  CHECK(nlohmann::json::parse(out.str())["window"]["from"] == "1970-01-01T12:00:00Z");
}

TEST_CASE("report binary: exit statuses and messages") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  const auto running = populate(path);
  auto contents = [](const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const std::string before = contents(path);

  // Through -c: storage.path of the config, relative to the config's folder.
  dir.write("faultline.yaml", "storage: {path: history.db}\ntargets: []\n");
  SeparateRun ok = run_faultline_shell(
      "report -c '" + dir.file("faultline.yaml") + "' --since 1000d --json", dir);
  CHECK_MESSAGE(ok.status == 0, ok.err);
  const auto j = nlohmann::json::parse(ok.out);
  CHECK(j["database"] == path);
  CHECK(j["targets"].size() == 4);  // `old` too, over 1000 days
  CHECK(contents(path) == before);  // read-only: the file is untouched

  SeparateRun text =
      run_faultline_shell("report --db '" + path + "' --since 1000d --target db", dir);
  CHECK(text.status == 0);
  CHECK(text.out.find("db      97.222%") != std::string::npos);

  SeparateRun missing = run_faultline_shell("report --db '" + dir.file("none.db") + "'", dir);
  CHECK(missing.status == 1);
  CHECK(missing.err == "faultline report: no history database at " + dir.file("none.db") +
                           " (faultline run creates it at storage.path)\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("none.db")));

  SeparateRun bad_since = run_faultline_shell("report --db '" + path + "' --since 5x", dir);
  CHECK(bad_since.status == 2);
  CHECK(bad_since.err.starts_with("faultline report: --since: "));
  CHECK(run_faultline_shell("report --db '" + path + "' --since 30s", dir).status == 2);
  SeparateRun before_1970 = run_faultline_shell("report --db '" + path + "' --since 1000000d", dir);
  CHECK(before_1970.status == 2);
  CHECK(before_1970.out.empty());
  CHECK(before_1970.err.find("reaches back before 1970") != std::string::npos);
  CHECK(run_faultline_shell("report --db x -c y", dir).status == 2);

  const std::string text_file = dir.write("notes.txt", "not a database\n");
  SeparateRun not_db = run_faultline_shell("report --db '" + text_file + "'", dir);
  CHECK(not_db.status == 1);
  CHECK(not_db.err.find("file is not a database") != std::string::npos);

  const std::string foreign = dir.file("foreign.db");
  REQUIRE(std::system(("sqlite3 '" + foreign + "' 'CREATE TABLE t (x)'").c_str()) == 0);
  SeparateRun not_ours = run_faultline_shell("report --db '" + foreign + "'", dir);
  CHECK(not_ours.status == 1);
  CHECK(not_ours.err == "faultline report: " + foreign +
                            " is not a faultline history database (no faultline schema in it)\n");

  {
    TestDb db(path);
    REQUIRE(db.exec("PRAGMA user_version = 99") == "");
  }
  SeparateRun newer = run_faultline_shell("report --db '" + path + "'", dir);
  CHECK(newer.status == 1);
  CHECK(newer.err.find("has schema version 99, newer than this faultline reads (" +
                       std::to_string(kSchemaVersion) + ")") != std::string::npos);
  {
    TestDb db(path);
    REQUIRE(db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)) == "");
  }
  SeparateRun unknown = run_faultline_shell("report --db '" + path + "' --target nope", dir);
  CHECK(unknown.status == 1);
  CHECK(unknown.err == "faultline report: " + path + ": no target named 'nope' in the history\n");
}
