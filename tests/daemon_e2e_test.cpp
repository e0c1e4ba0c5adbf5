// The whole product: the real `faultline run` binary probing loopback servers that answer,
// reset and refuse, scraped over real HTTP, its SQLite file read afterwards, its log read as
// journald would.
#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>

#include <functional>
#include <thread>

#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/mail_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;

namespace {

bool eventually_true(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::vector<Sample> scrape(int port) {
  HttpResponse r = http_get(port);
  return r.status == 200 ? parse_exposition(r.body) : std::vector<Sample>{};
}

double count(const std::vector<Sample>& s, const std::string& target, const std::string& cls) {
  for (const Sample& sample : with_label(s, "target", target, "faultline_probes_total")) {
    if (sample.labels.at("class") == cls) return sample.value;
  }
  return 0;
}

std::vector<std::vector<std::string>> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::vector<std::string>> rows;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK,
                  sqlite3_errmsg(db));
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    auto& row = rows.emplace_back();
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST_CASE("faultline run: probes, metrics, reload, history and journald priorities end to end") {
  TempDir dir;
  LoopbackServer ok(Behavior::http_ok);
  LoopbackServer resetting(Behavior::rst_after_request);
  const int metrics_port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string targets =
      "  - name: web\n    url: " + ok.url("http", "/healthz") + "\n    labels: {team: core}\n" +
      "  - name: flaky\n    url: " + resetting.url() + "\n" +
      "  - name: gone\n    url: tcp://127.0.0.1:" + std::to_string(closed_port()) + "\n";
  const std::string head = "storage: {path: " + db + "}\n" +
                           "metrics: {listen: 127.0.0.1:" + std::to_string(metrics_port) + "}\n" +
                           "defaults: {interval: 300ms, timeout: 200ms, failure_threshold: 1}\n" +
                           "targets:\n";
  const std::string config = dir.write("faultline.yaml", head + targets);

  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {"JOURNAL_STREAM=8:12345"},
                      dir.file("daemon.log"));
  INFO("daemon output:\n" << daemon.output());
  REQUIRE(eventually_true(
      [&] {
        auto s = scrape(metrics_port);
        return count(s, "web", "ok") >= 2 && count(s, "flaky", "reset") >= 2 &&
               count(s, "gone", "refused") >= 2;
      },
      std::chrono::seconds(15)));

  HttpResponse r = http_get(metrics_port);
  auto s = parse_exposition(r.body);
  CHECK(value_of(s, "faultline_target_up", {{"target", "web"}, {"team", "core"}}) == 1);
  CHECK(value_of(s, "faultline_target_up", {{"target", "gone"}}) == 0);
  CHECK(value_of(s, "faultline_probe_success", {{"target", "flaky"}}) == 0);
  CHECK(value_of(s, "faultline_targets") == 3);
  // The scheduler's and the store's own numbers, which the daemon publishes once a second.
  for (const char* type :
       {"faultline_probes_in_flight gauge", "faultline_probes_skipped_total counter",
        "faultline_storage_queue_rows gauge", "faultline_storage_rows_dropped_total counter",
        "faultline_storage_write_errors_total counter"}) {
    CHECK_MESSAGE(r.body.find(std::string("# TYPE ") + type + "\n") != std::string::npos, type);
  }
  CHECK(value_of(s, "faultline_storage_rows_dropped_total") == 0);
  PromtoolCheck lint = promtool_check_metrics(r.body);
  if (lint.available) CHECK_MESSAGE(lint.output.empty(), lint.output);

  // Reload without `gone`: its series disappear, the reload is reported as successful.
  dir.write("faultline.yaml", head + targets.substr(0, targets.find("  - name: gone")));
  daemon.signal(SIGHUP);
  CHECK(eventually_true(
      [&] {
        auto now = scrape(metrics_port);
        return with_label(now, "target", "gone").empty() && value_of(now, "faultline_targets") == 2;
      },
      std::chrono::seconds(10)));
  CHECK(value_of(scrape(metrics_port), "faultline_config_last_reload_successful") == 1);

  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(std::chrono::seconds(15)) == 0);

  // Everything classified is in the history, in the contract's words.
  auto failures = query(db,
                        "SELECT target, class, phase, errno FROM failure_log "
                        "GROUP BY target, class ORDER BY target");
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == std::vector<std::string>{"flaky", "reset", "response", "ECONNRESET"});
  CHECK(failures[1] == std::vector<std::string>{"gone", "refused", "connect", "ECONNREFUSED"});
  CHECK(query(db, "SELECT count(*) FROM state_changes WHERE to_state = 'down'")[0][0] == "2");
  CHECK(std::stoi(query(db, "SELECT sum(ok) FROM rollups")[0][0]) >= 2);

  // Under journald: no timestamps, a syslog priority per line (<4> for a target going down).
  const std::string log = daemon.output();
  CHECK(log.find("<4>gone is DOWN") != std::string::npos);
  CHECK(log.find("<6>faultline ") != std::string::npos);
  CHECK(log.find("<6>stopped") != std::string::npos);
}

TEST_CASE("faultline run: reuse_connection turns resets of idle connections into a finding") {
  TempDir dir;
  // Each connection's first request is answered, a second one on it is reset: every probe
  // that reuses the previous probe's connection meets an RST, while fresh connections work.
  LoopbackServer resetting(Behavior::rst_second_request);
  const int metrics_port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string config =
      dir.write("faultline.yaml",
                "storage: {path: " + db + ", record_successes: true}\n" +
                    "metrics: {listen: 127.0.0.1:" + std::to_string(metrics_port) + "}\n" +
                    "targets:\n  - name: api\n    url: " + resetting.url() +
                    "\n    interval: 300ms\n    timeout: 250ms\n" + "    reuse_connection: true\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  INFO("daemon output:\n" << daemon.output());
  REQUIRE(eventually_true(
      [&] {
        return value_of(scrape(metrics_port), "faultline_idle_reset_detected",
                        {{"target", "api"}}) == 1;
      },
      std::chrono::seconds(15)));
  // libcurl's retry on a fresh connection answered: the target itself stays up.
  CHECK(value_of(scrape(metrics_port), "faultline_target_up", {{"target", "api"}}) == 1);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(std::chrono::seconds(15)) == 0);

  auto finding = query(db,
                       "SELECT kind, experiments, probe_observations > 0, resets > 0, "
                       "threshold_high_s > 0 FROM idle_report WHERE target = 'api'");
  REQUIRE(finding.size() == 1);
  CHECK(finding[0] == std::vector<std::string>{"middlebox_reset", "0", "1", "1", "1"});
  // Every probe after the first took up a kept connection and says how long it sat idle.
  auto probes = query(db,
                      "SELECT count(*), count(idle_ms), min(idle_ms) > 0 FROM probes p "
                      "JOIN targets t ON t.id = p.target_id WHERE t.name = 'api'");
  REQUIRE(probes.size() == 1);
  CHECK(std::stoi(probes[0][0]) >= 2);
  CHECK(std::stoi(probes[0][1]) == std::stoi(probes[0][0]) - 1);
  CHECK(probes[0][2] == "1");
  CHECK(daemon.output().find("api: connections idle >= ") != std::string::npos);
}

TEST_CASE("faultline run: a database that cannot be opened stops the start with the path") {
  TempDir dir;
  const std::string not_a_db = dir.write("junk.db", std::string(4096, 'x'));
  const std::string config =
      dir.write("faultline.yaml",
                "storage: {path: " + not_a_db + "}\nmetrics: {listen: 127.0.0.1:0}\ntargets: []\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("out"));
  CHECK(daemon.wait(std::chrono::seconds(15)) == 1);
  const std::string out = daemon.output();
  CHECK(out.find(not_a_db) != std::string::npos);
  CHECK(out.find("cannot start") != std::string::npos);
}

TEST_CASE("faultline run: a metrics port in use stops the start with the address") {
  TempDir dir;
  LoopbackServer occupying(Behavior::http_ok);
  const std::string config = dir.write(
      "faultline.yaml", "storage: {path: " + dir.file("h.db") +
                            "}\nmetrics: {listen: " + occupying.authority() + "}\ntargets: []\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("out"));
  CHECK(daemon.wait(std::chrono::seconds(15)) == 1);
  CHECK(daemon.output().find(occupying.authority()) != std::string::npos);
}

TEST_CASE("faultline run: mail targets report their certificate and no_starttls like any kind") {
  TempDir dir;
  const TestPki& pki = shared_test_pki();
  MailServerOptions good;
  good.protocol = MailProtocol::smtp;
  good.tls = pki.good.material();
  MailServer smtp(good);
  MailServerOptions bare;
  bare.protocol = MailProtocol::imap;
  bare.offer_starttls = false;
  MailServer imap(bare);
  const int metrics_port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string config = dir.write(
      "faultline.yaml", "storage: {path: " + db + "}\n" +
                            "metrics: {listen: 127.0.0.1:" + std::to_string(metrics_port) + "}\n" +
                            "defaults: {interval: 300ms, timeout: 250ms, ca_file: " + pki.ca_path +
                            "}\n" + "targets:\n  - name: mx\n    url: " + smtp.url("smtp") +
                            "\n  - name: imap\n    url: " + imap.url("imap") + "\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  INFO("daemon output:\n" << daemon.output());
  REQUIRE(eventually_true(
      [&] {
        auto s = scrape(metrics_port);
        return value_of(s, "faultline_target_up", {{"target", "mx"}}) == 1 &&
               count(s, "imap", "protocol") >= 2;
      },
      std::chrono::seconds(15)));
  CHECK(value_of(scrape(metrics_port), "faultline_tls_cert_not_after_timestamp_seconds",
                 {{"target", "mx"}}) == static_cast<double>(pki.good.not_after));
  CHECK(value_of(scrape(metrics_port), "faultline_target_up", {{"target", "imap"}}) == 0);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(std::chrono::seconds(15)) == 0);

  auto kinds = query(db, "SELECT name, kind FROM targets ORDER BY name");
  CHECK(kinds == std::vector<std::vector<std::string>>{{"imap", "imap"}, {"mx", "smtp"}});
  auto failures = query(db,
                        "SELECT DISTINCT class, phase, detail FROM failures f JOIN targets t ON "
                        "t.id = f.target_id WHERE t.name = 'imap'");
  CHECK(failures == std::vector<std::vector<std::string>>{{"protocol", "response", "no_starttls"}});
}
