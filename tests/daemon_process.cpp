#include "daemon_process.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/eventually.hpp"

extern char** environ;

namespace faultline::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

DaemonProcess::DaemonProcess(const DaemonLaunch& launch)
    : dir_("faultline-daemon"), log_path_(dir_.file("daemon.log")) {
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> args = {FAULTLINE_BINARY, "run",         "-c",
                                   launch.config,    "--log-level", launch.log_level};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s(*e);
    if (!s.starts_with("NOTIFY_SOCKET=") && !s.starts_with("WATCHDOG_") &&
        !s.starts_with("JOURNAL_STREAM="))
      env.push_back(s);
  }
  env.insert(env.end(), launch.env.begin(), launch.env.end());
  std::vector<char*> argv, envp;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(log_fd >= 0);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  rlimit limit{};
  if (launch.fd_limit) limit = {*launch.fd_limit, *launch.fd_limit};

  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (launch.fd_limit && ::setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
}

DaemonProcess::~DaemonProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool DaemonProcess::running() {
  if (status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::string DaemonProcess::log() const {
  return read_file(log_path_);
}

std::size_t DaemonProcess::log_count(const std::string& needle) const {
  const std::string text = log();
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

bool DaemonProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                                 std::size_t times) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (log_count(needle) < times) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int DaemonProcess::metrics_port(std::chrono::milliseconds timeout) const {
  if (!wait_for_log("/metrics", timeout)) return 0;
  // Parsed by hand: GCC 12 warns (maybe-uninitialized) inside <regex> at -O2, and CI builds
  // with -Werror.
  const std::string text = log();
  const std::string lead = "metrics on http://";
  const auto at = text.find(lead);
  if (at == std::string::npos) return 0;
  const auto end = text.find("/metrics", at + lead.size());
  const auto colon = text.rfind(':', end);
  if (end == std::string::npos || colon == std::string::npos || colon < at + lead.size()) return 0;
  int port = 0;
  for (auto i = colon + 1; i < end; ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
    port = port * 10 + (text[i] - '0');
  }
  return port;
}

long DaemonProcess::rss_kib() const {
  std::istringstream status(read_file("/proc/" + std::to_string(pid_) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

int DaemonProcess::open_fds() const {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

void DaemonProcess::signal(int sig) const {
  ::kill(pid_, sig);
}

int DaemonProcess::stop(std::chrono::milliseconds timeout) {
  if (running()) ::kill(pid_, SIGTERM);
  return wait_exit(timeout);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!eventually([this] { return !running(); }, timeout)) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = -1;
  }
  return *status_;
}

}  // namespace faultline::testing
