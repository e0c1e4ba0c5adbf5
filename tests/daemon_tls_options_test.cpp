// The TLS keys of a target (client_cert/client_key, server_name, tls_min_version) through the
// whole product: a YAML config, the real `faultline run` binary probing loopback TLS servers
// (one that demands a client certificate, one whose certificate holds another name, one that
// only speaks TLS 1.2), and what it wrote to its SQLite file.
#include <doctest/doctest.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;

namespace {

LoopbackServerOptions tls_server(const TestCert& cert, int version) {
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = cert.material();
  o.tls_min_version = version;
  o.tls_max_version = version;
  return o;
}

// Every probe's "class/phase/detail" per target, from the probes table; a target whose probes
// disagree gets them all, joined by " | ".
std::map<std::string, std::string> verdicts(const std::string& path) {
  sqlite3* db = nullptr;
  std::map<std::string, std::string> out;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const char* sql =
      "SELECT DISTINCT t.name, p.class || '/' || p.phase || '/' || coalesce(p.detail, '') "
      "FROM probes p JOIN targets t ON t.id = p.target_id ORDER BY 1, 2";
  REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const std::string triple = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    std::string& seen = out[name];
    seen += (seen.empty() ? "" : " | ") + triple;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// The message of the last failure recorded for `target`.
std::string last_message(const std::string& path, const std::string& target) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT message FROM failure_log WHERE target = ? "
                             "ORDER BY time_ms DESC LIMIT 1",
                             -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, target.c_str(), -1, SQLITE_TRANSIENT);
  std::string message;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    message = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return message;
}

double probes_of(const std::vector<Sample>& samples, const std::string& target) {
  double n = 0;
  for (const Sample& s : with_label(samples, "target", target, "faultline_probes_total")) {
    n += s.value;
  }
  return n;
}

}  // namespace

TEST_CASE("faultline run: client_cert, server_name and tls_min_version end to end") {
  const TestPki& pki = shared_test_pki();
  TempDir dir;
  LoopbackServerOptions mtls_options = tls_server(pki.good, TLS1_3_VERSION);
  mtls_options.client_ca_path = pki.ca_path;
  LoopbackServer mtls(mtls_options);
  LoopbackServer named(tls_server(pki.wrong_name, TLS1_3_VERSION));  // DNS:wrong.example only
  LoopbackServer old(tls_server(pki.good, TLS1_2_VERSION));
  const int metrics_port = closed_port();
  const std::string db = dir.file("history.db");
  auto target = [](const std::string& name, const std::string& url, const std::string& more) {
    return "  - name: " + name + "\n    url: " + url + "\n" + more;
  };
  const std::string client = "    client_cert: " + pki.client.cert_path +
                             "\n    client_key: " + pki.client.key_path + "\n";
  const std::string stranger = "    client_cert: " + pki.other_client.cert_path +
                               "\n    client_key: " + pki.other_client.key_path + "\n";
  const std::string config = dir.write(
      "faultline.yaml",
      "storage: {path: " + db + ", record_successes: true}\n" +
          "metrics: {listen: 127.0.0.1:" + std::to_string(metrics_port) + "}\n" +
          "defaults: {interval: 1s, timeout: 900ms, failure_threshold: 1, ca_file: " + pki.ca_path +
          "}\n" + "targets:\n" + target("mtls-none", "tls://" + mtls.authority(), "") +
          target("mtls-stranger", "tls://" + mtls.authority(), stranger) +
          target("mtls-ok", mtls.url("https"), client) +
          target("mtls-tls-ok", "tls://" + mtls.authority(), client) +
          target("named", named.url("https"), "    server_name: wrong.example\n") +
          target("misnamed", named.url("https"), "    server_name: other.example\n") +
          target("old-refused", "tls://" + old.authority(), "    tls_min_version: \"1.3\"\n") +
          target("old-ok", old.url("https"), "    tls_min_version: \"1.2\"\n"));
  const std::vector<std::string> names = {"mtls-none",   "mtls-stranger", "mtls-ok",
                                          "mtls-tls-ok", "named",         "misnamed",
                                          "old-refused", "old-ok"};

  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  INFO("daemon output:\n" << daemon.output());
  REQUIRE(eventually(
      [&] {
        const auto samples = parse_exposition(http_get(metrics_port).body);
        for (const std::string& name : names) {
          if (probes_of(samples, name) < 2) return false;
        }
        return true;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)));
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(std::chrono::seconds(15)) == 0);

  const std::map<std::string, std::string> want = {
      {"mtls-none", "tls/tls/client_certificate"},
      {"mtls-stranger", "tls/tls/client_certificate"},
      {"mtls-ok", "ok//"},
      {"mtls-tls-ok", "ok//"},
      {"named", "ok//"},
      {"misnamed", "tls/tls/hostname_mismatch"},
      {"old-refused", "tls/tls/handshake"},
      {"old-ok", "ok//"},
  };
  CHECK(verdicts(db) == want);
  CHECK(
      last_message(db, "mtls-none").find("demands a client certificate and the probe sent none") !=
      std::string::npos);
  CHECK(last_message(db, "mtls-stranger").find("unknown CA") != std::string::npos);
  CHECK(last_message(db, "misnamed").find("other.example") != std::string::npos);
  CHECK(last_message(db, "old-refused").find("does not speak TLS 1.3 or newer") !=
        std::string::npos);
}
