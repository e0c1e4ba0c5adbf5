// SqliteStore end to end: results in through the ResultSink interface, rows out of a real SQLite
// file, read back through a separate connection as a user's sqlite3 shell would.
#include <doctest/doctest.h>

#include <cerrno>

#include "storage/batch_writer.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr auto kFlush = std::chrono::seconds(10);
// 2024-05-01T12:00:00.123Z: a known instant, so view output can be compared literally.
constexpr std::int64_t kNoon = 1714564800123;
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;

std::unique_ptr<SqliteStore> open_store(const StorageOptions& options) {
  auto store = SqliteStore::open(options);
  REQUIRE_MESSAGE(store, store.error());
  return std::move(*store);
}

void flush_all(SqliteStore& store) {
  store.flush(kFlush);
  REQUIRE(store.stats().queue_rows == 0);
}

StateChange change(std::int64_t at, TargetState from, TargetState to,
                   FailureClass cls = FailureClass::ok, Phase phase = Phase::none) {
  StateChange c;
  c.at_ms = at;
  c.from = from;
  c.to = to;
  c.cls = cls;
  c.phase = phase;
  return c;
}

}  // namespace

TEST_CASE("storage: a failure is stored with contract strings, and NULL where nothing applies") {
  TempDir dir;
  auto store = open_store(fast_options(dir.file("h.db")));
  const TargetInfo api =
      make_target("api", "https://api.test/healthz", Scheme::https, {{"team", "co\"re\n"}});
  store->on_targets({&api});

  store->on_result(api, refused_result(kNoon));
  ProbeResult http = ok_result(kNoon + 1000, 80);
  http.cls = FailureClass::http;
  http.phase = Phase::response;
  http.detail = Detail::http_status;
  http.http_status = 503;
  http.timings.tls_ms = 12.5;
  http.reused = true;
  http.idle_ms = 4000;
  http.message = "HTTP 503 (expected 200-399)";
  store->on_result(api, http);
  store->on_result(api, ok_result(kNoon + 2000, 40));
  flush_all(*store);
  CHECK(store->stats().rows_written_total == 4);  // targets row + three results

  TestDb db(dir.file("h.db"));
  auto rows = db.rows(
      "SELECT class, phase, detail, errno, http_status, dns_ms, connect_ms, tls_ms, "
      "first_byte_ms, total_ms, remote_addr, reused, idle_ms, message, time FROM failures "
      "ORDER BY time");
  REQUIRE(rows.size() == 2);  // the success feeds only the rollups
  CHECK(rows[0] == std::vector<std::string>{"refused", "connect", "NULL", "ECONNREFUSED", "NULL",
                                            "0.0", "0.25", "NULL", "NULL", "0.5", "127.0.0.1:1",
                                            "0", "NULL", "connection refused by 127.0.0.1:1",
                                            std::to_string(kNoon)});
  CHECK(rows[1] == std::vector<std::string>{"http", "response", "503", "NULL", "503", "0.0", "20.0",
                                            "12.5", "40.0", "80.0", "127.0.0.1:1", "1", "4000",
                                            "HTTP 503 (expected 200-399)",
                                            std::to_string(kNoon + 1000)});
  CHECK(db.scalar("SELECT count(errno) FROM failures") == 1);
  CHECK(db.scalar("SELECT count(*) FROM probes") == 0);

  auto target = db.rows(
      "SELECT name, url, kind, json_extract(labels, '$.team'), first_seen <= last_seen, "
      "last_seen >= " +
      std::to_string(kNoon + 2000) + " FROM targets");
  REQUIRE(target.size() == 1);
  CHECK(target[0] ==
        std::vector<std::string>{"api", "https://api.test/healthz", "https", "co\"re\n", "1", "1"});

  auto log = db.rows("SELECT time, target, class, detail FROM failure_log ORDER BY time_ms");
  REQUIRE(log.size() == 2);
  CHECK(log[0] == std::vector<std::string>{"2024-05-01T12:00:00.123Z", "api", "refused", "NULL"});
  CHECK(log[1][0] == "2024-05-01T12:00:01.123Z");
}

TEST_CASE("storage: rollups add up across a flush mid-minute and a restart") {
  TempDir dir;
  const StorageOptions options = fast_options(dir.file("h.db"));
  const TargetInfo api = make_target("api");
  const std::int64_t minute = kNoon - kNoon % kMinute;
  {
    auto store = open_store(options);
    store->on_targets({&api});
    store->on_result(api, ok_result(minute + 1000, 10));
    store->on_result(api, ok_result(minute + 2000, 30));
    flush_all(*store);
    ProbeResult slow_failure = refused_result(minute + 3000);
    slow_failure.timings.total_ms = 5;
    store->on_result(api, slow_failure);
    store->on_result(api, ok_result(minute + kMinute, 7));  // the next minute
    flush_all(*store);
  }
  {
    auto store = open_store(options);  // a restart within the same minute
    store->on_targets({&api});
    store->on_result(api, ok_result(minute + 59'000, 50));
    ProbeResult untimed = refused_result(minute + 59'500);
    untimed.timings.total_ms.reset();
    store->on_result(api, untimed);
    flush_all(*store);
  }
  TestDb db(options.path);
  auto rows = db.rows(
      "SELECT time, probes, ok, failures, min_total_ms, max_total_ms, total_ms_count, "
      "avg_total_ms FROM rollups ORDER BY time");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{std::to_string(minute), "5", "3", "2", "5.0", "50.0",
                                            "4", "23.75"});
  CHECK(rows[1] == std::vector<std::string>{std::to_string(minute + kMinute), "1", "1", "0", "7.0",
                                            "7.0", "1", "7.0"});
}

TEST_CASE("storage: state changes and the outages view, including a restart mid-outage") {
  TempDir dir;
  auto store = open_store(fast_options(dir.file("h.db")));
  const TargetInfo api = make_target("api");
  const TargetInfo db_target = make_target("db", "tcp://127.0.0.1:5432", Scheme::tcp);
  store->on_targets({&api, &db_target});

  StateChange down =
      change(kNoon, TargetState::up, TargetState::down, FailureClass::http, Phase::response);
  down.detail = Detail::http_status;
  down.http_status = 502;
  down.message = "HTTP 502";
  store->on_state_change(api, down);
  store->on_state_change(api, change(kNoon + 10 * kMinute, TargetState::down, TargetState::up));
  // The daemon restarted during this outage: unknown -> down twice, then nothing yet.
  const std::int64_t recent = unix_now_ms() - 3 * kMinute;
  store->on_state_change(db_target, change(recent, TargetState::unknown, TargetState::down,
                                           FailureClass::refused, Phase::connect));
  store->on_state_change(db_target,
                         change(recent + kMinute, TargetState::unknown, TargetState::down,
                                FailureClass::refused, Phase::connect));
  flush_all(*store);

  TestDb db(dir.file("h.db"));
  CHECK(db.rows("SELECT from_state, to_state, class, phase, detail, message FROM state_changes "
                "ORDER BY id LIMIT 2") ==
        std::vector<std::vector<std::string>>{{"up", "down", "http", "response", "502", "HTTP 502"},
                                              {"down", "up", "ok", "", "NULL", ""}});
  auto outages = db.rows(
      "SELECT target, started, ended, duration_s, class, detail FROM outages ORDER BY "
      "started_ms");
  REQUIRE(outages.size() == 2);
  CHECK(outages[0] == std::vector<std::string>{"api", "2024-05-01T12:00:00.123Z",
                                               "2024-05-01T12:10:00.123Z", "600.0", "http", "502"});
  CHECK(outages[1][0] == "db");
  CHECK(outages[1][2] == "NULL");  // ongoing
  const double ongoing_s = std::stod(outages[1][3]);
  CHECK(ongoing_s >= 170);  // three minutes ago, generous either way
  CHECK(ongoing_s < 3600);
}

TEST_CASE("storage: record_successes adds a probes row for every probe, ok or not") {
  TempDir dir;
  StorageOptions options = fast_options(dir.file("h.db"));
  options.record_successes = true;
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  store->on_result(api, ok_result(kNoon, 10));
  store->on_result(api, refused_result(kNoon + 1000));
  store->on_result(api, ok_result(kNoon + 2000, 12));
  flush_all(*store);
  TestDb db(options.path);
  CHECK(db.rows("SELECT class, detail, http_status, remote_addr FROM probes ORDER BY time") ==
        std::vector<std::vector<std::string>>{{"ok", "NULL", "200", "127.0.0.1:1"},
                                              {"refused", "NULL", "NULL", "127.0.0.1:1"},
                                              {"ok", "NULL", "200", "127.0.0.1:1"}});
  CHECK(db.scalar("SELECT count(*) FROM failures") == 1);
}

TEST_CASE("storage: uptime_daily gives per-target, per-UTC-day uptime from the rollups") {
  TempDir dir;
  auto store = open_store(fast_options(dir.file("h.db")));
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  for (int i = 0; i < 4; ++i)
    store->on_result(api, ok_result(kNoon + i * kMinute, 10));
  store->on_result(api, refused_result(kNoon + 5 * kMinute));
  store->on_result(api, ok_result(kNoon + kDay, 10));
  flush_all(*store);
  TestDb db(dir.file("h.db"));
  CHECK(db.rows("SELECT target, day, probes, ok, failures, uptime_percent FROM uptime_daily "
                "ORDER BY day") ==
        std::vector<std::vector<std::string>>{{"api", "2024-05-01", "5", "4", "1", "80.0"},
                                              {"api", "2024-05-02", "1", "1", "0", "100.0"}});
}

TEST_CASE("storage: a reload that changes a target's URL keeps its id and updates the row") {
  TempDir dir;
  auto store = open_store(fast_options(dir.file("h.db")));
  const TargetInfo before = make_target("api", "http://old.test/");
  store->on_targets({&before});
  store->on_result(before, refused_result(kNoon));
  flush_all(*store);
  const TargetInfo after = make_target("api", "http://new.test/", Scheme::http, {{"env", "prod"}});
  store->on_targets({&after});
  store->on_result(after, refused_result(kNoon + 1000));
  flush_all(*store);
  TestDb db(dir.file("h.db"));
  CHECK(db.rows("SELECT id, url, labels FROM targets") ==
        std::vector<std::vector<std::string>>{{"1", "http://new.test/", "{\"env\":\"prod\"}"}});
  CHECK(db.scalar("SELECT count(DISTINCT target_id) FROM failures") == 1);
}

TEST_CASE("storage: rows reach the file within about a second without an explicit flush") {
  TempDir dir;
  StorageOptions options;
  options.path = dir.file("h.db");  // the default one-second flush interval
  options.retention_failures = std::chrono::days(100 * 365);
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_result(api, refused_result(kNoon));
  TestDb db(options.path);
  CHECK(eventually([&] { return db.scalar("SELECT count(*) FROM failures") == 1; },
                   std::chrono::seconds(5)));
  CHECK(db.scalar("SELECT count(*) FROM targets WHERE name = 'api'") == 1);
}

TEST_CASE("storage: retention prunes expired rows in chunks and keeps the rest") {
  TempDir dir;
  StorageOptions options = fast_options(dir.file("h.db"));
  options.record_successes = true;
  options.retention_failures = std::chrono::days(90);
  options.retention_rollups = std::chrono::days(400);
  options.prune_chunk_rows = 10;
  options.prune_chunks_per_pass = 2;
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  const std::int64_t now = unix_now_ms();
  store->on_targets({&api});
  for (int i = 0; i < 95; ++i) {
    store->on_result(api, refused_result(now - 91 * kDay + i));  // past retention.failures
    store->on_result(api, refused_result(now - 401 * kDay + i * kMinute));  // and .rollups
  }
  store->on_result(api, refused_result(now - 89 * kDay));
  store->on_result(api, refused_result(now - kDay));
  store->on_state_change(api, change(now - 401 * kDay, TargetState::up, TargetState::down));
  store->on_state_change(api, change(now - 399 * kDay, TargetState::down, TargetState::up));

  TestDb db(options.path);
  // 190 failures, 96 expired rollup minutes: many passes of 20 rows each are needed.
  CHECK(eventually(
      [&] {
        return db.scalar("SELECT count(*) FROM failures") == 2 &&
               db.scalar("SELECT count(*) FROM probes") == 2 &&
               db.scalar("SELECT count(*) FROM rollups") == 3 &&
               db.scalar("SELECT count(*) FROM state_changes") == 1;
      },
      std::chrono::seconds(20)));
  CHECK(db.scalar("SELECT min(time) FROM failures") == now - 89 * kDay);
  CHECK(db.scalar("SELECT count(*) FROM rollups WHERE time < " +
                  std::to_string(now - 400 * kDay)) == 0);
  CHECK(store->stats().write_errors_total == 0);
}

TEST_CASE("storage: labels are stored as valid JSON whatever characters they hold") {
  const Labels labels = {{"a\"b", "c\\d"}, {"nl", "x\ny\t\x01"}};
  const std::string json = labels_json(labels);
  CHECK(json == "{\"a\\\"b\":\"c\\\\d\",\"nl\":\"x\\ny\\t\\u0001\"}");
  CHECK(labels_json({}) == "{}");
}

TEST_CASE(
    "storage: idle findings extend a verdict while it holds and start a row when it changes") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  auto store = open_store(fast_options(path));
  const TargetInfo api = make_target("api", "https://api.test/", Scheme::https, {});
  store->on_targets({&api});

  IdleFinding middlebox;
  middlebox.kind = IdleFindingKind::middlebox_reset;
  middlebox.threshold_low_s = 20;
  middlebox.threshold_high_s = 21.5;
  middlebox.keepalive_verified = KeepaliveVerdict::yes;
  middlebox.keepalive_interval_s = 10;
  middlebox.survived = 3;
  middlebox.resets = 4;
  middlebox.summary = "connections idle >= 21.5 s are reset by a middlebox";
  middlebox.advice = "Enable TCP keepalive";
  store->on_idle_finding(api, middlebox, kNoon);
  store->on_idle_finding(api, middlebox, kNoon + 6 * 3'600'000);
  IdleFinding gone;
  gone.kind = IdleFindingKind::none;
  gone.threshold_low_s = 600;
  gone.survived = 5;
  gone.summary = "connections survived 600 s idle";
  gone.advice = "No idle-connection timeout up to 600 s";
  store->on_idle_finding(api, gone, kNoon + 12 * 3'600'000);
  flush_all(*store);

  TestDb db(path);
  auto rows = db.rows(
      "SELECT kind, threshold_low_s, threshold_high_s, keepalive_verified, keepalive_interval_s, "
      "experiments, survived, resets, first_seen, last_confirmed FROM idle_findings ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"middlebox_reset", "20.0", "21.5", "yes", "10.0", "2",
                                            "6", "8", std::to_string(kNoon),
                                            std::to_string(kNoon + 6 * 3'600'000)});
  CHECK(rows[1][0] == "none");
  CHECK(rows[1][2] == "NULL");
  CHECK(rows[1][3] == "untested");
  // The view shows each target's latest verdict only, with ISO times.
  auto report = db.rows("SELECT target, kind, first_seen, experiments FROM idle_report");
  REQUIRE(report.size() == 1);
  CHECK(report[0] == std::vector<std::string>{"api", "none", "2024-05-02T00:00:00.123Z", "1"});
}

TEST_CASE("storage: passive evidence counts probe observations, not experiments") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  auto store = open_store(fast_options(path));
  const TargetInfo api = make_target("api", "https://api.test/", Scheme::https, {});
  store->on_targets({&api});

  IdleFinding passive;
  passive.kind = IdleFindingKind::middlebox_reset;
  passive.threshold_low_s = 0;
  passive.threshold_high_s = 300;
  passive.from_experiment = false;
  passive.probe_observations = 3;
  passive.resets = 3;
  passive.summary = "connections idle >= 300 s are reset by a middlebox";
  passive.advice = "Enable TCP keepalive";
  store->on_idle_finding(api, passive, kNoon);
  passive.probe_observations = 2;
  passive.resets = 1;
  passive.survived = 1;
  store->on_idle_finding(api, passive, kNoon + 600'000);
  // An experiment confirming the same verdict counts as one.
  IdleFinding experiment = passive;
  experiment.from_experiment = true;
  experiment.probe_observations = 0;
  store->on_idle_finding(api, experiment, kNoon + 1'200'000);
  flush_all(*store);

  TestDb db(path);
  auto rows = db.rows("SELECT experiments, probe_observations, resets, survived FROM idle_report");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == std::vector<std::string>{"1", "5", "5", "2"});
}
