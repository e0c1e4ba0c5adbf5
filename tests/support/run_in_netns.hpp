// run_in_netns: run a piece of a test in a private network namespace (only its own loopback),
// where it may bind port 53, change sysctls and nftables rules, and swap /etc/resolv.conf,
// without touching the machine.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::testing {

// A resolv.conf that sends every lookup to a FakeDnsServer on 127.0.0.1:53 inside the
// namespace, and gives up after one try of one second.
inline constexpr std::string_view kFakeDnsResolvConf =
    "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";

// How to set the namespace up before the function runs.
struct NetnsOptions {
  // Contents bind-mounted over /etc/resolv.conf inside the namespace (none: the host's).
  std::optional<std::string> resolv_conf{};
  // Contents bind-mounted over /etc/nsswitch.conf, e.g. "hosts: files dns\n" so that no
  // nss-resolve or mdns module of the host bypasses resolv.conf (none: the host's).
  std::optional<std::string> nsswitch_conf{};
  // Shell lines run in order with /bin/sh -c once lo is up and the files are in place
  // ("sysctl -qw net.ipv4.tcp_syncookies=2", "nft -f ..."). Their output is captured like the
  // function's; the first that exits non-zero ends the run as setup_failed.
  std::vector<std::string> setup_commands{};
  // Limit for the whole child, setup included; past it the child's process group is killed.
  std::chrono::milliseconds timeout{30000};
};

enum class NetnsStatus {
  exited,        // the function ran and returned (exit_code)
  skipped,       // no namespace could be made here (not root, unshare refused): see reason
  setup_failed,  // the namespace exists but lo, a mount or a setup command failed: see reason
  timed_out,     // killed after options.timeout
  signaled,      // the child died of a signal (signal), e.g. a crash in the function
};

struct NetnsResult {
  NetnsStatus status = NetnsStatus::skipped;
  int exit_code = -1;  // exited: the function's return value, modulo 256
  int signal = 0;      // signaled: the signal number
  std::string reason;  // skipped, setup_failed: why
  std::string output;  // everything the child wrote to stdout and stderr

  // exited with 0.
  bool ok() const { return status == NetnsStatus::exited && exit_code == 0; }
  // One line for a failure message: the status, code or reason, then the output.
  std::string describe() const;
};

// Forks; the child makes itself a process group, unshares CLONE_NEWNET | CLONE_NEWNS, makes
// every mount private (so its bind mounts stay inside), brings lo up, mounts the files and
// runs the setup commands of `options`, then calls `fn` and _exits with its return value
// (125 if it threw). Its stdout and stderr go to NetnsResult::output. The parent waits at
// most options.timeout and afterwards kills whatever the child left running in its process
// group.
//
// The child is a fork of a possibly multi-threaded test process: only the calling thread
// survives in it. `fn` must therefore build its own servers, threads and event loops and must
// not touch ones created before the call (their threads are gone, their locks may be held);
// glibc keeps malloc and stdio usable. doctest assertions do not work in the child: report by
// printing and returning non-zero. static destructors and atexit handlers do not run there.
//
// Returns skipped (without forking) when not running as root, and skipped when the kernel
// refuses the namespace (EPERM, EINVAL, ENOSYS: a restricted container), so callers can print
// the reason and skip.
NetnsResult run_in_netns(const std::function<int()>& fn, const NetnsOptions& options = {});

// A namespace whose kernel is a stateful middlebox: conntrack forgets an established connection
// idle for `established_timeout_s`, loose pickup is off, and nftables answers packets of a
// forgotten connection (ct state invalid) with a TCP reset, as a NAT gateway or firewall does.
NetnsOptions conntrack_middlebox(int established_timeout_s);

}  // namespace faultline::testing
