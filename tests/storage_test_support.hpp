// Helpers shared by the storage tests (beside temp_dir.hpp): result builders, a plain sqlite3
// connection for looking at what the store wrote, and a forked child for tests that must mount
// filesystems or be killed.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checks/probe_result.hpp"
#include "checks/result_sink.hpp"
#include "storage/storage_options.hpp"
#include "temp_dir.hpp"

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

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

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

// The outcome of run_in_child: the child's report ("" when it passed) and how it ended.
struct ChildOutcome {
  bool exited = false;  // false: killed by a signal or by the timeout
  int exit_code = -1;
  std::string report;
};

// Runs `body` in a forked child and returns what it wrote: the body returns "" on success or a
// description of what went wrong. The child is SIGKILLed after `timeout`. Used for tests that
// change mount namespaces, so their mounts vanish with the child whatever happens.
ChildOutcome run_in_child(const std::function<std::string()>& body,
                          std::chrono::milliseconds timeout);

// In a child: a private mount namespace with a tmpfs of `size_bytes` mounted at `dir`. Returns
// "" or the reason it failed.
std::string mount_private_tmpfs(const std::string& dir, std::int64_t size_bytes);

}  // namespace faultline::testing
