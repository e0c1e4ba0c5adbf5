#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace faultline::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env, std::string output_path,
                           std::optional<rlim_t> fd_limit)
    : output_path_(std::move(output_path)) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  // (fork rather than posix_spawn: the descriptor limit has to be set in the child.)
  std::vector<std::string> env = extra_env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string s(*e);
    if (s.starts_with("NOTIFY_SOCKET=") || s.starts_with("WATCHDOG_") ||
        s.starts_with("JOURNAL_STREAM=")) {
      continue;
    }
    env.push_back(s);
  }
  std::vector<char*> envp, args;
  for (auto& s : env)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy)
    args.push_back(s.data());
  args.push_back(nullptr);
  const rlimit limit{fd_limit.value_or(0), fd_limit.value_or(0)};

  const int out_fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) throw std::system_error(errno, std::generic_category(), output_path_);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // The child reports a failed exec (its errno) through this pipe; a successful exec closes it.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0 || null_fd < 0) {
    const int err = errno;
    ::close(out_fd);
    throw std::system_error(err, std::generic_category(), "pipe or /dev/null");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::close(report[0]);
    int err = 0;
    if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(out_fd, STDOUT_FILENO) < 0 ||
        ::dup2(out_fd, STDERR_FILENO) < 0 ||
        (fd_limit && ::setrlimit(RLIMIT_NOFILE, &limit) != 0)) {
      err = errno;
    } else {
      ::execve(args[0], args.data(), envp.data());
      err = errno;
    }
    [[maybe_unused]] const auto n = ::write(report[1], &err, sizeof err);
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(report[1]);
  ::close(out_fd);
  ::close(null_fd);
  if (pid_ < 0) {
    ::close(report[0]);
    throw std::system_error(fork_errno, std::generic_category(), "fork");
  }
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof child_errno) {
    waitpid(pid_, nullptr, 0);
    status_ = 127;
    throw std::system_error(child_errno, std::generic_category(), "start " + argv[0]);
  }
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::signal(int signum) const {
  if (!status_) ::kill(pid_, signum);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string ChildProcess::output() const {
  std::ifstream in(output_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace faultline::testing
