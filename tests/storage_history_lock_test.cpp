// One writer per history file: a second store, and a second real `faultline run`, on the same
// storage.path refuse to start, naming the holder's pid, while readers (`faultline report`,
// sqlite3 -readonly) go on reading; a lock left by a process that is gone blocks nobody.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/history_lock.hpp"
#include "storage/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "tests/daemon_process.hpp"
#include "tests/support/closed_port.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr auto kStart = std::chrono::seconds(20);

std::string in_use_by(pid_t pid) {
  return "in use by another faultline (pid " + std::to_string(pid) +
         "); stop it or give this one another storage.path";
}

// What a shell command printed on stdout, and its exit status.
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A config of its own for each daemon: `name` probes a closed port every 200 ms (so it goes
// down at once), `shared` is in every config.
std::string config_for(TempDir& dir, const std::string& name, const std::string& db,
                       int shared_port) {
  return dir.write(name + ".yaml",
                   "storage: {path: " + db + "}\n" +
                       "metrics: {listen: 127.0.0.1:0}\n"
                       "defaults: {interval: 200ms, timeout: 150ms, failure_threshold: 1}\n"
                       "targets:\n"
                       "  - {name: shared, url: 'tcp://127.0.0.1:" +
                       std::to_string(shared_port) + "'}\n" + "  - {name: " + name +
                       ", url: 'tcp://127.0.0.1:" + std::to_string(closed_port()) + "'}\n");
}

DaemonLaunch launch(const std::string& config) {
  DaemonLaunch l;
  l.config = config;
  return l;
}

}  // namespace

TEST_CASE("history lock: one holder at a time, asking never takes it, a stale file blocks none") {
  TempDir dir;
  const std::string db = dir.file("h.db");
  CHECK(history_lock_path(db) == db + ".lock");

  auto none = history_lock_holder(db);  // no lock file at all
  REQUIRE_MESSAGE(none, none.error());
  CHECK_FALSE(*none);

  {
    auto first = HistoryLock::acquire(db);
    REQUIRE_MESSAGE(first, first.error());
    CHECK(read_file(history_lock_path(db)) == std::to_string(getpid()) + "\n");
    // The lock belongs to the open file, not to the process: a second open here is refused too.
    auto second = HistoryLock::acquire(db);
    REQUIRE_FALSE(second);
    CHECK(second.error() == in_use_by(getpid()));
    auto holder = history_lock_holder(db);
    REQUIRE_MESSAGE(holder, holder.error());
    CHECK(*holder == getpid());
    // Asking did not take it: the holder still holds it.
    CHECK_FALSE(HistoryLock::acquire(db));
  }
  auto released = history_lock_holder(db);
  REQUIRE(released);
  CHECK_FALSE(*released);

  // A lock file left by a process that is gone (the file stays after every exit).
  std::ofstream(history_lock_path(db)) << "999999\n";
  auto stale = history_lock_holder(db);
  REQUIRE(stale);
  CHECK_FALSE(*stale);
  auto taken = HistoryLock::acquire(db);
  REQUIRE_MESSAGE(taken, taken.error());
  CHECK(read_file(history_lock_path(db)) == std::to_string(getpid()) + "\n");
}

TEST_CASE("history lock: a second store on the same file is refused, naming the holder") {
  TempDir dir;
  const StorageOptions options = fast_options(dir.file("h.db"));
  auto first = SqliteStore::open(options);
  REQUIRE_MESSAGE(first, first.error());
  auto second = SqliteStore::open(options);
  REQUIRE_FALSE(second);
  CHECK(second.error() == "storage database '" + options.path + "': " + in_use_by(getpid()));
  first->reset();  // closing the first store releases the file
  auto third = SqliteStore::open(options);
  CHECK_MESSAGE(third, (third ? "" : third.error()));
}

TEST_CASE("history lock: a second faultline run on the same storage.path refuses to start") {
  TempDir dir;
  const std::string db = dir.file("history.db");
  const int shared_port = closed_port();
  DaemonProcess first(launch(config_for(dir, "one", db, shared_port)));
  REQUIRE_MESSAGE(first.wait_for_log("monitoring 2 targets", kStart), first.log());
  REQUIRE(first.wait_for_log("shared is DOWN", kStart));

  DaemonProcess second(launch(config_for(dir, "two", db, shared_port)));
  CHECK(second.wait_exit(kStart) == 1);
  const std::string refusal =
      "cannot start: storage database '" + db + "': " + in_use_by(first.pid());
  CHECK_MESSAGE(second.log().find(refusal) != std::string::npos, second.log());
  CHECK(second.log().find("monitoring") == std::string::npos);

  // Readers are not writers: both read while the daemon runs and holds the lock.
  const std::string count_downs =
      "sqlite3 -readonly '" + db +
      "' \"SELECT count(*) FROM state_changes s JOIN targets t ON t.id = s.target_id "
      "WHERE t.name = 'shared' AND s.to_state = 'down'\"";
  std::pair<int, std::string> downs;
  CHECK(eventually([&] { return (downs = shell(count_downs)).second != "0\n"; }, kStart));
  CHECK(downs.first == 0);
  CHECK(downs.second == "1\n");  // one daemon counted it down, not two
  const auto [report_status, report] =
      shell(std::string("'") + FAULTLINE_BINARY + "' report --json --since 1h --db '" + db + "'");
  CHECK(report_status == 0);
  CHECK(report.find("\"target\": \"shared\"") != std::string::npos);
  CHECK(first.running());

  // Once the first has stopped, the file is free again.
  CHECK(first.stop() == 0);
  DaemonProcess third(launch(config_for(dir, "three", db, shared_port)));
  REQUIRE_MESSAGE(third.wait_for_log("monitoring 2 targets", kStart), third.log());
  // A daemon that dies without a word leaves its lock file behind, and no lock.
  third.signal(SIGKILL);
  CHECK(third.wait_exit(kStart) == 128 + SIGKILL);
  CHECK(std::filesystem::exists(db + ".lock"));
  DaemonProcess fourth(launch(config_for(dir, "four", db, shared_port)));
  CHECK_MESSAGE(fourth.wait_for_log("monitoring 2 targets", kStart), fourth.log());
  CHECK(fourth.stop() == 0);
}
