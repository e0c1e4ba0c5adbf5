// The database layout is a contract with users' queries: these tests pin table and view columns,
// the pragmas the issue requires, migrations and the errors of a database that cannot be opened.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "storage/history_reader.hpp"
#include "storage/open_database.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::string columns_of(TestDb& db, const std::string& table) {
  std::string out;
  for (const auto& row : db.rows("SELECT name FROM pragma_table_xinfo('" + table + "')")) {
    if (!out.empty()) out += ",";
    out += row[0];
  }
  return out;
}

// Opens and closes the store's database once, so the file exists with the current schema.
void create_database(const std::string& path) {
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  REQUIRE_MESSAGE(db, db.error());
}

}  // namespace

TEST_CASE("storage schema: a new file gets every table, view and required pragma") {
  TempDir dir;
  const std::string path = dir.file("nested/deeper/history.db");
  create_database(path);  // also creates the missing parent directories
  TestDb db(path);

  CHECK(db.scalar("PRAGMA user_version") == kSchemaVersion);
  CHECK(db.rows("PRAGMA journal_mode")[0][0] == "wal");
  CHECK(db.scalar("PRAGMA auto_vacuum") == 2);  // incremental

  CHECK(columns_of(db, "targets") == "id,name,url,kind,labels,first_seen,last_seen,last_probe");
  const std::string result_columns =
      "id,target_id,time,class,phase,detail,errno,message,dns_ms,connect_ms,tls_ms,"
      "first_byte_ms,total_ms,http_status,remote_addr,reused,idle_ms";
  CHECK(columns_of(db, "failures") == result_columns);
  CHECK(columns_of(db, "probes") == result_columns);
  CHECK(columns_of(db, "rollups") ==
        "target_id,time,probes,ok,failures,min_total_ms,max_total_ms,total_ms_sum,"
        "total_ms_count,avg_total_ms,slow");
  CHECK(columns_of(db, "state_changes") ==
        "id,target_id,time,from_state,to_state,class,phase,detail,message");
  CHECK(columns_of(db, "failure_log") ==
        "time,target,class,phase,detail,errno,http_status,message,dns_ms,connect_ms,tls_ms,"
        "first_byte_ms,total_ms,remote_addr,reused,idle_ms,time_ms");
  CHECK(columns_of(db, "outages") ==
        "target,started,ended,ended_by,duration_s,class,phase,detail,message,started_ms,"
        "ended_ms");
  CHECK(columns_of(db, "uptime_daily") == "target,day,probes,ok,failures,uptime_percent");

  CHECK(columns_of(db, "idle_findings") ==
        "id,target_id,first_seen,last_confirmed,kind,threshold_low_s,threshold_high_s,"
        "keepalive_verified,keepalive_interval_s,experiments,survived,resets,closes,timeouts,"
        "summary,advice,probe_observations");
  CHECK(columns_of(db, "idle_report") ==
        "target,kind,threshold_low_s,threshold_high_s,keepalive_verified,keepalive_interval_s,"
        "first_seen,last_confirmed,experiments,resets,timeouts,closes,survived,summary,advice,"
        "probe_observations");

  // Every table is STRICT.
  for (const auto& row : db.rows("SELECT name, strict FROM pragma_table_list "
                                 "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
    CHECK_MESSAGE(row[1] == "1", row[0] << " is not STRICT");
  }
  // STRICT means a wrong type is refused rather than stored.
  CHECK(db.exec("INSERT INTO targets (name, url, kind, first_seen, last_seen) "
                "VALUES ('x', 'http://x/', 'http', 'yesterday', 0)") != "");
}

TEST_CASE("storage schema: a version 1 file gains idle_findings and keeps its rows") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  create_database(path);
  {
    // Turn the new file back into what faultline 0.1 without idle findings wrote.
    TestDb db(path);
    REQUIRE(db.exec("DROP VIEW path_report; DROP TABLE path_traces; "
                    "DROP VIEW idle_report; DROP TABLE idle_findings; "
                    "ALTER TABLE targets DROP COLUMN last_probe; "
                    "ALTER TABLE rollups DROP COLUMN slow; PRAGMA user_version = 1") == "");
    REQUIRE(db.exec("INSERT INTO targets (name, url, kind, first_seen, last_seen) "
                    "VALUES ('api', 'http://a/', 'http', 1, 2)") == "");
  }
  StorageOptions options;
  options.path = path;
  // Opening migrates.
  auto db = open_database(options);
  REQUIRE_MESSAGE(db, db.error());
  CHECK(*db->query_int("PRAGMA user_version") == kSchemaVersion);
  CHECK(*db->query_int("SELECT count(*) FROM targets") == 1);
  CHECK(*db->query_int("SELECT count(*) FROM idle_findings") == 0);
}

TEST_CASE("storage schema: a version 2 file gains probe_observations and keeps its findings") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  create_database(path);
  {
    // What faultline wrote before passive evidence: idle_findings without the column.
    TestDb db(path);
    REQUIRE(db.exec("DROP VIEW path_report; DROP TABLE path_traces; "
                    "DROP VIEW idle_report; ALTER TABLE idle_findings DROP COLUMN "
                    "probe_observations; ALTER TABLE targets DROP COLUMN last_probe; "
                    "ALTER TABLE rollups DROP COLUMN slow; PRAGMA user_version = 2") == "");
    REQUIRE(db.exec("INSERT INTO targets (name, url, kind, first_seen, last_seen) "
                    "VALUES ('api', 'http://a/', 'http', 1, 2)") == "");
    REQUIRE(db.exec("INSERT INTO idle_findings (target_id, first_seen, last_confirmed, kind, "
                    "threshold_low_s, keepalive_verified, experiments, survived, resets, closes, "
                    "timeouts, summary, advice) VALUES (1, 1, 2, 'none', 30, 'untested', 4, 8, "
                    "0, 0, 0, 's', 'a')") == "");
  }
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  REQUIRE_MESSAGE(db, db.error());
  CHECK(*db->query_int("PRAGMA user_version") == kSchemaVersion);
  CHECK(*db->query_int("SELECT experiments FROM idle_report WHERE target = 'api'") == 4);
  CHECK(*db->query_int("SELECT probe_observations FROM idle_report WHERE target = 'api'") == 0);
}

TEST_CASE("storage schema: opening a current file runs no migration and keeps its rows") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  create_database(path);
  {
    TestDb db(path);
    REQUIRE(db.exec("INSERT INTO targets (name, url, kind, first_seen, last_seen) "
                    "VALUES ('api', 'http://a/', 'http', 1, 2)") == "");
  }
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  REQUIRE_MESSAGE(db, db.error());
  auto from = migrate(*db);
  REQUIRE(from);
  CHECK(*from == kSchemaVersion);
  CHECK(*db->query_int("SELECT count(*) FROM targets") == 1);
}

TEST_CASE("storage schema: a file from a newer faultline is refused, naming path and version") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  create_database(path);
  {
    TestDb db(path);
    REQUIRE(db.exec("PRAGMA user_version = 99") == "");
  }
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  REQUIRE_FALSE(db);
  CHECK(db.error().find("'" + path + "'") != std::string::npos);
  CHECK(db.error().find("schema version 99 is newer") != std::string::npos);
}

TEST_CASE("storage schema: unopenable paths are errors that name the path and the cause") {
  TempDir dir;
  StorageOptions options;

  SUBCASE("the parent is a regular file") {
    std::ofstream(dir.file("plain")) << "x";
    options.path = dir.file("plain/h.db");
    auto db = open_database(options);
    REQUIRE_FALSE(db);
    CHECK(db.error().find("'" + options.path + "'") != std::string::npos);
    CHECK(db.error().find("cannot create directory") != std::string::npos);
  }
  SUBCASE("the path is a directory") {
    std::filesystem::create_directory(dir.file("adir"));
    options.path = dir.file("adir");
    auto db = open_database(options);
    REQUIRE_FALSE(db);
    CHECK(db.error().find("'" + options.path + "'") != std::string::npos);
    CHECK(db.error().find("unable to open database file") != std::string::npos);
  }
  SUBCASE("the file is not a database") {
    std::ofstream(dir.file("notes.db")) << std::string(8192, 'x');
    options.path = dir.file("notes.db");
    auto db = open_database(options);
    REQUIRE_FALSE(db);
    CHECK(db.error().find("'" + options.path + "'") != std::string::npos);
    CHECK(db.error().find("file is not a database") != std::string::npos);
  }
}

TEST_CASE("storage schema: a database on a read-only filesystem is refused at start") {
  if (geteuid() != 0) {
    skip_test("mounting a read-only filesystem needs root (CI runs as root)");
    return;
  }
  TempDir dir;
  NetnsResult child = run_on_tmpfs(dir.path().string(), 4 << 20, [&]() -> std::string {
    StorageOptions options;
    options.path = dir.file("h.db");
    if (auto db = open_database(options); !db) return "creating: " + db.error();
    if (mount(nullptr, dir.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      return std::string("remount read-only: ") + strerror(errno);
    }
    auto db = open_database(options);
    if (db) return "a read-only database was opened for writing";
    if (db.error().find("'" + options.path + "'") == std::string::npos ||
        db.error().find("read-only") == std::string::npos) {
      return "unhelpful error: " + db.error();
    }
    return "";
  });
  CHECK_MESSAGE(child.ok(), child.describe());
}

TEST_CASE("storage schema: a new database on a read-only filesystem says read-only (EROFS)") {
  if (geteuid() != 0) {
    skip_test("mounting a read-only filesystem needs root (CI runs as root)");
    return;
  }
  TempDir dir;
  NetnsResult child = run_on_tmpfs(dir.path().string(), 4 << 20, [&]() -> std::string {
    if (mount(nullptr, dir.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      return std::string("remount read-only: ") + strerror(errno);
    }
    StorageOptions options;
    options.path = dir.file("new.db");
    auto db = open_database(options);
    if (db) return "a database was created on a read-only filesystem";
    const std::string expected = "storage database '" + options.path + "': cannot create it in '" +
                                 dir.path().string() +
                                 "': Read-only file system (EROFS): remount it read-write or "
                                 "point storage.path elsewhere";
    if (db.error() != expected) return "got: " + db.error() + "\nnot: " + expected;
    return "";
  });
  CHECK_MESSAGE(child.ok(), child.describe());
}

TEST_CASE("storage schema: the folders created for a new database are named in one info line") {
  TempDir dir;
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_pattern("%l %v");
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  const auto restore = [&] { spdlog::set_default_logger(previous); };

  const std::string path = dir.file("made/by/us/h.db");
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  auto again = open_database(options);  // nothing to create the second time
  restore();
  REQUIRE_MESSAGE(db, db.error());
  REQUIRE_MESSAGE(again, again.error());
  CHECK(std::filesystem::is_directory(dir.file("made/by/us")));
  CHECK(log.str() == "info storage: created the missing folders '" + dir.file("made") + "', '" +
                         dir.file("made/by") + "', '" + dir.file("made/by/us") + "' for '" + path +
                         "'\n");
}

TEST_CASE(
    "storage schema: a version 3 file faultline wrote migrates, its outages say how they ended") {
  TempDir dir;
  const std::string path = dir.file("history.db");
  {
    // The file as faultline at schema version 3 left it (tests/storage_fixtures/).
    std::ifstream in(FAULTLINE_SOURCE_DIR "/tests/storage_fixtures/history_v3.sql");
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
  // Times of the fixture: `flapping` was down, up, down again; `gone` down from the start; the
  // daemon was stopped with both down, each last probed at its targets.last_seen.
  constexpr std::int64_t kFlappingDown = 1796376206379, kFlappingUp = 1796376208379,
                         kFlappingDownAgain = 1796376211379, kFlappingLast = 1796376212129,
                         kGoneDown = 1796376206376, kGoneLast = 1796376212125;
  {
    TestDb old(path);
    CHECK(old.scalar("PRAGMA user_version") == 3);
    CHECK(columns_of(old, "outages") ==
          "target,started,ended,duration_s,class,phase,detail,message,started_ms,ended_ms");
    CHECK(old.scalar("SELECT count(*) FROM outages WHERE ended IS NULL") == 2);
  }

  // `faultline report` on the old file, which it never writes, with no faultline running: the
  // outages still open end at their last probe.
  {
    auto reader = HistoryReader::open(path);
    REQUIRE_MESSAGE(reader, reader.error());
    auto report = reader->read({kFlappingDown - 60'000, kFlappingLast + 3'600'000, 24, {}});
    REQUIRE_MESSAGE(report, report.error());
    CHECK(report->faultline_running == false);
    REQUIRE(report->outages.size() == 3);
    CHECK(report->outages[0].target == "gone");
    CHECK(report->outages[0].ended_ms == kGoneLast);
    CHECK(report->outages[0].ended_by == "faultline_stopped");
    CHECK(report->outages[1].ended_ms == kFlappingUp);
    CHECK(report->outages[1].ended_by == "up");
    CHECK(report->outages[2].ended_ms == kFlappingLast);
    CHECK(report->outages[2].ended_by == "faultline_stopped");
  }

  {
    auto store = SqliteStore::open(fast_options(path));  // migrates, then ends what is open
    REQUIRE_MESSAGE(store, store.error());
  }
  TestDb db(path);
  CHECK(db.scalar("PRAGMA user_version") == kSchemaVersion);
  CHECK(db.scalar("SELECT count(*) FROM failures") == 36);
  CHECK(db.scalar("SELECT count(*) FROM rollups") == 3);
  CHECK(db.rows("SELECT target, started_ms, ended_ms, ended_by, duration_s FROM outages "
                "ORDER BY started_ms, target") ==
        std::vector<std::vector<std::string>>{
            {"gone", std::to_string(kGoneDown), std::to_string(kGoneLast), "faultline_stopped",
             "5.749"},
            {"flapping", std::to_string(kFlappingDown), std::to_string(kFlappingUp), "up", "2.0"},
            {"flapping", std::to_string(kFlappingDownAgain), std::to_string(kFlappingLast),
             "faultline_stopped", "0.75"}});
  CHECK(db.rows("SELECT from_state, to_state, class, phase, detail, message FROM state_changes "
                "WHERE id > 5 ORDER BY id") ==
        std::vector<std::vector<std::string>>{
            {"down", "unknown", "ok", "", "NULL", "faultline stopped"},
            {"down", "unknown", "ok", "", "NULL", "faultline stopped"}});
}
