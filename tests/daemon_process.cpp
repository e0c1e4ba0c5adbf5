#include "daemon_process.hpp"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace faultline::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

DaemonProcess::DaemonProcess(const DaemonLaunch& launch)
    : dir_("faultline-daemon"),
      child_({FAULTLINE_BINARY, "run", "-c", launch.config, "--log-level", launch.log_level},
             launch.env, dir_.file("daemon.log"), launch.fd_limit) {}

DaemonProcess::~DaemonProcess() = default;

bool DaemonProcess::running() {
  return !child_.wait(std::chrono::milliseconds(0));
}

std::string DaemonProcess::log() const {
  return child_.output();
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
  std::istringstream status(read_file("/proc/" + std::to_string(pid()) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

int DaemonProcess::open_fds() const {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid()) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

void DaemonProcess::signal(int sig) const {
  child_.signal(sig);
}

int DaemonProcess::stop(std::chrono::milliseconds timeout) {
  child_.signal(SIGTERM);
  return wait_exit(timeout);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (auto status = child_.wait(timeout)) return *status;
  child_.signal(SIGKILL);
  child_.wait(std::chrono::seconds(10));
  return -1;
}

}  // namespace faultline::testing
