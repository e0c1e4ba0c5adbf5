// Path traces in the SQLite history (issue 20): the path_traces table and the path_report
// view, written by SqliteStore::on_path_trace into a real file, and the migration of a version
// 5 file.
#include <doctest/doctest.h>

#include "fake_tracer.hpp"
#include "storage/open_database.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

// 2024-05-01T12:00:00.123Z.
constexpr std::int64_t kNoon = 1714564800123;

std::string columns_of(TestDb& db, const std::string& table) {
  std::string out;
  for (const auto& row : db.rows("SELECT name FROM pragma_table_info('" + table + "')"))
    out += (out.empty() ? "" : ",") + row[0];
  return out;
}

}  // namespace

TEST_CASE("path traces storage: a trace that ran is a row, path_report names its target") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  const TargetInfo api = make_target("api", "https://10.0.3.3/", Scheme::https);
  {
    auto store = SqliteStore::open(fast_options(path));
    REQUIRE_MESSAGE(store, store.error());
    (*store)->on_targets({&api});
    PathTrace trace = dropped_after_hop_2();
    trace.address = "10.0.3.3";
    trace.port = 443;
    trace.started_at_ms = kNoon;
    (*store)->on_path_trace(api, trace);
    PathTrace failed;
    failed.local_error = "cannot open its TCP sockets: Too many open files (EMFILE)";
    (*store)->on_path_trace(api, failed);
    (*store)->flush(std::chrono::seconds(10));
  }
  TestDb db(path);
  CHECK(db.scalar("SELECT count(*) FROM path_traces") == 1);
  const auto rows = db.rows(
      "SELECT target, time, verdict, last_hop_ttl, last_hop_address, unreachable_code, "
      "host_answers_ping, host_hop, address, port, sentence FROM path_report");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == std::vector<std::string>{"api", "2024-05-01T12:00:00.123Z", "dropped_after_hop",
                                            "2", "10.0.2.1", "NULL", "1", "3", "10.0.3.3", "443",
                                            "packets to port 443 stop after hop 2 (10.0.2.1); "
                                            "the host answers ping at hop 3"});
  CHECK(db.rows("SELECT json_extract(hops, '$[1].address'), json_extract(hops, '$[2].reply'), "
                "json_type(hops, '$[2].address') FROM path_traces")[0] ==
        std::vector<std::string>{"10.0.2.1", "none", "null"});
}

TEST_CASE("path traces storage: a version 5 file gains path_traces and keeps its rows") {
  TempDir dir;
  const std::string path = dir.file("h.db");
  {
    StorageOptions options;
    options.path = path;
    REQUIRE(open_database(options));
  }
  {
    TestDb db(path);
    REQUIRE(db.exec("DROP VIEW path_report; DROP TABLE path_traces; PRAGMA user_version = 5") ==
            "");
    REQUIRE(db.exec("INSERT INTO targets (name, url, kind, first_seen, last_seen) "
                    "VALUES ('api', 'http://a/', 'http', 1, 2)") == "");
  }
  StorageOptions options;
  options.path = path;
  auto db = open_database(options);
  REQUIRE_MESSAGE(db, db.error());
  CHECK(*db->query_int("PRAGMA user_version") == kSchemaVersion);
  CHECK(*db->query_int("SELECT count(*) FROM targets") == 1);
  CHECK(*db->query_int("SELECT count(*) FROM path_traces") == 0);
  TestDb check(path);
  CHECK(columns_of(check, "path_traces") ==
        "id,target_id,time,address,port,verdict,last_hop_ttl,last_hop_address,unreachable_code,"
        "host_answers_ping,host_hop,sentence,hops");
  // The verdict column takes the closed vocabulary only.
  CHECK(check.exec("INSERT INTO path_traces (target_id, time, address, port, verdict, "
                   "host_answers_ping, sentence, hops) VALUES (1, 1, 'a', 1, 'lost', 0, 's', "
                   "'[]')") != "");
}
