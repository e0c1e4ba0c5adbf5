// icmp:// probes against real ping sockets. A fresh network namespace forbids unprivileged ICMP
// sockets (net.ipv4.ping_group_range starts at "1 0" there), so every case runs in a namespace
// of its own and opens the range itself, except the one that checks the `local` verdict. The
// "router" is a second namespace joined by a veth pair, with an `unreachable` route, so its
// host-unreachable comes back through the socket's error queue. Needs root; skipped otherwise.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr const char* kOpenPingRange = "sysctl -qw net.ipv4.ping_group_range='0 2147483647'";

// The client (this namespace) 10.9.9.1 on v0; a router namespace 10.9.9.2 on v1 with
// forwarding on and `unreachable 10.7.7.0/24`; 10.7.7.0/24 routed through it; 10.9.9.9 a
// neighbour whose frames nobody takes (silence); 10.8.8.0/24 an `unreachable` route of the
// client itself. The router is a `sleep` in its own namespace, killed with the child's group.
NetnsOptions router_topology() {
  NetnsOptions o;
  o.setup_commands = {
      kOpenPingRange,
      "ip link add v0 type veth peer name v1",
      "unshare -n sleep 120 & P=$!; "
      "until [ \"$(readlink /proc/$P/ns/net)\" != \"$(readlink /proc/self/ns/net)\" ]; do "
      "sleep 0.01; done; ip link set v1 netns $P; "
      "nsenter -t $P -n sh -ec 'ip link set lo up; ip addr add 10.9.9.2/24 dev v1; "
      "ip link set v1 up; sysctl -qw net.ipv4.ip_forward=1; "
      "ip route add unreachable 10.7.7.0/24'",
      "ip addr add 10.9.9.1/24 dev v0 && ip link set v0 up",
      "ip route add 10.7.7.0/24 via 10.9.9.2",
      "ip neigh add 10.9.9.9 lladdr 02:00:00:00:00:09 dev v0",
      "ip route add unreachable 10.8.8.0/24",
      // IPv6: this host's own firewall answers fd00:9::7 with address-unreachable, which the
      // kernel (unlike IPv4's) lets out of sendto and queues on the socket.
      "ip -6 addr add fd00:9::1/64 dev v0 nodad",
      "nft add table inet t && nft add chain inet t out '{ type filter hook output priority 0; }'"
      " && nft add rule inet t out ip6 daddr fd00:9::7 reject with icmpv6 type addr-unreachable",
  };
  return o;
}

ProbeResult ping(const std::string& url, int timeout_ms, IcmpOptions icmp = {},
                 IpFamily family = IpFamily::any) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = std::chrono::milliseconds(timeout_ms);
  spec->icmp = icmp;
  spec->ip_family = family;
  return probe_once(spec);
}

// Prints `what` and the result and returns 1 unless `ok`: the child's doctest substitute.
int expect(bool ok, const std::string& what, const ProbeResult& r) {
  if (ok) return 0;
  std::printf("FAILED %s: got %s/%s (%s) sent %d received %d errors %d\n", what.c_str(),
              std::string(to_string(r.cls)).c_str(), std::string(to_string(r.phase)).c_str(),
              r.message.c_str(), r.icmp ? r.icmp->sent : -1, r.icmp ? r.icmp->received : -1,
              r.icmp ? r.icmp->errors : -1);
  return 1;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every reply counted, the RTTs ordered, the average the connect layer.
int expect_all_answered(const std::string& url, const std::string& address, int count,
                        IpFamily family = IpFamily::any) {
  IcmpOptions o;
  o.count = count;
  o.packet_interval = std::chrono::milliseconds(50);
  const ProbeResult r = ping(url, 4000, o, family);
  const bool stats = r.icmp && r.icmp->sent == count && r.icmp->received == count &&
                     r.icmp->errors == 0 && r.icmp->address == address && r.icmp->min_ms &&
                     r.icmp->avg_ms && r.icmp->max_ms && *r.icmp->min_ms <= *r.icmp->avg_ms &&
                     *r.icmp->avg_ms <= *r.icmp->max_ms && *r.icmp->max_ms < 1000;
  // count requests 50 ms apart take at least (count - 1) * 50 ms; a generous floor.
  const bool paced = r.timings.total_ms && *r.timings.total_ms >= (count - 1) * 50 - 5;
  return expect(r.ok() && stats && paced && r.timings.connect_ms == r.icmp->avg_ms &&
                    r.remote_addr == address,
                url + " answered every request", r);
}

void run(const std::function<int()>& fn, const NetnsOptions& options) {
  NetnsResult result = run_in_netns(fn, options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

}  // namespace

TEST_CASE("icmp: 127.0.0.1, ::1 and a name answer every request") {
  // The name comes from a fake DNS server in the namespace, not /etc/hosts: a fresh machine may
  // have no hosts file at all.
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: dns\n";
  options.setup_commands = {kOpenPingRange};
  run(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        dns.a("ping.test", "127.0.0.1");
        int failures = 0;
        failures += expect_all_answered("icmp://127.0.0.1", "127.0.0.1", 3);
        failures += expect_all_answered("icmp://[::1]", "::1", 5);
        failures += expect_all_answered("icmp://ping.test", "127.0.0.1", 1, IpFamily::ipv4);
        // A spec built by hand, past the limits config and check enforce: kept within them.
        IcmpOptions none;
        none.count = 0;
        const ProbeResult one = ping("icmp://127.0.0.1", 2000, none);
        failures += expect(one.ok() && one.icmp && one.icmp->sent == 1, "count 0 sends one", one);
        const ProbeResult no_v6 = ping("icmp://ping.test", 2000, {}, IpFamily::ipv6);
        failures += expect(no_v6.cls == FailureClass::dns && no_v6.detail == Detail::no_address,
                           "ping.test has no IPv6 address", no_v6);
        return failures;
      },
      options);
}

TEST_CASE("icmp: a host that drops every request is a timeout after the deadline") {
  run(
      [] {
        IcmpOptions o;
        o.count = 2;
        o.packet_interval = std::chrono::milliseconds(100);
        const ProbeResult r = ping("icmp://10.9.9.9", 800, o);
        const bool counted = r.icmp && r.icmp->sent == 2 && r.icmp->received == 0 &&
                             !r.icmp->avg_ms && !r.timings.connect_ms;
        return expect(r.cls == FailureClass::timeout && r.phase == Phase::connect && counted &&
                          *r.timings.total_ms >= 790 &&
                          contains(r.message, "no echo reply from 10.9.9.9 to 2 requests"),
                      "silent neighbour", r);
      },
      router_topology());
}

TEST_CASE("icmp: a router's host-unreachable names the code and the router") {
  run(
      [] {
        const ProbeResult r = ping("icmp://10.7.7.7", 1500);
        // Routers rate-limit their ICMP errors: not every request need get one.
        const bool counted = r.icmp && r.icmp->sent == 3 && r.icmp->received == 0 &&
                             r.icmp->errors >= 1 && r.icmp->errors <= 3;
        return expect(r.cls == FailureClass::unreachable && r.phase == Phase::connect && counted &&
                          r.sys_errno == EHOSTUNREACH &&
                          contains(r.message, "host unreachable (ICMP 3/1) by 10.9.9.2") &&
                          contains(r.message, "0 of 3 requests answered"),
                      "router with an unreachable route", r);
      },
      router_topology());
}

TEST_CASE("icmp: an ICMPv6 address-unreachable comes back through the error queue too") {
  run(
      [] {
        const ProbeResult r = ping("icmp://[fd00:9::7]", 1500);
        return expect(r.cls == FailureClass::unreachable && r.icmp && r.icmp->errors >= 1 &&
                          r.icmp->received == 0 &&
                          contains(r.message, "address unreachable (ICMPv6 1/3) by fd00:9::1"),
                      "IPv6 reject", r);
      },
      router_topology());
}

TEST_CASE("icmp: an unreachable route of this host fails the first request at once") {
  run(
      [] {
        const ProbeResult r = ping("icmp://10.8.8.8", 4000);
        return expect(r.cls == FailureClass::unreachable && r.sys_errno == EHOSTUNREACH && r.icmp &&
                          r.icmp->sent == 0 && contains(r.message, "ip route get"),
                      "local unreachable route", r);
      },
      router_topology());
}

TEST_CASE("icmp: a socket ping_group_range forbids is local, and says how to allow it") {
  NetnsOptions options;
  options.setup_commands = {"sysctl -qw net.ipv4.ping_group_range='1 0'"};
  run(
      [] {
        int failures = 0;
        for (const char* url : {"icmp://127.0.0.1", "icmp://[::1]"}) {
          const ProbeResult r = ping(url, 2000);
          failures += expect(
              r.cls == FailureClass::local && r.sys_errno == EACCES &&
                  contains(r.message, "net.ipv4.ping_group_range") &&
                  contains(r.message, "sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
              std::string(url) + " with ping sockets forbidden", r);
        }
        return failures;
      },
      options);
}

TEST_CASE("icmp: replies lost on the way count against min_replies, not the probe's end") {
  NetnsOptions options;
  // Every other echo reply to 127.0.0.1 is dropped on its way in.
  options.setup_commands = {
      kOpenPingRange,
      "nft add table ip t && nft add chain ip t in '{ type filter hook input priority 0; }' && "
      "nft add rule ip t in icmp type echo-reply numgen inc mod 2 == 0 drop"};
  run(
      [] {
        int failures = 0;
        IcmpOptions o;
        o.count = 4;
        o.packet_interval = std::chrono::milliseconds(20);
        o.min_replies = 2;
        const ProbeResult enough = ping("icmp://127.0.0.1", 600, o);
        failures += expect(enough.ok() && enough.icmp && enough.icmp->sent == 4 &&
                               enough.icmp->received == 2 && enough.icmp->loss_ratio() == 0.5 &&
                               enough.message == "2 of 4 echo requests to 127.0.0.1 answered",
                           "2 of 4 with min_replies 2", enough);
        o.min_replies = 3;
        const ProbeResult too_few = ping("icmp://127.0.0.1", 600, o);
        failures += expect(too_few.cls == FailureClass::timeout && too_few.icmp &&
                               too_few.icmp->received == 2 &&
                               contains(too_few.message, "only 2 of 4 echo requests") &&
                               contains(too_few.message, "min_replies is 3"),
                           "2 of 4 with min_replies 3", too_few);
        return failures;
      },
      options);
}
