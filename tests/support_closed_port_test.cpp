#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>

#include "tests/support/closed_port.hpp"
#include "tests/support/tcp_client.hpp"

using namespace std::chrono_literals;
using faultline::testing::closed_port;
using faultline::testing::connect_tcp;

TEST_CASE("closed_port: a plain connect is refused") {
  auto port = closed_port();
  CHECK(port != 0);
  auto c = connect_tcp("127.0.0.1", port, 2s);
  CHECK_FALSE(c.timed_out);
  CHECK(c.error == ECONNREFUSED);
}

TEST_CASE("closed_port: works on ::1 too") {
  auto port = closed_port("::1");
  auto c = connect_tcp("::1", port, 2s);
  CHECK_FALSE(c.timed_out);
  CHECK(c.error == ECONNREFUSED);
}
