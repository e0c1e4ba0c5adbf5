// `faultline run` traces the path of a target that goes down, end to end (issue 20): in the
// client namespace of tests/support/path_topology with router 2 dropping the port, the DOWN
// line carries the verdict, the metrics and the database have it, and the target is traced
// once however often it fails within trace_interval. Needs root; skipped otherwise.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "storage_test_support.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/path_topology.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline::testing;

namespace {

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

int run_daemon() {
  PathTopology topology;
  if (const std::string why = topology.build(); !why.empty()) {
    std::printf("FAILED: %s\n", why.c_str());
    return 1;
  }
  if (!topology.run(PathTopology::Node::router2,
                    PathTopology::nft_rule("forward", "tcp dport 8443 drop"))) {
    return 1;
  }
  TempDir dir;
  const int port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string config =
      dir.write("faultline.yaml",
                "storage: {path: " + db + "}\nmetrics: {listen: 127.0.0.1:" + std::to_string(port) +
                    "}\nengine: {trace_interval: 1h}\n"
                    "defaults: {interval: 500ms, timeout: 400ms, failure_threshold: 1}\n"
                    "targets:\n  - name: api\n    url: tcp://10.31.3.2:8443\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  std::vector<Sample> s;
  const bool traced = eventually(
      [&] {
        HttpResponse r = http_get(port);
        if (r.status != 200) return false;
        s = parse_exposition(r.body);
        return value_of(s, "faultline_path_verdict",
                        {{"target", "api"}, {"verdict", "dropped_after_hop"}}) == 1.0;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100));
  if (!traced) {
    std::printf("FAILED: no trace in the metrics\n%s\n", daemon.output().c_str());
    return 1;
  }
  int failures = 0;
  if (value_of(s, "faultline_path_last_responding_hop", {{"target", "api"}}) != 2.0) {
    std::printf("FAILED: last responding hop\n");
    ++failures;
  }
  // More failures within trace_interval: no second trace.
  const auto probes = [&] {
    HttpResponse r = http_get(port);
    return value_of(parse_exposition(r.body), "faultline_probes_total",
                    {{"target", "api"}, {"class", "timeout"}})
        .value_or(0);
  };
  const double before = probes();
  eventually([&] { return probes() >= before + 4; }, std::chrono::seconds(10),
             std::chrono::milliseconds(100));
  daemon.signal(SIGTERM);
  if (daemon.wait(std::chrono::seconds(20)) != 0) {
    std::printf("FAILED: the daemon did not stop cleanly\n%s\n", daemon.output().c_str());
    return failures + 1;
  }
  const std::string log = daemon.output();
  // The one DOWN line, with the probe's message and then the verdict.
  const auto at = log.find("is DOWN");
  const std::string line = at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
  if (occurrences(log, "is DOWN") != 1 ||
      line.find("is DOWN after 1 failures: timeout during connect: no answer to the TCP "
                "handshake from 10.31.3.2:8443 within ") != 0 ||
      line.find("; packets to port 8443 stop after hop 2 (10.31.2.2); the host answers ping at "
                "hop 3") == std::string::npos) {
    std::printf("FAILED: the DOWN line\n%s\n", log.c_str());
    ++failures;
  }
  const std::string row =
      query_row(db,
                "SELECT count(*), max(verdict), max(last_hop_ttl), max(last_hop_address), "
                "max(host_hop) FROM path_report WHERE target = 'api'");
  if (row != "1|dropped_after_hop|2|10.31.2.2|3") {
    std::printf("FAILED: path_report '%s'\n%s\n", row.c_str(), log.c_str());
    ++failures;
  }
  return failures;
}

}  // namespace

TEST_CASE("path trace: faultline run traces a target that goes down, once per trace_interval") {
  NetnsOptions options;
  options.timeout = std::chrono::seconds(90);
  NetnsResult result = run_in_netns(run_daemon, options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
