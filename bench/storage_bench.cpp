// Measures the SQLite store on this machine: how many rows per second the writer sustains, how
// many bytes a failure row costs, how fast the `probes` table grows per target per day, and how
// large the WAL gets. Run: ./build/bench/storage_bench [DIR]   (DIR defaults to /tmp)
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_store.hpp"

using namespace faultline;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

// Bytes of a table plus its indexes, from the dbstat virtual table.
std::int64_t table_bytes(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  const std::string sql =
      "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1 OR name IN "
      "(SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1)";
  sqlite3_stmt* stmt = nullptr;
  std::int64_t bytes = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) == SQLITE_ROW) bytes = sqlite3_column_int64(stmt, 0);
  } else {
    std::fprintf(stderr, "dbstat: %s\n", sqlite3_errmsg(db));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return bytes;
}

ProbeResult typical_failure(std::int64_t at_ms) {
  ProbeResult r;
  r.cls = FailureClass::refused;
  r.phase = Phase::connect;
  r.sys_errno = ECONNREFUSED;
  r.message = "connection refused by 203.0.113.10:443";
  r.timings.dns_ms = 1.234;
  r.timings.connect_ms = 0.456;
  r.timings.total_ms = 1.789;
  r.remote_addr = "203.0.113.10:443";
  r.started_at_ms = at_ms;
  return r;
}

ProbeResult typical_success(std::int64_t at_ms) {
  ProbeResult r;
  r.timings.dns_ms = 1.234;
  r.timings.connect_ms = 10.5;
  r.timings.tls_ms = 25.25;
  r.timings.first_byte_ms = 40.125;
  r.timings.total_ms = 77.5;
  r.http_status = 200;
  r.remote_addr = "203.0.113.10:443";
  r.reused = true;
  r.idle_ms = 15'000;
  r.started_at_ms = at_ms;
  return r;
}

std::unique_ptr<SqliteStore> open_or_die(const StorageOptions& options) {
  auto store = SqliteStore::open(options);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    std::exit(1);
  }
  return std::move(*store);
}

void throughput(const std::string& dir) {
  const std::string path = dir + "/bench-throughput.db";
  std::filesystem::remove(path);
  StorageOptions options;
  options.path = path;
  options.retention_failures = std::chrono::days(100 * 365);
  auto store = open_or_die(options);
  const TargetInfo target{"api", "https://api.example/healthz", Scheme::https, {{"team", "core"}}};
  store->on_targets({&target});
  const std::int64_t rows = 1'000'000;
  const std::int64_t base = 1'714'564'800'000;
  std::int64_t wal_max = 0;
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < rows; ++i) {
    // Stay below the queue bound so every row is written, and sample the WAL meanwhile.
    while (store->stats().queue_rows > 50'000) {
      wal_max = std::max(wal_max, file_size(path + "-wal"));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    store->on_result(target, typical_failure(base + i * 10));
  }
  store->flush(std::chrono::minutes(5));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  wal_max = std::max(wal_max, file_size(path + "-wal"));
  const StorageStats s = store->stats();
  store.reset();
  std::printf("writer: %lld failure rows in %.2f s = %.0f rows/s (dropped %llu, errors %llu)\n",
              static_cast<long long>(rows), seconds, static_cast<double>(rows) / seconds,
              static_cast<unsigned long long>(s.rows_dropped_total),
              static_cast<unsigned long long>(s.write_errors_total));
  std::printf(
      "failures table + indexes: %.1f bytes per row; rollups for the same rows: %lld bytes\n",
      static_cast<double>(table_bytes(path, "failures")) / static_cast<double>(rows),
      static_cast<long long>(table_bytes(path, "rollups")));
  std::printf("WAL max size seen while writing: %lld bytes; file after close: %lld bytes\n",
              static_cast<long long>(wal_max), static_cast<long long>(file_size(path)));
}

void probes_growth(const std::string& dir, int interval_s) {
  const std::string path = dir + "/bench-probes-" + std::to_string(interval_s) + ".db";
  std::filesystem::remove(path);
  StorageOptions options;
  options.path = path;
  options.record_successes = true;
  options.retention_failures = std::chrono::days(100 * 365);
  options.retention_rollups = std::chrono::days(100 * 365);
  auto store = open_or_die(options);
  // Ten targets for a day, interleaved as the scheduler would run them.
  std::vector<TargetInfo> targets;
  targets.reserve(10);
  for (int t = 0; t < 10; ++t) {
    targets.push_back(TargetInfo{"target-" + std::to_string(t),
                                 "https://service-" + std::to_string(t) + ".example/healthz",
                                 Scheme::https,
                                 {{"team", "core"}}});
  }
  std::vector<const TargetInfo*> refs;
  refs.reserve(targets.size());
  for (const auto& t : targets)
    refs.push_back(&t);
  store->on_targets(refs);
  const std::int64_t base = 1'714'521'600'000;  // a UTC midnight
  const std::int64_t per_day = 86'400 / interval_s;
  for (std::int64_t i = 0; i < per_day; ++i) {
    for (std::size_t t = 0; t < targets.size(); ++t) {
      while (store->stats().queue_rows > 50'000)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      store->on_result(
          targets[t], typical_success(base + i * interval_s * 1000 + static_cast<std::int64_t>(t)));
    }
  }
  store->flush(std::chrono::minutes(5));
  store.reset();
  const double n = static_cast<double>(targets.size());
  std::printf(
      "probes at %2ds: %lld rows per target per day, %.0f bytes per target per day "
      "(%.1f bytes per row incl. indexes); rollups: %.0f bytes per target per day\n",
      interval_s, static_cast<long long>(per_day),
      static_cast<double>(table_bytes(path, "probes")) / n,
      static_cast<double>(table_bytes(path, "probes")) / n / static_cast<double>(per_day),
      static_cast<double>(table_bytes(path, "rollups")) / n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  throughput(dir);
  probes_growth(dir, 30);
  probes_growth(dir, 15);
  return 0;
}
