// `faultline check icmp://HOST`: the PING line, the --json `icmp` object and the icmp options,
// from the real binary. Ping sockets need a namespace whose ping_group_range the test opens,
// so the probing cases run the binary (popen) inside one; bad options fail before probing.
#include <doctest/doctest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/faultline_cli.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline::testing;

namespace {

// What `faultline ARGS` printed on stdout; `status` gets its exit status.
std::string run_binary(const std::string& args, int& status) {
  const std::string command = std::string("'") + FAULTLINE_BINARY + "' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
    out.append(buf, n);
  const int raw = pclose(pipe);
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

int fail(const std::string& what, const std::string& output) {
  std::printf("FAILED %s:\n%s\n", what.c_str(), output.c_str());
  return 1;
}

}  // namespace

TEST_CASE("check icmp: the PING line with sent, received and the RTTs, and --json icmp") {
  NetnsOptions options;
  options.setup_commands = {"sysctl -qw net.ipv4.ping_group_range='0 2147483647'"};
  NetnsResult result = run_in_netns(
      [] {
        int failures = 0;
        int status = -1;
        const std::string text =
            run_binary("check icmp://127.0.0.1 --count 2 --packet-interval 20ms", status);
        if (status != 0 ||
            text.find("PING 127.0.0.1: 2 sent, 2 received, rtt min/avg/max ") ==
                std::string::npos ||
            text.find("OK  2 of 2 echo requests to 127.0.0.1 answered, total") ==
                std::string::npos) {
          failures += fail("text report, status " + std::to_string(status), text);
        }
        const std::string out = run_binary("check --json icmp://[::1] --count 4", status);
        const auto j = nlohmann::json::parse(out, nullptr, false);
        const bool good = status == 0 && j.is_object() && j["class"] == "ok" &&
                          j["icmp"]["address"] == "::1" && j["icmp"]["sent"] == 4 &&
                          j["icmp"]["received"] == 4 && j["icmp"]["errors"] == 0 &&
                          j["icmp"]["loss_ratio"] == 0.0 && j["icmp"]["rtt_avg_ms"].is_number() &&
                          j["timings"]["connect_ms"] == j["icmp"]["rtt_avg_ms"];
        if (!good) failures += fail("--json, status " + std::to_string(status), out);
        return failures;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

TEST_CASE("check icmp: a forbidden ping socket fails as local, with the sysctl to allow it") {
  NetnsOptions options;
  options.setup_commands = {"sysctl -qw net.ipv4.ping_group_range='1 0'"};
  NetnsResult result = run_in_netns(
      [] {
        int status = -1;
        const std::string text = run_binary("check icmp://127.0.0.1", status);
        if (status != 1 || text.find("FAIL  PING") == std::string::npos ||
            text.find("local (phase connect) EACCES") == std::string::npos ||
            text.find("net.ipv4.ping_group_range") == std::string::npos ||
            text.find("What to check: No echo request left this host") == std::string::npos) {
          return fail("status " + std::to_string(status), text);
        }
        return 0;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

TEST_CASE("check icmp: options checked before anything is sent") {
  Run r = run_faultline({"check", "--count", "3", "tcp://127.0.0.1:1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--count, --packet-interval and --min-replies only apply to icmp:// "
                      "targets") != std::string::npos);
  r = run_faultline({"check", "--count", "0", "icmp://127.0.0.1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--count must be a whole number from 1 to 100") != std::string::npos);
  r = run_faultline({"check", "--count", "2", "--min-replies", "3", "icmp://127.0.0.1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--min-replies 3 is more than the 2 requests of --count") !=
        std::string::npos);
  r = run_faultline({"check", "--timeout", "1s", "--count", "11", "--packet-interval", "100ms",
                     "icmp://127.0.0.1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("which the timeout 1s does not allow") != std::string::npos);
}
