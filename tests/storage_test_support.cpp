#include "storage_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>

namespace faultline::testing {

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StorageOptions fast_options(const std::string& path) {
  StorageOptions o;
  o.path = path;
  o.flush_interval = std::chrono::milliseconds(50);
  o.busy_timeout = std::chrono::milliseconds(200);
  o.retry_initial = std::chrono::milliseconds(50);
  o.retry_max = std::chrono::milliseconds(200);
  o.prune_interval = std::chrono::milliseconds(100);
  // Tests write fixed dates (2024) to compare view output literally; retention tests set theirs.
  o.retention_failures = std::chrono::days(100 * 365);
  o.retention_rollups = std::chrono::days(100 * 365);
  return o;
}

TargetInfo make_target(const std::string& name, const std::string& url, Scheme kind,
                       Labels labels) {
  return TargetInfo{name, url, kind, std::move(labels)};
}

ProbeResult ok_result(std::int64_t at_ms, double total_ms) {
  ProbeResult r;
  r.started_at_ms = at_ms;
  r.timings.dns_ms = 0.0;
  r.timings.connect_ms = total_ms / 4;
  r.timings.first_byte_ms = total_ms / 2;
  r.timings.total_ms = total_ms;
  r.http_status = 200;
  r.remote_addr = "127.0.0.1:1";
  return r;
}

ProbeResult refused_result(std::int64_t at_ms) {
  ProbeResult r;
  r.cls = FailureClass::refused;
  r.phase = Phase::connect;
  r.sys_errno = ECONNREFUSED;
  r.message = "connection refused by 127.0.0.1:1";
  r.timings.dns_ms = 0.0;
  r.timings.connect_ms = 0.25;
  r.timings.total_ms = 0.5;
  r.remote_addr = "127.0.0.1:1";
  r.started_at_ms = at_ms;
  return r;
}

TestDb::TestDb(const std::string& path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
  REQUIRE_MESSAGE(rc == SQLITE_OK, "cannot open " << path << ": " << sqlite3_errmsg(db_));
  sqlite3_busy_timeout(db_, 2000);
}

TestDb::~TestDb() {
  sqlite3_close_v2(db_);
}

std::string TestDb::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return {};
  std::string text = error ? error : "unknown error";
  sqlite3_free(error);
  return text;
}

std::string query_row(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = sqlite3_column_text(stmt, i);
        out += (i ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

std::int64_t TestDb::scalar(const std::string& sql) {
  auto r = rows(sql);
  REQUIRE_MESSAGE(!r.empty(), "no rows from " << sql);
  REQUIRE(!r[0].empty());
  return r[0][0] == "NULL" ? 0 : std::stoll(r[0][0]);
}

std::vector<std::vector<std::string>> TestDb::rows(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << sqlite3_errmsg(db_));
  std::vector<std::vector<std::string>> out;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    out.push_back(std::move(row));
  }
  std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  REQUIRE_MESSAGE(error.empty(), sql << ": " << error);
  return out;
}

NetnsResult run_on_tmpfs(const std::string& dir, std::int64_t size_bytes,
                         const std::function<std::string()>& body) {
  NetnsOptions options;
  options.setup_commands = {"mount -t tmpfs -o size=" + std::to_string(size_bytes) +
                            ",mode=0755 tmpfs '" + dir + "'"};
  options.timeout = std::chrono::seconds(90);
  return run_in_netns(
      [&] {
        const std::string report = body();
        if (report.empty()) return 0;
        std::printf("%s\n", report.c_str());
        return 1;
      },
      options);
}

}  // namespace faultline::testing
