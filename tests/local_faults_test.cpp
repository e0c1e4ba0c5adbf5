// Local faults: this host failing rather than the targets. More targets than descriptors, the
// history database deleted or replaced under the running store, the config file deleted before
// a reload, and a ca_file that disappears. Probes must fail as `local` where this host is to
// blame, and nothing may crash, stop or stay broken once the fault is gone.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "checks/probe_once.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/daemon_process.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

bool hosts_file_names_localhost() {
  std::ifstream hosts("/etc/hosts");
  std::string line;
  while (std::getline(hosts, line)) {
    if (line.find("localhost") != std::string::npos && !line.starts_with("#")) return true;
  }
  return false;
}

constexpr std::int64_t kBase = 1714564800000;  // 2024-05-01T12:00:00Z

std::string targets_yaml(const std::string& url, int count, const std::string& prefix = "t") {
  std::string text;
  for (int i = 0; i < count; ++i)
    text += "  - {name: " + prefix + std::to_string(i) + ", url: '" + url + "'}\n";
  return text;
}

using Classes = std::map<std::string, std::int64_t>;

// What the daemon's history holds, "class/phase" -> rows, from a table of its database
// (`failures`, or `probes`, which has every probe with record_successes), for the rows that
// match `where`; nullopt while it cannot be read (the daemon is still creating it, or holds
// the lock longer than the busy timeout).
std::optional<Classes> try_classes_in(const std::string& db, const std::string& table,
                                      const std::string& where) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  const std::unique_ptr<sqlite3, int (*)(sqlite3*)> handle(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) return std::nullopt;
  sqlite3_busy_timeout(raw, 2000);
  const std::string sql = "SELECT class || '/' || phase, count(*) FROM " + table +
                          " JOIN targets ON targets.id = target_id WHERE " + where + " GROUP BY 1";
  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &raw_stmt, nullptr) != SQLITE_OK)
    return std::nullopt;
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw_stmt, sqlite3_finalize);
  Classes out;
  int step;
  while ((step = sqlite3_step(raw_stmt)) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(raw_stmt, 0))] =
        sqlite3_column_int64(raw_stmt, 1);
  }
  if (step != SQLITE_DONE) return std::nullopt;
  return out;
}

// The same, failing the test when the database cannot be read.
Classes classes_in(const std::string& db, const std::string& table,
                   const std::string& where = "1") {
  std::optional<Classes> classes = try_classes_in(db, table, where);
  REQUIRE_MESSAGE(classes.has_value(), "cannot read the history in " << db);
  return *classes;
}

// Rows of `table` matching `where`; -1 while the database cannot be read.
std::int64_t rows_in(const std::string& db, const std::string& table,
                     const std::string& where = "1") {
  const std::optional<Classes> classes = try_classes_in(db, table, where);
  if (!classes) return -1;
  std::int64_t n = 0;
  for (const auto& [k, count] : *classes)
    n += count;
  return n;
}

std::string describe(const Classes& classes) {
  std::string out;
  for (const auto& [k, n] : classes)
    out += k + " x" + std::to_string(n) + "  ";
  return out;
}

// Polls the database no more often than this: each look opens it.
constexpr milliseconds kDbPoll{100};

std::unique_ptr<SqliteStore> open_store(const StorageOptions& options) {
  auto store = SqliteStore::open(options);
  REQUIRE_MESSAGE(store, store.error());
  return std::move(*store);
}

void remove_database(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path + suffix);
}

}  // namespace

TEST_CASE("local faults: more probes than descriptors fail as local, and the daemon recovers") {
#ifdef FAULTLINE_SANITIZED
  // UBSan's vptr check asks whether memory is readable by writing it into a pipe(), which
  // fails with EMFILE here and reports "invalid vptr" on a live object (and no suppression
  // file can be read then either). The plain build runs this test.
  skip_test("in the sanitizer build: its runtime itself needs descriptors");
  return;
#endif
  LoopbackServer silent(Behavior::accept_never_answer);
  LoopbackServer ok(Behavior::http_ok);
  TempDir dir;
  const std::string db = dir.file("h.db");
  // record_successes: the `probes` table then shows the recovered targets' every probe.
  const std::string head =
      "storage: {path: " + db + ", record_successes: true}\nmetrics: {listen: 127.0.0.1:0}\n";
  // Named targets make lookups run out of descriptors too, but only where the name is answered
  // from /etc/hosts: a fresh Debian root has none, and a lookup must never leave this machine.
  std::string named;
  if (hosts_file_names_localhost()) {
    named = targets_yaml("http://localhost:" + std::to_string(silent.port()) + "/", 20, "named");
  } else {
    MESSAGE("no localhost in /etc/hosts: name lookups are left out of this test");
  }
  // Far more probes allowed in flight than 64 descriptors can hold: the daemon warns at start.
  const std::string config =
      dir.write("faultline.yaml", head +
                                      "defaults: {interval: 2s, timeout: 1500ms}\n"
                                      "engine: {max_in_flight: 1000}\ntargets:\n" +
                                      targets_yaml(silent.url(), 200) + named);
  DaemonLaunch launch;
  launch.config = config;
  launch.fd_limit = 64;
  DaemonProcess daemon(launch);
  REQUIRE_MESSAGE(daemon.wait_for_log("probes may fail as 'local'", seconds(10)), daemon.log());

  // The probes that get no socket are recorded as this host's failures.
  const std::string local = "class = 'local' AND phase IN ('connect', 'dns')";
  const bool recorded =
      eventually([&] { return rows_in(db, "failures", local) > 100; }, seconds(30), kDbPoll);
  CHECK_MESSAGE(recorded, describe(classes_in(db, "failures")));
  REQUIRE_MESSAGE(daemon.running(), daemon.log());
  for (const auto& [k, n] : classes_in(db, "failures")) {
    // The probes that got a socket time out on the silent server; every other failure is this
    // host's lack of descriptors, never blamed on the target.
    CHECK_MESSAGE((k.starts_with("local/") || k == "timeout/response"), k << " x" << n);
  }

  // Fewer targets, probed more often: every probe gets its descriptor again.
  dir.write("faultline.yaml", head + "defaults: {interval: 500ms, timeout: 400ms}\ntargets:\n" +
                                  targets_yaml(ok.url(), 5, "fine"));
  // Reading the file needs a descriptor too, so a reload may fail while they are all taken;
  // it says why, and the next SIGHUP gets through.
  bool reloaded = false;
  for (int attempt = 0; attempt < 20 && !reloaded; ++attempt) {
    daemon.signal(SIGHUP);
    reloaded = daemon.wait_for_log("reloaded:", seconds(2));
  }
  REQUIRE_MESSAGE(reloaded, daemon.log());
  if (daemon.log_count("reload failed") > 0) {
    CHECK(daemon.log().find("cannot read the config file: Too many open files") !=
          std::string::npos);
  }
  // The reload cancelled the old targets' probes. The history is written in order, so once the
  // new targets' probes are in it, every failure of the old ones is too; after that no failure
  // of any kind follows, over two more rounds of all five targets.
  const std::string fine = "targets.name LIKE 'fine%'";
  const auto fine_probes = [&] { return rows_in(db, "probes", fine); };
  REQUIRE_MESSAGE(eventually([&] { return fine_probes() >= 10; }, seconds(20), kDbPoll),
                  daemon.log());
  const std::int64_t failures_after_reload = rows_in(db, "failures");
  const std::int64_t probes_after_reload = fine_probes();
  REQUIRE(failures_after_reload > 100);
  REQUIRE_MESSAGE(
      eventually([&] { return fine_probes() >= probes_after_reload + 10; }, seconds(20), kDbPoll),
      daemon.log());
  CHECK(rows_in(db, "failures") == failures_after_reload);
  const auto fine_classes = classes_in(db, "probes", fine);
  CHECK_MESSAGE((fine_classes.size() == 1 && fine_classes.count("ok/") == 1),
                describe(fine_classes));
  CHECK(daemon.stop() == 0);
}

TEST_CASE("local faults: the database file deleted under the store is recreated and written") {
  TempDir dir;
  const StorageOptions options = fast_options(dir.file("h.db"));
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  for (int i = 0; i < 10; ++i)
    store->on_result(api, refused_result(kBase + i));
  store->flush(seconds(10));
  REQUIRE(store->stats().queue_rows == 0);

  remove_database(options.path);
  for (int i = 10; i < 30; ++i)
    store->on_result(api, refused_result(kBase + i));
  // Rows written to the unlinked file would be lost for good; they must reach a new file.
  CHECK(eventually(
      [&] {
        store->flush(seconds(1));
        return std::filesystem::exists(options.path) &&
               TestDb(options.path)
                       .scalar(
                           "SELECT count(*) FROM sqlite_master WHERE name = "
                           "'failures'") == 1 &&
               TestDb(options.path).scalar("SELECT count(*) FROM failures") == 20;
      },
      seconds(20)));
  CHECK(store->stats().queue_rows == 0);
  CHECK(store->stats().rows_dropped_total == 0);
}

TEST_CASE("local faults: a database file replaced under the store is used, or waited for") {
  TempDir dir;
  const StorageOptions options = fast_options(dir.file("h.db"));
  auto store = open_store(options);
  const TargetInfo api = make_target("api");
  store->on_targets({&api});
  store->on_result(api, refused_result(kBase));
  store->flush(seconds(10));
  REQUIRE(store->stats().queue_rows == 0);

  SUBCASE("by something that is not a database: rows wait until it is a database again") {
    const std::string junk = dir.write("junk", std::string(8192, 'j'));
    std::filesystem::rename(junk, options.path);
    std::filesystem::remove(options.path + "-wal");
    std::filesystem::remove(options.path + "-shm");
    const std::uint64_t errors = store->stats().write_errors_total;
    for (int i = 1; i <= 5; ++i)
      store->on_result(api, refused_result(kBase + i));
    CHECK(eventually([&] { return store->stats().write_errors_total > errors; }, seconds(20)));
    CHECK(store->stats().queue_rows == 5);
    CHECK(read_file(options.path) == std::string(8192, 'j'));  // never overwritten

    std::filesystem::remove(options.path);
    CHECK(eventually([&] { return store->stats().queue_rows == 0; }, seconds(20)));
    CHECK(TestDb(options.path).scalar("SELECT count(*) FROM failures") == 5);
  }
  SUBCASE("by another copy of the history: new rows go to the file now at the path") {
    std::filesystem::copy_file(options.path, dir.file("copy.db"));
    std::filesystem::rename(dir.file("copy.db"), options.path);
    for (int i = 1; i <= 5; ++i)
      store->on_result(api, refused_result(kBase + i));
    CHECK(eventually(
        [&] {
          store->flush(seconds(1));
          return TestDb(options.path).scalar("SELECT count(*) FROM failures") == 6;
        },
        seconds(20)));
  }
  CHECK(store->stats().rows_dropped_total == 0);
}

TEST_CASE("local faults: the config file deleted before a reload keeps the daemon running") {
  LoopbackServer ok(Behavior::http_ok);
  TempDir dir;
  const std::string head = "storage: {path: " + dir.file("h.db") +
                           "}\nmetrics: {listen: 127.0.0.1:0}\n"
                           "defaults: {interval: 500ms, timeout: 400ms}\ntargets:\n";
  DaemonLaunch launch;
  launch.config = dir.write("faultline.yaml", head + targets_yaml(ok.url(), 1, "a"));
  DaemonProcess daemon(launch);
  REQUIRE(daemon.metrics_port() > 0);

  std::filesystem::remove(launch.config);
  daemon.signal(SIGHUP);
  CHECK(daemon.wait_for_log("reload failed", seconds(10)));
  CHECK(daemon.log().find("cannot read the config file") != std::string::npos);
  // Still probing with the previous config.
  const int requests = ok.requests();
  CHECK(eventually([&] { return ok.requests() >= requests + 2; }, seconds(10)));
  REQUIRE(daemon.running());

  dir.write("faultline.yaml", head + targets_yaml(ok.url(), 2, "a"));
  daemon.signal(SIGHUP);
  CHECK(daemon.wait_for_log("reloaded: 1 added", seconds(10)));
  CHECK(daemon.stop() == 0);
}

TEST_CASE("local faults: a ca_file that cannot be read fails probes as local/tls") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = pki.good.material();
  LoopbackServer server(o);
  TempDir dir;
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(server.url("https", "/"));
  spec->timeout = milliseconds(3000);

  SUBCASE("gone") {
    spec->ca_file = dir.file("gone.pem");
  }
  SUBCASE("not a certificate") {
    spec->ca_file = dir.write("junk.pem", "not a certificate\n");
  }
  const ProbeResult r = probe_once(spec);
  INFO(to_string(r.cls) << "/" << to_string(r.phase) << "/" << detail_text(r) << ": " << r.message);
  CHECK(r.cls == FailureClass::local);
  CHECK(r.phase == Phase::tls);
  CHECK(r.message.find(spec->ca_file) != std::string::npos);
}

TEST_CASE(
    "local faults: a ca_file deleted while the daemon runs: it keeps running, a reload says why") {
  const TestPki& pki = shared_test_pki();
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = pki.good.material();
  LoopbackServer server(o);
  TempDir dir;
  const std::string ca = dir.write("ca.pem", read_file(pki.ca_path));
  const std::string db = dir.file("h.db");
  DaemonLaunch launch;
  launch.config =
      dir.write("faultline.yaml", "storage: {path: " + db +
                                      ", record_successes: true}\n"
                                      "metrics: {listen: 127.0.0.1:0}\n"
                                      "defaults: {interval: 500ms, timeout: 400ms}\ntargets:\n"
                                      "  - {name: web, url: 'https://127.0.0.1:" +
                                      std::to_string(server.port()) + "/', ca_file: ca.pem}\n");
  DaemonProcess daemon(launch);
  REQUIRE(daemon.metrics_port() > 0);
  CHECK(eventually([&] { return server.requests() >= 2; }, seconds(10)));

  std::filesystem::remove(ca);
  const std::int64_t removed_at = unix_now_ms();
  const int requests = server.requests();
  // Three probes started after the removal reach the history. Whatever they make of it
  // (libcurl may keep the parsed CA for minutes), a failure is never blamed on the server.
  const std::string since = "time >= " + std::to_string(removed_at);
  CHECK_MESSAGE(eventually([&] { return rows_in(db, "probes", since) >= 3; }, seconds(20), kDbPoll),
                daemon.log());
  REQUIRE_MESSAGE(daemon.running(), daemon.log());
  const auto classes = classes_in(db, "probes", since);
  for (const auto& [k, n] : classes)
    CHECK_MESSAGE((k == "local/tls" || k == "ok/"), k << " x" << n);
  CHECK((classes.count("local/tls") == 1 || server.requests() > requests));
  for (const auto& [k, n] : classes_in(db, "failures"))
    CHECK_MESSAGE(k == "local/tls", k << " x" << n);
  daemon.signal(SIGHUP);
  CHECK(daemon.wait_for_log("reload failed", seconds(10)));
  CHECK(daemon.log().find("'ca_file': cannot read " + ca) != std::string::npos);
  CHECK(daemon.running());
  MESSAGE((server.requests() - requests) << " requests after the CA file was deleted");
  CHECK(daemon.stop() == 0);
}

// The store's own behaviour on a full disk is tests/storage_faults_test.cpp's; this is the
// daemon around it: probing and /metrics go on, the errors are counted, and it catches up.
TEST_CASE("local faults: a full disk: the daemon keeps probing and serving metrics, and recovers") {
  if (geteuid() != 0) {
    skip_test("mounting a small tmpfs needs root (CI runs as root)");
    return;
  }
  TempDir disk;
  NetnsResult child = run_on_tmpfs(disk.path().string(), 4 << 20, [&]() -> std::string {
    TempDir dir;  // the config and the daemon's log stay on the ordinary /tmp
    DaemonLaunch launch;
    launch.config =
        dir.write("faultline.yaml", "storage: {path: " + disk.file("h.db") +
                                        "}\nmetrics: {listen: 127.0.0.1:0}\n"
                                        "defaults: {interval: 100ms, timeout: 50ms}\ntargets:\n" +
                                        targets_yaml("tcp://127.0.0.1:9", 20));
    launch.log_level = "info";
    DaemonProcess daemon(launch);
    const int port = daemon.metrics_port();
    if (port == 0) return "no metrics port:\n" + daemon.log();
    auto counter = [&](const std::string& name) {
      double sum = 0;
      for (const Sample& s : parse_exposition(http_get(port).body))
        if (s.name == name) sum += s.value;
      return sum;
    };

    const std::string filler = disk.file("filler");
    {
      std::ofstream out(filler, std::ios::binary);
      const std::string chunk(4096, 'f');
      while (out.write(chunk.data(), chunk.size())) {
      }
    }
    if (!daemon.wait_for_log("disk is full", seconds(20)))
      return "no write error:\n" + daemon.log();
    const double probes = counter("faultline_probes_total");
    const bool probing = eventually([&] { return counter("faultline_probes_total") > probes; },
                                    seconds(10), milliseconds(50));
    if (!daemon.running()) return "the daemon died:\n" + daemon.log();
    if (!probing) return "probing stopped:\n" + daemon.log();
    // The store's counters reach /metrics once a second.
    if (!eventually([&] { return counter("faultline_storage_write_errors_total") >= 1; },
                    seconds(10), milliseconds(50)))
      return "write errors not counted";

    std::filesystem::remove(filler);
    if (!daemon.wait_for_log("again after", seconds(45))) return "not recovered:\n" + daemon.log();
    if (const int rc = daemon.stop(); rc != 0) return "exit " + std::to_string(rc);
    return "";
  });
  CHECK_MESSAGE(child.ok(), child.describe());
}
