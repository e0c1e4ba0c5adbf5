#include "storage_test_support.hpp"

#include <doctest/doctest.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

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

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
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

ChildOutcome run_in_child(const std::function<std::string()>& body,
                          std::chrono::milliseconds timeout) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);  // or buffered test output would be written twice
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    std::string report;
    try {
      report = body();
    } catch (const std::exception& e) {
      report = std::string("exception: ") + e.what();
    }
    std::size_t off = 0;
    while (off < report.size()) {
      ssize_t n = write(fds[1], report.data() + off, report.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    // _exit: the child must not run the parent's atexit handlers or doctest's reporting.
    _exit(report.empty() ? 0 : 1);
  }
  close(fds[1]);
  ChildOutcome outcome;
  // A reader thread, so a child that writes a long report cannot block on a full pipe.
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
      outcome.report.append(buf, static_cast<std::size_t>(n));
  });
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      outcome.report += "\n(child killed after the timeout)";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reader.join();
  close(fds[0]);
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::string mount_private_tmpfs(const std::string& dir, std::int64_t size_bytes) {
  if (unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + strerror(errno);
  // Keep our mounts from propagating back to the parent namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return std::string("making / private: ") + strerror(errno);
  }
  const std::string options = "size=" + std::to_string(size_bytes) + ",mode=0755";
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    return "mounting tmpfs on " + dir + ": " + strerror(errno);
  }
  return {};
}

}  // namespace faultline::testing
