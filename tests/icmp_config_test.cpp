// The keys of icmp:// targets in the config: count, packet_interval and min_replies, their
// defaults, their limits, their use on other kinds and their clash with the timeout, each an
// error at its file:line:col.
#include <doctest/doctest.h>

#include <string>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("config: icmp:// targets read count, packet_interval and min_replies") {
  ConfigLoad load = parse_config(
      "targets:\n"
      "  - name: gw\n"
      "    url: icmp://192.0.2.1\n"
      "  - name: core\n"
      "    url: icmp://[2001:db8::1]\n"
      "    count: 10\n"
      "    packet_interval: 50ms\n"
      "    min_replies: 8\n",
      "t.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config);
  REQUIRE(load.config->targets.size() == 2);
  CHECK(load.config->targets[0].probe.icmp == IcmpOptions{});
  CHECK(load.config->targets[0].probe.icmp.count == 3);
  CHECK(load.config->targets[0].probe.icmp.packet_interval == std::chrono::milliseconds(200));
  CHECK(load.config->targets[0].probe.icmp.min_replies == 1);
  const IcmpOptions& core = load.config->targets[1].probe.icmp;
  CHECK(core.count == 10);
  CHECK(core.packet_interval == std::chrono::milliseconds(50));
  CHECK(core.min_replies == 8);
}

TEST_CASE("config error: icmp keys out of range, on other kinds, or beyond the timeout") {
  const std::string head = "targets:\n  - name: gw\n    url: icmp://192.0.2.1\n";
  CHECK(error_of(head + "    count: 0\n") ==
        "t.yaml:4:12: 'count' must be a whole number from 1 to 100, not '0'");
  CHECK(error_of(head + "    count: 101\n") ==
        "t.yaml:4:12: 'count' must be a whole number from 1 to 100, not '101'");
  CHECK(
      error_of(head + "    packet_interval: 1ms\n").starts_with("t.yaml:4:22: 'packet_interval'"));
  CHECK(error_of(head + "    count: 2\n    min_replies: 3\n") ==
        "t.yaml:5:5: target 'gw': min_replies 3 is more than the 2 requests of count");
  CHECK(error_of(head + "    timeout: 1s\n    count: 6\n    packet_interval: 200ms\n") ==
        "t.yaml:6:5: target 'gw': 6 requests 200ms apart (count, packet_interval) need 1s "
        "before the last leaves, which the timeout 1s does not allow: lower one or raise the "
        "timeout");
  CHECK(error_of("targets:\n  - name: web\n    url: http://192.0.2.1/\n    count: 3\n") ==
        "t.yaml:4:5: 'count' only applies to icmp:// targets, and 'web' is http://");
  CHECK(error_of(head + "    send: PING\n") ==
        "t.yaml:4:5: 'send' only applies to tcp:// and tls:// targets, and 'gw' is icmp://");
}
