// Helpers shared by the storage tests, beside tests/support: result builders, a plain sqlite3
// connection for looking at what the store wrote, and a child with a small filesystem of its own.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checks/probe_result.hpp"
#include "sinks/target_info.hpp"
#include "storage/storage_options.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/temp_dir.hpp"

namespace faultline::testing {

std::int64_t unix_now_ms();

// Options with short intervals so tests see flushes, retries and prunes within milliseconds, and
// a retention of a century.
StorageOptions fast_options(const std::string& path);

TargetInfo make_target(const std::string& name, const std::string& url = "http://127.0.0.1:1/",
                       Scheme kind = Scheme::http, Labels labels = {});

ProbeResult ok_result(std::int64_t at_ms, double total_ms);
// A refused connect: errno ECONNREFUSED, phase connect, dns and connect timings, no status.
ProbeResult refused_result(std::int64_t at_ms);

// A plain connection for inspecting the store's file, independent of storage/ code.
class TestDb {
 public:
  explicit TestDb(const std::string& path);
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  // Runs statements; returns SQLite's error message, "" on success.
  std::string exec(const std::string& sql);
  // The first column of the first row as an integer (0 for NULL); fails the test on error.
  std::int64_t scalar(const std::string& sql);
  // Every row, each column as text ("NULL" for NULL); fails the test on error.
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// The first row of `sql` on the database at `path`, opened read-only, its columns joined by '|';
// "" when there is no row or the file cannot be read yet (a daemon may still be creating it), so
// that tests can poll it with eventually().
std::string query_row(const std::string& path, const std::string& sql);

// Runs `body` in a forked child (run_in_netns) with a private mount namespace in which a tmpfs
// of `size_bytes` is mounted on `dir`: the mount vanishes with the child whatever happens. The
// body returns "" on success or what went wrong, which ends up in the result's output.
NetnsResult run_on_tmpfs(const std::string& dir, std::int64_t size_bytes,
                         const std::function<std::string()>& body);

}  // namespace faultline::testing
