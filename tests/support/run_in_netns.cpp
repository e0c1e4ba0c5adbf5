#include "tests/support/run_in_netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>

#include "tests/support/temp_dir.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

namespace {

using Clock = std::chrono::steady_clock;

// The child reports how setup went on a pipe of its own: one of these bytes, then a reason.
constexpr char kSkip = 'S';
constexpr char kSetupFailed = 'F';
constexpr char kRunning = 'R';
constexpr int kThrew = 125;

struct ChildPlan {
  const std::function<int()>& fn;
  const NetnsOptions& options;
  std::string resolv_conf_file;    // "" when not mounted
  std::string nsswitch_conf_file;  // "" when not mounted
  int output_fd;
  int status_fd;
};

[[noreturn]] void report_and_exit(int status_fd, char code, const std::string& reason) {
  std::string message = code + reason;
  [[maybe_unused]] ssize_t n = ::write(status_fd, message.data(), message.size());
  ::_exit(0);
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool bring_loopback_up(std::string& error) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) {
    error = errno_text("SIOCGIFFLAGS lo");
    return false;
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) {
    error = errno_text("SIOCSIFFLAGS lo");
    return false;
  }
  return true;
}

// True when no mount the machine's first process sees is shared, so a mount we make cannot
// propagate anywhere even without making our own tree private. Unknown counts as false.
bool no_shared_mounts() {
  for (const char* path : {"/proc/1/mountinfo", "/proc/self/mountinfo"}) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" shared:") != std::string::npos) return false;
    }
  }
  return true;
}

// Runs one setup line with /bin/sh; returns its exit status (or 128 + signal).
int run_shell(const std::string& command) {
  pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

[[noreturn]] void child_main(const ChildPlan& plan) {
  ::setpgid(0, 0);
  // Dies with the test process, so a crashed test leaves no namespace behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::dup2(plan.output_fd, STDOUT_FILENO);
  ::dup2(plan.output_fd, STDERR_FILENO);

  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    bool refused = errno == EPERM || errno == EINVAL || errno == ENOSYS || errno == EACCES;
    report_and_exit(plan.status_fd, refused ? kSkip : kSetupFailed,
                    errno_text("unshare(CLONE_NEWNET | CLONE_NEWNS)"));
  }
  // Without this our mounts would propagate back to the host's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    // EINVAL: our root is not a mount point, as in a chroot, so its propagation cannot be
    // changed from here. That is only safe when nothing on the machine propagates at all.
    if (errno != EINVAL)
      report_and_exit(plan.status_fd, kSetupFailed, errno_text("mount --make-rprivate /"));
    if (!no_shared_mounts())
      report_and_exit(plan.status_fd, kSkip,
                      "the root is not a mount point (a chroot?) and mounts here propagate, so "
                      "this test's mounts could not be kept private");
  }
  std::string error;
  if (!bring_loopback_up(error)) report_and_exit(plan.status_fd, kSetupFailed, error);
  auto bind = [&](const std::string& file, const char* target) {
    if (!file.empty() && ::mount(file.c_str(), target, nullptr, MS_BIND, nullptr) != 0)
      report_and_exit(plan.status_fd, kSetupFailed,
                      errno_text("bind mount " + file + " over " + target));
  };
  bind(plan.resolv_conf_file, "/etc/resolv.conf");
  bind(plan.nsswitch_conf_file, "/etc/nsswitch.conf");

  // sysctl, ip and nft live in sbin, which a test runner's PATH may lack.
  const char* path = std::getenv("PATH");
  std::string full_path = std::string(path ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin";
  ::setenv("PATH", full_path.c_str(), 1);
  for (const std::string& command : plan.options.setup_commands) {
    int rc = run_shell(command);
    if (rc != 0)
      report_and_exit(plan.status_fd, kSetupFailed,
                      "setup command exited " + std::to_string(rc) + ": " + command);
  }

  [[maybe_unused]] ssize_t n = ::write(plan.status_fd, &kRunning, 1);
  ::close(plan.status_fd);
  int rc = kThrew;
  try {
    rc = plan.fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_in_netns: the function threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "run_in_netns: the function threw a non-std exception\n");
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(rc & 0xff);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("run_in_netns: cannot write " + path);
}

// Appends what can be read from `fd` right now; returns false at EOF.
bool drain(int fd, std::string& into) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: more may come; 0: EOF
  }
}

}  // namespace

std::string NetnsResult::describe() const {
  std::string head;
  switch (status) {
    case NetnsStatus::exited:
      head = "exited with " + std::to_string(exit_code);
      break;
    case NetnsStatus::skipped:
      head = "skipped: " + reason;
      break;
    case NetnsStatus::setup_failed:
      head = "setup failed: " + reason;
      break;
    case NetnsStatus::timed_out:
      head = "timed out";
      break;
    case NetnsStatus::signaled:
      head = "killed by signal " + std::to_string(signal);
      break;
  }
  return head + (output.empty() ? "" : "\n--- output of the namespace child ---\n" + output);
}

NetnsOptions conntrack_middlebox(int established_timeout_s) {
  NetnsOptions options;
  options.setup_commands = {
      "sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=" +
          std::to_string(established_timeout_s),
      "sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0",
      "nft add table inet middlebox",
      "nft add chain inet middlebox out '{ type filter hook output priority 0; }'",
      "nft add rule inet middlebox out ct state invalid tcp flags != rst reject with tcp reset",
  };
  return options;
}

NetnsResult run_in_netns(const std::function<int()>& fn, const NetnsOptions& options) {
  NetnsResult result;
  if (::geteuid() != 0) {
    result.reason = "network namespaces need root";
    return result;
  }

  std::optional<TempDir> files;
  ChildPlan plan{fn, options, "", "", -1, -1};
  if (options.resolv_conf || options.nsswitch_conf) {
    files.emplace("faultline-netns");
    if (options.resolv_conf) {
      plan.resolv_conf_file = files->file("resolv.conf");
      write_file(plan.resolv_conf_file, *options.resolv_conf);
    }
    if (options.nsswitch_conf) {
      plan.nsswitch_conf_file = files->file("nsswitch.conf");
      write_file(plan.nsswitch_conf_file, *options.nsswitch_conf);
    }
  }

  int output_pipe[2];
  int status_pipe[2];
  if (::pipe2(output_pipe, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  UniqueFd output_read(output_pipe[0]), output_write(output_pipe[1]);
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  plan.output_fd = output_write.get();
  plan.status_fd = status_write.get();

  // Otherwise text the parent buffered but had not written yet would be printed twice.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) child_main(plan);
  // Both ends here too, in case the parent's setpgid wins the race against the child's.
  ::setpgid(pid, pid);
  output_write.reset();
  status_write.reset();

  ::fcntl(output_read.get(), F_SETFL, O_NONBLOCK);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  Clock::time_point deadline = Clock::now() + options.timeout;
  bool output_open = true;
  bool timed_out = false;
  for (;;) {
    if (output_open) output_open = drain(output_read.get(), result.output);
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid)
      break;
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    // With a pidfd the poll wakes the moment the child exits; without one, poll in 10 ms steps.
    pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {output_open ? output_read.get() : -1, POLLIN, 0}};
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    ::poll(fds, 2, pidfd ? static_cast<int>(left) : std::min<int>(10, static_cast<int>(left)));
  }
  // Whatever the child left behind in its process group (a background setup command, a
  // grandchild of `fn`) goes now, so it can neither hold the namespace nor outlive the test.
  ::kill(-pid, SIGKILL);
  if (timed_out) ::kill(pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (output_open) drain(output_read.get(), result.output);

  std::string report;
  ::fcntl(status_read.get(), F_SETFL, O_NONBLOCK);
  drain(status_read.get(), report);
  char code = report.empty() ? '\0' : report[0];
  if (code == kSkip || code == kSetupFailed) {
    result.status = code == kSkip ? NetnsStatus::skipped : NetnsStatus::setup_failed;
    result.reason = report.substr(1);
  } else if (timed_out) {
    result.status = NetnsStatus::timed_out;
    result.reason = code == kRunning ? "the function ran too long" : "setup ran too long";
  } else if (WIFSIGNALED(wstatus)) {
    result.status = NetnsStatus::signaled;
    result.signal = WTERMSIG(wstatus);
  } else {
    result.status = NetnsStatus::exited;
    result.exit_code = WEXITSTATUS(wstatus);
  }
  return result;
}

}  // namespace faultline::testing
