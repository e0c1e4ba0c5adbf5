// The real `faultline run` binary speaking the systemd notify protocol to a unix datagram
// socket passed as NOTIFY_SOCKET, as systemd would.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~NotifySocket() { close(fd_); }

  // Waits up to `ms` for a datagram containing `needle`; returns every datagram seen.
  bool wait_for(const std::string& needle, int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      received.emplace_back(buf, static_cast<std::size_t>(n));
      if (received.back().find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::vector<std::string> received;

 private:
  std::string path_;
  int fd_;
};

pid_t spawn_daemon(const std::string& config, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env_strings = extra_env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s(*e);
    if (s.rfind("NOTIFY_SOCKET=", 0) != 0 && s.rfind("WATCHDOG_", 0) != 0) env_strings.push_back(s);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string bin = FAULTLINE_BINARY, run = "run", c = "-c", level = "--log-level", warn = "warn";
  std::string cfg = config;
  char* argv[] = {bin.data(), run.data(), c.data(), cfg.data(), level.data(), warn.data(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv, envp.data()) == 0);
  return pid;
}

int wait_exit(pid_t pid, int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    usleep(20'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace

TEST_CASE("systemd notify: READY, WATCHDOG, RELOADING then READY, STOPPING, exit 0") {
  faultline::testing::TempDir dir;
  const std::string config =
      dir.write("faultline.yaml", "storage: {path: " + dir.file("faultline.db") +
                                      "}\n"
                                      "metrics: {listen: 127.0.0.1:0}\n"
                                      "defaults: {interval: 1s, timeout: 500ms}\n"
                                      "targets:\n  - name: closed\n    url: tcp://127.0.0.1:9\n");
  NotifySocket sock(dir.file("notify.sock"));
  const pid_t pid =
      spawn_daemon(config, {"NOTIFY_SOCKET=" + dir.file("notify.sock"), "WATCHDOG_USEC=400000"});
  CHECK(sock.wait_for("READY=1", 10'000));
  CHECK(sock.wait_for("WATCHDOG=1", 2'000));
  kill(pid, SIGHUP);
  CHECK(sock.wait_for("RELOADING=1", 5'000));
  CHECK(sock.wait_for("READY=1", 5'000));
  kill(pid, SIGTERM);
  CHECK(sock.wait_for("STOPPING=1", 5'000));
  CHECK(wait_exit(pid, 10'000) == 0);
}

TEST_CASE("faultline run: an invalid config exits 1 before anything starts") {
  faultline::testing::TempDir dir;
  const std::string config = dir.write("faultline.yaml", "targets:\n  - name: x\n");
  NotifySocket sock(dir.file("notify.sock"));
  const pid_t pid = spawn_daemon(config, {"NOTIFY_SOCKET=" + dir.file("notify.sock")});
  CHECK(wait_exit(pid, 10'000) == 1);
  CHECK_FALSE(sock.wait_for("READY=1", 100));
}
