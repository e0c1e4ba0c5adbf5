// `faultline run` with icmp:// targets, end to end: the daemon pings through the registry like
// any other kind, the metrics carry loss and RTT, and a failure lands in SQLite as the usual
// row with the kind `icmp`. Inside a namespace of the test's own (ping sockets allowed there,
// and an `unreachable` route for the failing target). Needs root; skipped otherwise.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "storage_test_support.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline::testing;

namespace {

int run_daemon() {
  TempDir dir;
  const int port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string config = dir.write(
      "faultline.yaml",
      "storage: {path: " + db + "}\n" + "metrics: {listen: 127.0.0.1:" + std::to_string(port) +
          "}\n" + "defaults: {interval: 500ms, timeout: 400ms, failure_threshold: 1}\n" +
          "targets:\n"
          "  - name: lo\n    url: icmp://127.0.0.1\n    count: 2\n    packet_interval: 20ms\n"
          "  - name: lo6\n    url: icmp://[::1]\n"
          "  - name: nowhere\n    url: icmp://10.8.8.8\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  std::vector<Sample> s;
  const auto scraped = [&](const char* name, const SampleLabels& labels) {
    return value_of(s, name, labels).value_or(-1);
  };
  const bool seen = eventually(
      [&] {
        HttpResponse r = http_get(port);
        if (r.status != 200) return false;
        s = parse_exposition(r.body);
        return scraped("faultline_probes_total", {{"target", "lo"}, {"class", "ok"}}) >= 2 &&
               scraped("faultline_probes_total", {{"target", "lo6"}, {"class", "ok"}}) >= 1 &&
               scraped("faultline_probes_total",
                       {{"target", "nowhere"}, {"class", "unreachable"}}) >= 1;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(100));
  int failures = 0;
  if (!seen) {
    std::printf("FAILED: the probes never showed in the metrics\n%s\n", daemon.output().c_str());
    return 1;
  }
  const double rtt = scraped("faultline_icmp_rtt_seconds", {{"target", "lo"}});
  if (!(rtt > 0 && rtt < 1) ||
      scraped("faultline_icmp_packet_loss_ratio", {{"target", "lo"}}) != 0 ||
      scraped("faultline_target_up", {{"target", "nowhere"}}) != 0) {
    std::printf("FAILED: icmp metrics: rtt %g\n", rtt);
    ++failures;
  }
  daemon.signal(SIGTERM);
  if (daemon.wait(std::chrono::seconds(20)) != 0) {
    std::printf("FAILED: the daemon did not stop cleanly\n%s\n", daemon.output().c_str());
    return failures + 1;
  }
  const std::string row =
      query_row(db,
                "SELECT t.kind, f.class, f.phase, f.errno, f.remote_addr FROM failures f "
                "JOIN targets t ON t.id = f.target_id WHERE t.name = 'nowhere' LIMIT 1");
  if (row != "icmp|unreachable|connect|EHOSTUNREACH|10.8.8.8") {
    std::printf("FAILED: the failure row is '%s'\n", row.c_str());
    ++failures;
  }
  return failures;
}

}  // namespace

TEST_CASE("icmp: faultline run pings, exports loss and RTT, and stores the failure row") {
  NetnsOptions options;
  options.setup_commands = {"sysctl -qw net.ipv4.ping_group_range='0 2147483647'",
                            "ip route add unreachable 10.8.8.0/24"};
  options.timeout = std::chrono::seconds(60);
  NetnsResult result = run_in_netns(run_daemon, options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
