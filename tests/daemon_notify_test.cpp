// The real `faultline run` binary speaking the systemd notify protocol to a unix datagram
// socket passed as NOTIFY_SOCKET, as systemd would.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using faultline::testing::ChildProcess;

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
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config, "--log-level", "warn"},
                      {"NOTIFY_SOCKET=" + dir.file("notify.sock"), "WATCHDOG_USEC=400000"},
                      dir.file("out"));
  INFO(daemon.output());
  CHECK(sock.wait_for("READY=1", 10'000));
  CHECK(sock.wait_for("WATCHDOG=1", 2'000));
  daemon.signal(SIGHUP);
  CHECK(sock.wait_for("RELOADING=1", 5'000));
  CHECK(sock.wait_for("READY=1", 5'000));
  daemon.signal(SIGTERM);
  CHECK(sock.wait_for("STOPPING=1", 5'000));
  CHECK(daemon.wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("faultline run: an invalid config exits 1 before anything starts") {
  faultline::testing::TempDir dir;
  const std::string config = dir.write("faultline.yaml", "targets:\n  - name: x\n");
  NotifySocket sock(dir.file("notify.sock"));
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config},
                      {"NOTIFY_SOCKET=" + dir.file("notify.sock")}, dir.file("out"));
  CHECK(daemon.wait(std::chrono::seconds(10)) == 1);
  CHECK(daemon.output().find(config + ":2:5: target 'x' has no 'url'") != std::string::npos);
  CHECK_FALSE(sock.wait_for("READY=1", 100));

  // Under journald every line says its priority, the errors' too.
  ChildProcess journaled({FAULTLINE_BINARY, "run", "-c", config}, {"JOURNAL_STREAM=8:12345"},
                         dir.file("journaled"));
  CHECK(journaled.wait(std::chrono::seconds(10)) == 1);
  CHECK(journaled.output().find("<3>config: " + config + ":2:5: target 'x' has no 'url'") !=
        std::string::npos);
  CHECK(journaled.output().find("<3>cannot start: ") != std::string::npos);
}
