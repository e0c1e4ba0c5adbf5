// ChildProcess: the real faultline binary (or any program) run by a test, with its output
// captured, so tests can assert on exit status, logs and side effects.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace faultline::testing {

class ChildProcess {
 public:
  // Starts `argv` (argv[0] is the path) with the test's environment, minus NOTIFY_SOCKET,
  // WATCHDOG_* and JOURNAL_STREAM, plus `extra_env` ("NAME=value"). stdin is /dev/null; stdout
  // and stderr go to `output_path` (both, interleaved). With `fd_limit`, RLIMIT_NOFILE is set
  // to it, soft and hard, so the program cannot raise it. Throws std::system_error when the
  // program cannot start.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
               std::string output_path, std::optional<rlim_t> fd_limit = std::nullopt);
  // Kills the process (SIGKILL) if it is still running and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signum) const;

  // Waits up to `timeout` for the exit; the exit status (128+N for death by signal N), or
  // nullopt if it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  // Everything it printed so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string output_path_;
};

}  // namespace faultline::testing
