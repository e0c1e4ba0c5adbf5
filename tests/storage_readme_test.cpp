// The README's "Query history with sqlite3" queries are what users paste: each one runs here,
// through the real sqlite3 shell, against a database written by SqliteStore.
#include <doctest/doctest.h>

#include <cerrno>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/faultline_cli.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::int64_t kMinute = 60'000;

std::vector<std::string> readme_sql_blocks() {
  std::ifstream in(FAULTLINE_SOURCE_DIR "/README.md");
  REQUIRE(in);
  std::vector<std::string> blocks;
  std::string line, block;
  bool in_section = false, in_block = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      if (in_section) break;
      in_section = line == "## Query history with sqlite3";
      continue;
    }
    if (!in_section) continue;
    if (!in_block && line == "```sql") {
      in_block = true;
      block.clear();
    } else if (in_block && line == "```") {
      in_block = false;
      blocks.push_back(block);
    } else if (in_block) {
      block += line + "\n";
    }
  }
  return blocks;
}

struct ShellRun {
  int status = -1;
  std::string output;  // stdout and stderr
  std::vector<std::string> lines;
};

// Runs `sql` with `sqlite3 -bail`, ignoring any ~/.sqliterc, in list mode without headers.
ShellRun run_sqlite3(const std::string& db, const std::string& sql, const TempDir& dir) {
  const std::string file = dir.file("query.sql");
  std::ofstream(file) << sql;
  const std::string command =
      "sqlite3 -bail -batch -init /dev/null -list -noheader '" + db + "' < '" + file + "' 2>&1";
  const Run shell = run_shell(command);
  ShellRun run{shell.status, shell.output, {}};
  std::istringstream lines(run.output);
  std::string line;
  while (std::getline(lines, line))
    run.lines.push_back(line);
  return run;
}

std::string utc_hour(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[3];
  std::strftime(buf, sizeof buf, "%H", &tm);
  return buf;
}

bool starts_with_any(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines)
    if (l.starts_with(prefix)) return true;
  return false;
}

StateChange change(std::int64_t at, TargetState from, TargetState to, FailureClass cls,
                   Phase phase) {
  StateChange c;
  c.at_ms = at;
  c.from = from;
  c.to = to;
  c.cls = cls;
  c.phase = phase;
  return c;
}

// Three targets over the last half hour: `web` slowest and down for the last 7 minutes, `db`
// down for 10 minutes earlier on, `api` down for 2 minutes and with an expired certificate.
// Two hours ago faultline ran a while and was stopped with `web` down. The store returned stays
// open: faultline is running.
[[nodiscard]] std::unique_ptr<SqliteStore> populate(const std::string& path, std::int64_t now) {
  const TargetInfo api = make_target("api", "https://api.test/", Scheme::https);
  const TargetInfo db = make_target("db", "tcp://127.0.0.1:5432", Scheme::tcp);
  const TargetInfo web = make_target("web", "http://web.test/", Scheme::http);
  {
    auto earlier = SqliteStore::open(fast_options(path));
    REQUIRE_MESSAGE(earlier, earlier.error());
    (*earlier)->on_targets({&web});
    (*earlier)->on_state_change(
        web, change(now - 120 * kMinute - 30'000, TargetState::up, TargetState::down,
                    FailureClass::refused, Phase::connect));
    (*earlier)->on_result(web, refused_result(now - 120 * kMinute));  // its last probe
  }
  auto opened = SqliteStore::open(fast_options(path));
  REQUIRE_MESSAGE(opened, opened.error());
  SqliteStore& store = **opened;
  store.on_targets({&api, &db, &web});
  for (int i = 0; i < 30; ++i) {
    store.on_result(api, ok_result(now - (i + 1) * kMinute, 20 + i));
    store.on_result(web, ok_result(now - (i + 1) * kMinute + 1, 200 + i));
  }
  for (int i = 0; i < 3; ++i)
    store.on_result(db, ok_result(now - (i + 1) * kMinute, 5));

  store.on_result(api, refused_result(now - 10 * kMinute));
  store.on_result(api, refused_result(now - 9 * kMinute));
  store.on_result(db, refused_result(now - 15 * kMinute));
  ProbeResult expired = ok_result(now - 30 * kMinute + 5, 30);
  expired.cls = FailureClass::tls;
  expired.phase = Phase::tls;
  expired.detail = Detail::expired;
  expired.http_status = 0;
  expired.message = "certificate expired on 2024-04-30";
  store.on_result(api, expired);

  ProbeResult timeout = ok_result(now - 20 * kMinute + 7, 3000);
  timeout.cls = FailureClass::timeout;
  timeout.phase = Phase::response;
  timeout.http_status = 0;
  store.on_result(web, timeout);
  ProbeResult reset = ok_result(now - 25 * kMinute + 9, 1);
  reset.cls = FailureClass::reset;
  reset.phase = Phase::request;
  reset.sys_errno = ECONNRESET;
  reset.http_status = 0;
  reset.reused = true;
  reset.idle_ms = 30'000;
  store.on_result(web, reset);

  store.on_state_change(db, change(now - 20 * kMinute, TargetState::up, TargetState::down,
                                   FailureClass::refused, Phase::connect));
  store.on_state_change(db, change(now - 10 * kMinute, TargetState::down, TargetState::up,
                                   FailureClass::ok, Phase::none));
  store.on_state_change(api, change(now - 5 * kMinute, TargetState::up, TargetState::down,
                                    FailureClass::refused, Phase::connect));
  store.on_state_change(api, change(now - 3 * kMinute, TargetState::down, TargetState::up,
                                    FailureClass::ok, Phase::none));
  store.on_state_change(web, change(now - 7 * kMinute, TargetState::up, TargetState::down,
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
  idle.advice = "Enable TCP keepalive on clients with an interval below 345 s";
  store.on_idle_finding(web, idle, now - 30 * kMinute);
  store.flush(std::chrono::seconds(10));
  REQUIRE(store.stats().queue_rows == 0);
  return std::move(*opened);
}

}  // namespace

TEST_CASE("storage readme: every query of 'Query history with sqlite3' runs and answers right") {
  const auto blocks = readme_sql_blocks();
  REQUIRE_MESSAGE(blocks.size() >= 6, "the section promises at least six queries");
  TempDir dir;
  const std::string path = dir.file("history.db");
  const std::int64_t now = unix_now_ms();
  const auto running = populate(path, now);

  int checked = 0;
  for (const std::string& sql : blocks) {
    CAPTURE(sql);
    const ShellRun run = run_sqlite3(path, sql, dir);
    CAPTURE(run.output);
    REQUIRE(run.status == 0);
    CHECK(!run.lines.empty());  // the database holds an answer to every query

    if (sql.find("time_ms >= (unixepoch() - 3600)") != std::string::npos) {
      ++checked;  // the failure from two hours ago is left out
      CHECK(run.lines.size() == 4);
      CHECK(run.lines.front() == "refused|3");
    } else if (sql.find("FROM uptime_daily") != std::string::npos) {
      ++checked;
      CHECK(run.lines == std::vector<std::string>{"db|4|75.0", "api|33|90.909", "web|33|90.909"});
    } else if (sql.find("duration_s > 300") != std::string::npos) {
      ++checked;
      CHECK(run.lines.size() == 2);
      CHECK(starts_with_any(run.lines, "web|"));
      CHECK(run.lines.back().starts_with("db|"));
      CHECK(run.lines.back().find("|up|10.0|refused|connect|") != std::string::npos);
      CHECK(run.lines.front().find("|ongoing||7.0|timeout|response|") != std::string::npos);
    } else if (sql.find("ended_by = 'faultline_stopped'") != std::string::npos) {
      ++checked;
      REQUIRE(run.lines.size() == 1);
      CHECK(run.lines[0].starts_with("web|"));
      CHECK(run.lines[0].ends_with("|0.5|refused"));
    } else if (sql.find("class = 'reset'") != std::string::npos) {
      ++checked;
      CHECK(run.lines == std::vector<std::string>{utc_hour(now - 25 * kMinute + 9) + "|1|1|30.0"});
    } else if (sql.find("percent_rank()") != std::string::npos) {
      ++checked;
      REQUIRE(run.lines.size() == 3);
      CHECK(run.lines[0].starts_with("web|"));
      CHECK(run.lines[2].starts_with("db|"));
    } else if (sql.find("class = 'tls'") != std::string::npos) {
      ++checked;
      REQUIRE(run.lines.size() == 1);
      CHECK(run.lines[0].find("|api|expired||certificate expired on 2024-04-30") !=
            std::string::npos);
    } else if (sql.find("ended IS NULL") != std::string::npos) {
      ++checked;
      REQUIRE(run.lines.size() == 1);
      CHECK(run.lines[0].starts_with("web|"));
    }
  }
  CHECK(checked == 8);
}
