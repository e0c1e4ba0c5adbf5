// ChildProcess runs the daemon in many tests; these pin what those tests rely on: exit codes,
// deaths by signal, the descriptor limit, and a clear error when the program cannot start.
#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using faultline::testing::ChildProcess;
using faultline::testing::TempDir;
using std::chrono::seconds;

TEST_CASE("child process: exit status, output, and death by signal") {
  TempDir dir("child");
  ChildProcess exits({"/bin/sh", "-c", "echo out; echo err >&2; read line; exit 3"}, {},
                     dir.file("exits"));
  REQUIRE(exits.wait(seconds(10)) == 3);  // stdin is /dev/null: `read` does not wait
  CHECK(exits.output() == "out\nerr\n");

  ChildProcess sleeps({"/bin/sleep", "30"}, {}, dir.file("sleeps"));
  CHECK(!sleeps.wait(std::chrono::milliseconds(50)));
  sleeps.signal(SIGTERM);
  CHECK(sleeps.wait(seconds(10)) == 128 + SIGTERM);
}

TEST_CASE("child process: extra environment, and the descriptor limit set soft and hard") {
  TempDir dir("child");
  ChildProcess p({"/bin/sh", "-c", "echo \"$EXTRA\"; ulimit -Sn; ulimit -Hn"}, {"EXTRA=yes"},
                 dir.file("out"), 77);
  REQUIRE(p.wait(seconds(10)) == 0);
  CHECK(p.output() == "yes\n77\n77\n");
}

TEST_CASE("child process: a program that cannot start throws, naming it") {
  TempDir dir("child");
  try {
    ChildProcess p({dir.file("no-such-program")}, {}, dir.file("out"));
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
    CHECK(std::string(e.what()).find("no-such-program") != std::string::npos);
  }
}
