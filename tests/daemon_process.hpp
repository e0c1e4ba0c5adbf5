// DaemonProcess: `faultline run` as a real child process, for the tests that need the whole
// daemon: its log, its memory and descriptors as /proc shows them, its metrics port, signals.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace faultline::testing {

struct DaemonLaunch {
  std::string config;               // the config file
  std::string log_level = "debug";  // --log-level: debug logs every probe's class
  std::vector<std::string> env;     // extra "NAME=value" entries
  std::optional<rlim_t> fd_limit;   // RLIMIT_NOFILE soft = hard, so the daemon cannot raise it
};

// Starts FAULTLINE_BINARY run -c CONFIG --log-level LEVEL (a ChildProcess) with stdout and
// stderr going to a file of its own. The destructor kills (SIGKILL) a daemon that is still
// running. Failing to start fails the calling test.
class DaemonProcess {
 public:
  explicit DaemonProcess(const DaemonLaunch& launch);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return child_.pid(); }
  // Whether the process has not exited yet (reaps it when it has).
  bool running();
  // Everything it logged so far.
  std::string log() const;
  // How often `needle` occurs in the log.
  std::size_t log_count(const std::string& needle) const;
  // Waits until the log holds `needle` at least `times` times; false after `timeout`.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                    std::size_t times = 1) const;
  // The port of "metrics on http://127.0.0.1:PORT/metrics" from the start-up log line; 0 when
  // it did not appear within `timeout`.
  int metrics_port(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // VmRSS from /proc/PID/status in KiB; 0 when the process is gone.
  long rss_kib() const;
  // Open descriptors (entries of /proc/PID/fd); -1 when the process is gone.
  int open_fds() const;
  void signal(int sig) const;
  // SIGTERM, then waits for the exit: the exit status, 128 + signal for a signal, or -1 after
  // `timeout` (the process is then killed).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for an exit without signalling; same results as stop().
  int wait_exit(std::chrono::milliseconds timeout);

 private:
  TempDir dir_;
  ChildProcess child_;
};

// The file's bytes, "" when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace faultline::testing
