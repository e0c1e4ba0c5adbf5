// `faultline run` signalled while it starts: a SIGHUP must never end it (it becomes a reload once
// the loop runs) and a SIGTERM or SIGINT must stop it cleanly, status 0 after "stopping" and
// "stopped" and a flush. The program holds these signals from its first code (a .preinit_array
// entry in daemon/main.cpp); before that (while the dynamic loader maps its libraries, a few
// milliseconds up to tens on a busy machine) no code of ours runs and a signal still takes its
// default action, so every shot here waits until /proc shows the signals held (or caught). 3,000
// targets on a closed loopback port stretch the startup to a few hundred milliseconds.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon_process.hpp"
#include "storage_test_support.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t bit(int sig) {
  return std::uint64_t{1} << (sig - 1);
}
constexpr std::uint64_t kDaemonSignals = bit(SIGHUP) | bit(SIGINT) | bit(SIGTERM);
constexpr std::size_t kTargets = 3000;

DaemonLaunch launch(const std::string& config) {
  DaemonLaunch l;
  l.config = config;
  l.log_level = "info";
  return l;
}

// A field of /proc/PID/task/TID/status (SigBlk: blocked, SigCgt: caught) as a bit set; nullopt
// when the thread is gone.
std::optional<std::uint64_t> signal_set(pid_t pid, pid_t tid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":"))
      return std::stoull(line.substr(field.size() + 1), nullptr, 16);
  }
  return std::nullopt;
}

bool held(pid_t pid) {
  auto blocked = signal_set(pid, pid, "SigBlk");
  return blocked && (*blocked & kDaemonSignals) == kDaemonSignals;
}

bool caught(pid_t pid) {
  auto handled = signal_set(pid, pid, "SigCgt");
  return handled && (*handled & kDaemonSignals) == kDaemonSignals;
}

std::string big_config(TempDir& dir) {
  const std::string port = std::to_string(closed_port());
  std::ostringstream text;
  text << "storage: {path: " << dir.file("faultline.db") << "}\n"
       << "metrics: {listen: '127.0.0.1:0'}\n"
       << "defaults: {interval: 60s, timeout: 2s}\n"
       << "targets:\n";
  for (std::size_t i = 0; i < kTargets; ++i)
    text << "  - name: t" << i << "\n    url: tcp://127.0.0.1:" << port << "/\n";
  return dir.write("faultline.yaml", text.str());
}

// When, during startup, a shot is fired.
struct When {
  std::string what;
  std::optional<milliseconds> after_exec;  // else as soon as the metrics listener is up
};

// Starts the daemon and sends `sig` at `when`, never before the daemon protects itself (its
// signals held, or caught by the loop). Returns whether the shot found them held and the loop
// not ready yet: a shot during startup.
struct Shot {
  std::unique_ptr<DaemonProcess> daemon;
  bool during_startup = false;
};

Shot fire(const std::string& config, int sig, const When& when) {
  Shot shot;
  shot.daemon = std::make_unique<DaemonProcess>(launch(config));
  DaemonProcess& d = *shot.daemon;
  const auto exec_done = Clock::now();
  const auto give_up = exec_done + std::chrono::seconds(30);
  // Busy-waits: the held window lasts only as long as the startup.
  while (!held(d.pid()) && !caught(d.pid()) && Clock::now() < give_up && d.running())
    std::this_thread::yield();
  if (when.after_exec) {
    std::this_thread::sleep_until(exec_done + *when.after_exec);
  } else {
    while (d.log_count("metrics on http://") == 0 && Clock::now() < give_up && d.running())
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  shot.during_startup = held(d.pid()) && d.log_count(" monitoring ") == 0;
  d.signal(sig);
  return shot;
}

std::vector<When> shots() {
  return {{"as soon as the signals are held", milliseconds(0)},
          {"when the metrics listener is up", std::nullopt},
          {"10 ms after exec", milliseconds(10)},
          {"25 ms after exec", milliseconds(25)},
          {"50 ms after exec", milliseconds(50)},
          {"100 ms after exec", milliseconds(100)},
          {"200 ms after exec", milliseconds(200)},
          {"400 ms after exec", milliseconds(400)}};
}

}  // namespace

TEST_CASE("faultline run: a SIGHUP at any point of the startup becomes a reload, never an exit") {
  TempDir dir;
  const std::string config = big_config(dir);
  int during_startup = 0;
  for (const When& when : shots()) {
    INFO("SIGHUP " << when.what);
    Shot shot = fire(config, SIGHUP, when);
    DaemonProcess& d = *shot.daemon;
    during_startup += shot.during_startup ? 1 : 0;
    CHECK_MESSAGE(d.wait_for_log("reloaded: 0 added, 0 removed, 0 changed, 3000 unchanged",
                                 std::chrono::seconds(60)),
                  d.log());
    CHECK(d.running());
    CHECK(d.log_count("reloading ") == 1);
    CHECK(d.stop(std::chrono::seconds(30)) == 0);
  }
  // Most shots land before the loop is ready, or the test proves nothing.
  CHECK_MESSAGE(during_startup >= 3,
                during_startup << " shots found SIGHUP held during the startup");
}

TEST_CASE("faultline run: a SIGTERM or SIGINT during the startup stops cleanly with status 0") {
  TempDir dir;
  const std::string config = big_config(dir);
  std::vector<std::pair<int, When>> plan;
  for (const When& when : shots())
    plan.emplace_back(SIGTERM, when);
  plan.emplace_back(SIGINT, When{"when the metrics listener is up", std::nullopt});
  plan.emplace_back(SIGINT, When{"as soon as the signals are held", milliseconds(0)});
  int during_startup = 0;
  for (const auto& [sig, when] : plan) {
    INFO((sig == SIGTERM ? "SIGTERM " : "SIGINT ") << when.what);
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(dir.file(std::string("faultline.db") + suffix));
    Shot shot = fire(config, sig, when);
    DaemonProcess& d = *shot.daemon;
    during_startup += shot.during_startup ? 1 : 0;
    CHECK(d.wait_exit(std::chrono::seconds(60)) == 0);
    const std::string log = d.log();
    INFO(log);
    CHECK(d.log_count("stopping: waiting up to") == 1);
    CHECK(d.log_count("info  stopped\n") == 1);
    // The flush wrote out what the store held: every target's row.
    TestDb db(dir.file("faultline.db"));
    CHECK(db.scalar("SELECT count(*) FROM targets") == static_cast<std::int64_t>(kTargets));
  }
  CHECK_MESSAGE(during_startup >= 3,
                during_startup << " shots found SIGTERM/SIGINT held during the startup");
}

TEST_CASE("faultline run: only the loop's thread takes SIGHUP, SIGTERM and SIGINT") {
  TempDir dir;
  const std::string port = std::to_string(closed_port());
  const std::string config =
      dir.write("faultline.yaml", "storage: {path: " + dir.file("faultline.db") +
                                      "}\nmetrics: {listen: '127.0.0.1:0'}\n"
                                      "defaults: {interval: 1s, timeout: 500ms}\ntargets:\n"
                                      "  - name: a\n    url: tcp://127.0.0.1:" +
                                      port + "/\n");
  DaemonProcess d(launch(config));
  REQUIRE(d.wait_for_log(" monitoring ", std::chrono::seconds(30)));
  // A reload runs in libuv's pool: its threads exist by now whenever they were started.
  d.signal(SIGHUP);
  REQUIRE(d.wait_for_log("reloaded:", std::chrono::seconds(30)));
  REQUIRE(d.metrics_port() > 0);

  // The loop's thread takes them. (Eventually: creating a thread or a signal watcher blocks
  // every signal for a moment.)
  CHECK(eventually([&] {
    auto blocked = signal_set(d.pid(), d.pid(), "SigBlk");
    return blocked && (*blocked & kDaemonSignals) == 0;
  }));
  std::size_t others = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(d.pid()) + "/task")) {
    const pid_t tid = std::stoi(entry.path().filename().string());
    auto blocked = signal_set(d.pid(), tid, "SigBlk");
    if (tid == d.pid() || !blocked) continue;  // the loop's, or ended meanwhile
    ++others;
    INFO("thread " << tid << " blocks " << (*blocked & kDaemonSignals) << " of " << kDaemonSignals);
    CHECK((*blocked & kDaemonSignals) == kDaemonSignals);
  }
  // The config thread is gone; the store's writer, civetweb's and libuv's pool remain.
  CHECK(others >= 3);
  CHECK(d.stop() == 0);
}
