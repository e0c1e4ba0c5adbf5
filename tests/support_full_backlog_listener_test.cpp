#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/full_backlog_listener.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/tcp_client.hpp"

using namespace std::chrono_literals;
using faultline::testing::connect_tcp;
using faultline::testing::FullBacklogListener;
using faultline::testing::NetnsStatus;
using faultline::testing::run_in_netns;

namespace {

int read_sysctl(const char* path) {
  std::ifstream in(path);
  int value = -1;
  in >> value;
  return value;
}

}  // namespace

TEST_CASE("FullBacklogListener: a fresh connect neither completes nor is refused") {
  INFO("tcp_syncookies = " << read_sysctl("/proc/sys/net/ipv4/tcp_syncookies"));
  REQUIRE(read_sysctl("/proc/sys/net/ipv4/tcp_abort_on_overflow") == 0);
  FullBacklogListener listener;
  CHECK(listener.accept_queue_limit() == 0);
  CHECK(listener.accept_queue_length() == 1);
  auto c = connect_tcp("127.0.0.1", listener.port(), 1s);
  CHECK(c.timed_out);
  CHECK(c.error == 0);  // in particular not ECONNREFUSED
  // The dropped SYN never made it in: the queue still holds only our own connection.
  CHECK(listener.accept_queue_length() == 1);
}

TEST_CASE("FullBacklogListener: works on ::1 too") {
  FullBacklogListener listener("::1");
  auto c = connect_tcp("::1", listener.port(), 1s);
  CHECK(c.timed_out);
  CHECK(c.error == 0);
}

TEST_CASE("FullBacklogListener: SYNs are dropped even when SYN cookies are always on") {
  // tcp_syncookies=2 sends cookies for every SYN; a full accept queue must still win, or a
  // CI machine with that setting would turn our timeouts into successful connects.
  auto r = run_in_netns(
      [] {
        FullBacklogListener listener;
        auto c = connect_tcp("127.0.0.1", listener.port(), 1s);
        if (!c.timed_out || c.error != 0) {
          std::printf("connect: timed_out=%d error=%d\n", c.timed_out, c.error);
          return 1;
        }
        return 0;
      },
      {.setup_commands = {"sysctl -qw net.ipv4.tcp_syncookies=2"}});
  if (r.status == NetnsStatus::skipped) {
    faultline::testing::skip_test(r.reason);
    return;
  }
  CHECK_MESSAGE(r.ok(), r.describe());
}
