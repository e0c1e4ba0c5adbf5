// `faultline report` over several history files (the shards of a fleet, vantage points): the same
// report as one file holding the same rows, a target that moved between shards, one target in
// two files at the same time, and files that must be read without a trace or refused by name.
// Every file is written by SqliteStore, as the daemon writes it.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/report_command.hpp"
#include "daemon/report_output.hpp"
#include "daemon/report_sources.hpp"
#include "daemon/shard.hpp"
#include "storage/history_reader.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/faultline_cli.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

using json = nlohmann::ordered_json;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
// 2024-05-01T12:00:00Z: the report's "now"; the window is the 24 hours before.
constexpr std::int64_t kNow = 1'714'564'800'000;
constexpr std::int64_t kFrom = kNow - 24 * kHour;
constexpr int kShards = 3;

std::int64_t at(int minute) {
  return kFrom + minute * kMinute + 1000;
}

ProbeResult refused(std::int64_t when) {
  ProbeResult r = refused_result(when);
  r.message = "refused in connect";
  return r;
}

StateChange change(std::int64_t when, TargetState to) {
  StateChange c;
  c.at_ms = when;
  c.from = to == TargetState::down ? TargetState::up : TargetState::down;
  c.to = to;
  c.cls = to == TargetState::down ? FailureClass::refused : FailureClass::ok;
  c.phase = to == TargetState::down ? Phase::connect : Phase::none;
  c.message = to == TargetState::down ? "refused in connect" : "up";
  return c;
}

// Open stores, one per file, as running daemons hold them.
struct Fleet {
  std::vector<std::unique_ptr<SqliteStore>> stores;
  std::vector<std::string> paths;

  Fleet(const TempDir& dir, const std::string& prefix, int files) {
    for (int i = 0; i < files; ++i) {
      paths.push_back(dir.file(prefix + std::to_string(i) + ".db"));
      auto opened = SqliteStore::open(fast_options(paths.back()));
      REQUIRE_MESSAGE(opened, opened.error());
      stores.push_back(std::move(*opened));
    }
  }
  void flush() {
    for (auto& s : stores) {
      s->flush(std::chrono::seconds(10));
      REQUIRE(s->stats().queue_rows == 0);
    }
  }
  // The daemons stop: every store closes, ending what it left open.
  void stop() { stores.clear(); }
};

// Which file a target's rows at `minute` go to.
using Route = std::function<int(const std::string& target, int minute)>;

// The scenario, written through `route`: targets t0..t9 (each with a refused spell of 3 minutes
// of its own), `moved` (4 minutes down from minute 300 and 3 from minute 1100: one outage on
// each side of its move at noon in shard_route) and `web`, down since minute 1436 and with an
// idle-connection finding.
void write_fleet(Fleet& fleet, const Route& route) {
  std::vector<TargetInfo> targets;
  for (int i = 0; i < 10; ++i)
    targets.push_back(make_target("t" + std::to_string(i), "http://t" + std::to_string(i) + "/"));
  targets.push_back(make_target("moved", "tcp://127.0.0.1:5432", Scheme::tcp));
  targets.push_back(make_target("web", "https://web.test/", Scheme::https));
  for (std::size_t s = 0; s < fleet.stores.size(); ++s) {
    std::vector<const TargetInfo*> owned;
    for (const TargetInfo& t : targets) {
      if (route(t.name, 0) == static_cast<int>(s) || route(t.name, 1439) == static_cast<int>(s)) {
        owned.push_back(&t);
      }
    }
    fleet.stores[s]->on_targets(owned);
  }
  auto store = [&](const TargetInfo& t, int minute) -> SqliteStore& {
    return *fleet.stores[static_cast<std::size_t>(route(t.name, minute))];
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const TargetInfo& t = targets[i];
    const bool web = t.name == "web", moved = t.name == "moved";
    const int down_from = web ? 1436 : 100 + static_cast<int>(i) * 100;
    for (int m = 0; m < 1440; ++m) {
      const bool down =
          (m >= down_from && (web || m < down_from + 3)) || (moved && m >= 300 && m < 304);
      store(t, m).on_result(t, down ? refused(at(m)) : ok_result(at(m), 20));
    }
    store(t, down_from).on_state_change(t, change(at(down_from), TargetState::down));
    if (!web) {
      store(t, down_from + 3).on_state_change(t, change(at(down_from + 3), TargetState::up));
    }
    if (moved) {
      store(t, 300).on_state_change(t, change(at(300), TargetState::down));
      store(t, 304).on_state_change(t, change(at(304), TargetState::up));
    }
  }
  IdleFinding idle;
  idle.kind = IdleFindingKind::middlebox_reset;
  idle.threshold_low_s = 345;
  idle.threshold_high_s = 352.5;
  idle.keepalive_verified = KeepaliveVerdict::yes;
  idle.summary = "connections idle >= 352.5 s are reset by a middlebox";
  idle.advice = "Enable TCP keepalive.";
  store(targets.back(), 1439).on_idle_finding(targets.back(), idle, kNow - kHour);
  fleet.flush();
}

// shard_of() for every target but `moved`, which moves from shard 0 to shard 1 at noon.
int shard_route(const std::string& target, int minute) {
  if (target == "moved") return minute < 720 ? 0 : 1;
  return shard_of(target, kShards);
}

// `faultline report --json` over `paths`, in this process.
json report_over(const std::vector<std::string>& paths, const std::string& target = "") {
  ReportOptions options;
  options.db = paths;
  options.target = target;
  options.json = true;
  std::ostringstream out, err;
  REQUIRE_MESSAGE(run_report(options, kNow, out, err) == 0, err.str());
  return json::parse(out.str());
}

// The report without what names the files: what one database and its shards must agree on.
json without_sources(json j) {
  j.erase("database");
  j.erase("sources");
  for (const char* section : {"targets", "failures", "outages", "idle_findings"}) {
    for (auto& row : j[section]) {
      row.erase("instance");
      row.erase("instances");
    }
  }
  return j;
}

std::string db_args(const std::vector<std::string>& paths) {
  std::string args;
  for (const std::string& p : paths)
    args += " --db '" + p + "'";
  return args;
}

std::string contents(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("report shards: three shard databases report as one database with the same rows") {
  TempDir dir;
  Fleet one(dir, "all", 1);
  write_fleet(one, [](const std::string&, int) { return 0; });
  Fleet shards(dir, "shard", kShards);
  write_fleet(shards, shard_route);
  // Every shard holds targets of its own, and `moved` is in two of them.
  for (const std::string& path : shards.paths) {
    TestDb db(path);
    CHECK(db.scalar("SELECT count(*) FROM targets") >= 2);
  }

  const json merged = report_over(shards.paths);
  const json single = report_over(one.paths);
  CHECK(without_sources(merged).dump(2) == without_sources(single).dump(2));
  REQUIRE(single["targets"].size() == 12);
  CHECK(single["outages"].size() == 13);  // a spell per target, moved's second, web's ongoing
  CHECK(merged["database"].is_null());
  REQUIRE(merged["sources"].size() == 3);
  CHECK(merged["sources"][1] ==
        json::parse(R"({"instance": ")" + shards.paths[1] + R"(", "database": ")" +
                    shards.paths[1] + R"(", "schema_version": )" + std::to_string(kSchemaVersion) +
                    R"(, "faultline_running": true})"));
  CHECK(single.find("sources") == single.end());

  // The same per target, with --target: the one shard that holds it answers.
  for (const std::string target : {"t3", "t7", "moved", "web"}) {
    INFO(target);
    CHECK(without_sources(report_over(shards.paths, target)).dump() ==
          without_sources(report_over(one.paths, target)).dump());
  }
  // And after every daemon stopped (web's outage ends at its last probe in both).
  one.stop();
  shards.stop();
  const json stopped = report_over(shards.paths);
  CHECK(without_sources(stopped).dump(2) == without_sources(report_over(one.paths)).dump(2));
  CHECK(stopped["faultline_running"] == false);
}

TEST_CASE("report shards: a target that moved between shards shows its history from both") {
  TempDir dir;
  Fleet shards(dir, "shard", kShards);
  write_fleet(shards, shard_route);
  const json j = report_over(shards.paths, "moved");
  REQUIRE(j["targets"].size() == 1);
  const json& moved = j["targets"][0];
  CHECK(moved["probes"] == 1440);  // 720 from each shard
  CHECK(moved["failures"] == 7);
  CHECK(moved["outages"] == 2);
  CHECK(moved["down_s"] == 420.0);
  CHECK(moved["instances"] == json::array({shards.paths[0], shards.paths[1]}));
  REQUIRE(j["outages"].size() == 2);
  CHECK(j["outages"][0]["instance"] == shards.paths[0]);  // 17:00, before the move at noon
  CHECK(j["outages"][0]["started"] == "2024-04-30T17:00:01Z");
  CHECK(j["outages"][1]["instance"] == shards.paths[1]);
  CHECK(j["outages"][1]["started"] == "2024-05-01T06:20:01Z");
  REQUIRE(j["failures"].size() == 1);  // added up, as in one file
  CHECK(j["failures"][0]["count"] == 7);
  CHECK(j["failures"][0]["last"] == "2024-05-01T06:22:01Z");
  CHECK(j["failures"][0]["instances"] == json::array({shards.paths[0], shards.paths[1]}));

  // A target no shard holds is named once, for all of them.
  ReportOptions options;
  options.db = shards.paths;
  options.target = "nope";
  std::ostringstream out, err;
  CHECK(run_report(options, kNow, out, err) == 1);
  CHECK(err.str() == "faultline report: no target named 'nope' in any of the 3 histories\n");
}

TEST_CASE("report shards: one target in two files at the same time keeps both instances' rows") {
  TempDir dir;
  // Two vantage points probe every target of the scenario at the same minutes.
  Fleet vantages(dir, "vantage", 2);
  write_fleet(vantages, [](const std::string&, int) { return 0; });
  {
    // The second one saw the same targets, but t0 down for longer (an overlapping outage).
    SqliteStore& second = *vantages.stores[1];
    const TargetInfo t0 = make_target("t0", "http://t0/");
    second.on_targets({&t0});
    for (int m = 0; m < 1440; ++m)
      second.on_result(t0, m >= 99 && m < 105 ? refused(at(m)) : ok_result(at(m), 20));
    second.on_state_change(t0, change(at(99), TargetState::down));
    second.on_state_change(t0, change(at(105), TargetState::up));
    vantages.flush();
  }
  const std::string config_eu = dir.write(
      "eu.yaml", "cluster: {vantage: eu-west}\nstorage: {path: vantage0.db}\ntargets: []\n");
  const std::string config_us = dir.write(
      "us.yaml", "cluster: {vantage: us-east}\nstorage: {path: vantage1.db}\ntargets: []\n");
  SeparateRun run = run_faultline_shell("report -c '" + config_eu + "' -c '" + config_us +
                                            "' --since 24h --json "
                                            "--target t0",
                                        dir);
  REQUIRE_MESSAGE(run.status == 0, run.err);
  // The binary's now is today, not 2024: read through --since 24h, the window is empty; ask
  // for the target by name, which lists it whatever the window, then read the rows in-process.
  const json listed = json::parse(run.out);
  CHECK(listed["sources"][0]["instance"] == "eu-west");
  CHECK(listed["sources"][1]["instance"] == "us-east");
  CHECK(listed["sources"][1]["database"] == vantages.paths[1]);
  CHECK(listed["targets"][0]["instances"] == json::array({"eu-west", "us-east"}));

  auto sources = report_sources({}, {config_eu, config_us}, "", std::cerr);
  REQUIRE(sources);
  auto reader = HistoryReader::open(*sources);
  REQUIRE_MESSAGE(reader, reader.error());
  auto r = reader->read({kFrom, kNow, 24, "t0"});
  REQUIRE_MESSAGE(r, r.error());
  REQUIRE(r->targets.size() == 1);
  CHECK(r->targets[0].probes == 2 * 1440);
  CHECK(r->targets[0].failures == 3 + 6);
  CHECK(r->targets[0].outages == 2);
  CHECK(r->targets[0].down_s == doctest::Approx(6 * 60));  // 99..105 covers 100..103 once
  REQUIRE(r->outages.size() == 2);
  CHECK(r->outages[0].instance == "us-east");  // started first
  CHECK(r->outages[1].instance == "eu-west");
  CHECK(r->outages[0].started_ms == at(99));
  CHECK(r->outages[1].started_ms == at(100));
  REQUIRE(r->failures.size() == 1);
  CHECK(r->failures[0].instances == std::vector<std::string>{"eu-west", "us-east"});
  CHECK(r->failures[0].count == 9);
  CHECK(r->failures[0].last_ms == at(104));

  const std::string text = render_report_text(*r, {"", "24h"}, false, Charset::unicode);
  CAPTURE(text);
  CHECK(text.starts_with("faultline report  2 histories: eu-west (" + vantages.paths[0] +
                         "), us-east (" + vantages.paths[1] + ")\n"));
  CHECK(text.find("TARGET  INSTANCES          UPTIME") != std::string::npos);
  CHECK(text.find("\nt0      eu-west, us-east  ") != std::string::npos);
  CHECK(
      text.find("TARGET  INSTANCES         CLASS    PHASE    DETAIL  COUNT  LAST\n"
                "t0      eu-west, us-east  refused  connect              9  2024-04-30 13:44\n") !=
      std::string::npos);
  CHECK(text.find("t0      us-east   2024-04-30 13:39") != std::string::npos);

  // Two configs without a cluster section go by their paths.
  const std::string plain = dir.write("plain.yaml", "storage: {path: vantage0.db}\ntargets: []\n");
  const std::string plain2 =
      dir.write("plain2.yaml", "storage: {path: vantage1.db}\ntargets: []\n");
  auto by_path = report_sources({}, {plain, plain2}, "", std::cerr);
  REQUIRE(by_path);
  CHECK((*by_path)[0].instance == vantages.paths[0]);
  CHECK((*by_path)[1].instance == vantages.paths[1]);
  CHECK(cluster_instance({1, 3, "eu-west"}) == "eu-west shard 1");
  CHECK(cluster_instance({2, 3, std::nullopt}) == "shard 2");
  CHECK_FALSE(cluster_instance({}).has_value());
}

TEST_CASE("report shards: read-only, the files' bytes and times stay and nothing is left beside") {
  TempDir dir;
  Fleet shards(dir, "shard", kShards);
  write_fleet(shards, shard_route);
  shards.stop();  // daemons stopped: their -wal files are gone, as after a clean stop

  auto listing = [&] {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      names.insert(entry.path().filename().string());
    return names;
  };
  struct Before {
    std::string bytes;
    timespec mtime;
  };
  std::vector<Before> before;
  for (const std::string& path : shards.paths) {
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    before.push_back({contents(path), st.st_mtim});
  }
  const std::set<std::string> names = listing();
  for (const std::string& name : names)
    CHECK_FALSE(name.ends_with("-wal"));

  SeparateRun run =
      run_faultline_shell("report" + db_args(shards.paths) + " --since 1000d --json", dir);
  REQUIRE_MESSAGE(run.status == 0, run.err);
  CHECK(json::parse(run.out)["targets"].size() == 12);
  SeparateRun text = run_faultline_shell("report" + db_args(shards.paths) + " --since 1000d", dir);
  CHECK(text.status == 0);
  std::filesystem::remove(dir.file("stderr.txt"));

  CHECK(listing() == names);  // no -wal, -shm or -journal
  for (std::size_t i = 0; i < shards.paths.size(); ++i) {
    struct stat st {};
    REQUIRE(stat(shards.paths[i].c_str(), &st) == 0);
    CHECK(contents(shards.paths[i]) == before[i].bytes);
    CHECK(st.st_mtim.tv_sec == before[i].mtime.tv_sec);
    CHECK(st.st_mtim.tv_nsec == before[i].mtime.tv_nsec);
  }
}

TEST_CASE("report shards: a missing, foreign, corrupt, locked or repeated file is named") {
  TempDir dir;
  Fleet shards(dir, "shard", 2);
  write_fleet(shards, [](const std::string& target, int) { return shard_of(target, 2); });
  const std::string good = db_args(shards.paths);

  SeparateRun missing =
      run_faultline_shell("report" + good + " --db '" + dir.file("none.db") + "'", dir);
  CHECK(missing.status == 1);
  CHECK(missing.err == "faultline report: no history database at " + dir.file("none.db") +
                           " (faultline run creates it at storage.path)\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("none.db")));

  const std::string text_file = dir.write("notes.txt", "not a database\n");
  SeparateRun not_db = run_faultline_shell("report" + good + " --db '" + text_file + "'", dir);
  CHECK(not_db.status == 1);
  CHECK(not_db.err.starts_with("faultline report: cannot open " + text_file + ": ") !=
        not_db.err.starts_with("faultline report: cannot read " + text_file + ": "));
  CHECK(not_db.err.find("file is not a database") != std::string::npos);

  const std::string foreign = dir.file("foreign.db");
  REQUIRE(std::system(("sqlite3 '" + foreign + "' 'CREATE TABLE t (x)'").c_str()) == 0);
  SeparateRun not_ours = run_faultline_shell("report --db '" + foreign + "'" + good, dir);
  CHECK(not_ours.status == 1);
  CHECK(not_ours.err == "faultline report: " + foreign +
                            " is not a faultline history database (no faultline schema in it)\n");

  SeparateRun twice = run_faultline_shell("report" + good + " --db '" + shards.paths[0] + "'", dir);
  CHECK(twice.status == 1);
  CHECK(twice.err == "faultline report: " + shards.paths[0] + " is the same file as " +
                         shards.paths[0] + ": give each history once\n");

  // A file whose pages were overwritten past its header: SQLite's error, with the file's name.
  shards.stop();
  const std::string corrupt = dir.file("corrupt.db");
  std::filesystem::copy_file(shards.paths[1], corrupt);
  {
    std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(4 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  SeparateRun bad = run_faultline_shell(
      "report --db '" + shards.paths[0] + "' --db '" + corrupt + "' --since 1000d", dir);
  CHECK(bad.status == 1);
  CHECK(bad.err.starts_with("faultline report: "));
  CHECK(bad.err.find(corrupt) != std::string::npos);
  CHECK(bad.out.empty());

  // A file another process holds exclusively: after the busy timeout, the lock is named.
  TestDb holder(shards.paths[1]);
  REQUIRE(holder.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                      "UPDATE targets SET last_seen = last_seen; ") == "");
  SeparateRun locked = run_faultline_shell("report" + good + " --since 1000d", dir);
  CHECK(locked.status == 1);
  CHECK(locked.err.find(shards.paths[1]) != std::string::npos);
  CHECK(locked.err.find("locked") != std::string::npos);
  holder.exec("ROLLBACK");
}

TEST_CASE("report shards: a shard at an older schema version is read with the others") {
  TempDir dir;
  Fleet shards(dir, "shard", kShards);
  write_fleet(shards, shard_route);
  shards.stop();
  {
    TestDb db(shards.paths[2]);
    REQUIRE(db.exec("ALTER TABLE rollups DROP COLUMN slow; PRAGMA user_version = 4") == "");
  }
  const json j = report_over(shards.paths);
  CHECK(j["schema_version"] == 4);
  CHECK(j["sources"][2]["schema_version"] == 4);
  CHECK(j["sources"][0]["schema_version"] == kSchemaVersion);
  CHECK(j["targets"].size() == 12);
}
