// Path traces (checks/path_tracer) through a real path: client - router 1 - router 2 - server,
// four network namespaces the test makes (tests/support/path_topology), with one fault at a
// time placed by nftables or a route. Each case asserts the verdict, the hop it points at and
// the hop at which the ICMP echo trace finds the host. Needs root; skipped otherwise.
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "checks/path_trace_once.hpp"
#include "tests/support/path_topology.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

using Node = PathTopology::Node;
constexpr int kPort = PathTopology::kServerPort;

struct Expected {
  PathVerdict verdict = PathVerdict::no_answer;
  std::optional<LastHop> last_hop;
  std::optional<int> host_hop;
};

TraceOptions quick(int max_hops = 8) {
  TraceOptions o;
  o.max_hops = max_hops;
  o.timeout = std::chrono::milliseconds(2500);
  return o;
}

std::string hop_text(const std::optional<LastHop>& hop) {
  return hop ? std::to_string(hop->ttl) + " " + hop->address : "none";
}

std::string hops_text(const std::vector<PathHop>& hops) {
  std::string out;
  for (const PathHop& h : hops) {
    out += "  " + std::to_string(h.ttl) + " " + std::string(to_string(h.reply)) + " " + h.code +
           " " + h.address + " " + std::to_string(h.answered) + "/" + std::to_string(h.sent) + "\n";
  }
  return out;
}

// Prints what differs and returns 1: the child's doctest substitute.
int check(const PathTrace& t, const Expected& e) {
  const PathFindings& f = t.findings;
  // Every probe goes out, even when an earlier one's answer comes back within the send.
  bool all_sent = t.echo_hops.size() == t.hops.size();
  for (const auto* hops : {&t.hops, &t.echo_hops})
    for (const PathHop& h : *hops)
      all_sent = all_sent && h.sent == 2;
  if (t.ran() && all_sent && f.verdict == e.verdict && f.last_hop == e.last_hop &&
      f.host_hop == e.host_hop && f.host_answers_ping == e.host_hop.has_value()) {
    return 0;
  }
  std::printf("FAILED: got %s last %s host_hop %d (%s)\nwanted %s last %s host_hop %d\n",
              std::string(to_string(f.verdict)).c_str(), hop_text(f.last_hop).c_str(),
              f.host_hop.value_or(0), path_sentence(t).c_str(),
              std::string(to_string(e.verdict)).c_str(), hop_text(e.last_hop).c_str(),
              e.host_hop.value_or(0));
  std::printf("tcp:\n%secho:\n%s", hops_text(t.hops).c_str(), hops_text(t.echo_hops).c_str());
  return 1;
}

// Builds the topology, lets `fault` place its fault, then runs `body`.
void in_topology(const std::function<bool(const PathTopology&)>& fault,
                 const std::function<int()>& body) {
  NetnsOptions options;
  options.timeout = std::chrono::seconds(60);
  NetnsResult result = run_in_netns(
      [&] {
        PathTopology topology;
        if (const std::string why = topology.build(); !why.empty()) {
          std::printf("FAILED: %s\n", why.c_str());
          return 1;
        }
        if (!fault(topology)) return 1;
        return body();
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

void expect_trace(const std::function<bool(const PathTopology&)>& fault, const std::string& address,
                  const Expected& e) {
  in_topology(fault, [&] { return check(trace_once(address, kPort, quick()), e); });
}

std::function<bool(const PathTopology&)> nft(Node node, const std::string& chain,
                                             const std::string& rule) {
  return [=](const PathTopology& t) { return t.run(node, PathTopology::nft_rule(chain, rule)); };
}

const std::string kDropPort = "tcp dport " + std::to_string(kPort) + " drop";

}  // namespace

TEST_CASE("path trace: no fault reaches the port at hop 3") {
  expect_trace([](const PathTopology&) { return true; }, PathTopology::kServer,
               {PathVerdict::reached, LastHop{3, PathTopology::kServer}, 3});
}

TEST_CASE("path trace: a drop at router 1 stops the SYNs after hop 1") {
  expect_trace(nft(Node::router1, "forward", kDropPort), PathTopology::kServer,
               {PathVerdict::dropped_after_hop, LastHop{1, PathTopology::kRouter1}, 3});
}

TEST_CASE("path trace: a drop at router 2 stops the SYNs after hop 2") {
  expect_trace(nft(Node::router2, "forward", kDropPort), PathTopology::kServer,
               {PathVerdict::dropped_after_hop, LastHop{2, PathTopology::kRouter2}, 3});
}

TEST_CASE("path trace: a drop at the server's input stops the SYNs after hop 2, ping reaches it") {
  expect_trace(nft(Node::server, "input", kDropPort), PathTopology::kServer,
               {PathVerdict::dropped_after_hop, LastHop{2, PathTopology::kRouter2}, 3});
}

TEST_CASE("path trace: router 2 answering net-unreachable is unreachable at hop 3") {
  const std::string rule =
      "tcp dport " + std::to_string(kPort) + " reject with icmp type net-unreachable";
  in_topology(nft(Node::router2, "forward", rule), [] {
    const PathTrace t = trace_once(PathTopology::kServer, kPort, quick());
    const int failed =
        check(t, {PathVerdict::unreachable_at_hop, LastHop{3, PathTopology::kRouter2}, 3});
    if (failed == 0 && t.findings.unreachable_code != "net-unreachable") {
      std::printf("FAILED: code %s\n", t.findings.unreachable_code.c_str());
      return 1;
    }
    return failed;
  });
}

TEST_CASE("path trace: an unreachable route at router 1 is unreachable at hop 1, no ping") {
  const auto fault = [](const PathTopology& t) {
    return t.run(Node::router1, "ip route del 10.31.3.0/24; ip route add unreachable 10.31.3.0/24");
  };
  expect_trace(fault, PathTopology::kServer,
               {PathVerdict::unreachable_at_hop, LastHop{1, PathTopology::kRouter1}, {}});
}

TEST_CASE("path trace: a drop in the client's own output chain is a local drop") {
  expect_trace(nft(Node::client, "output", kDropPort), PathTopology::kServer,
               {PathVerdict::local_drop, {}, 3});
}

TEST_CASE("path trace: nothing answers anything") {
  // Every packet to the server's network dies in router 1's forward chain, ICMP too, and
  // router 1 sends no time exceeded at all.
  const auto fault = [](const PathTopology& t) {
    return t.run(Node::router1, PathTopology::nft_rule("forward", "ip daddr 10.31.3.0/24 drop") +
                                    "; nft add chain inet fault out '{ type filter hook output "
                                    "priority 0; }'; nft add rule inet fault out icmp type "
                                    "time-exceeded drop");
  };
  expect_trace(fault, PathTopology::kServer, {PathVerdict::no_answer, {}, {}});
}

TEST_CASE("path trace: IPv6, a drop at router 2 stops the SYNs after hop 2") {
  expect_trace(nft(Node::router2, "forward", kDropPort), PathTopology::kServerV6,
               {PathVerdict::dropped_after_hop, LastHop{2, PathTopology::kRouter2v6}, 3});
}

TEST_CASE("path trace: IPv6, no fault reaches the port at hop 3") {
  expect_trace([](const PathTopology&) { return true; }, PathTopology::kServerV6,
               {PathVerdict::reached, LastHop{3, PathTopology::kServerV6}, 3});
}

TEST_CASE("path trace: a hop that answers one of two probes still gives the hop") {
  // Router 1 lets one time exceeded about a TCP segment out per minute (the inner IP header's
  // protocol byte, 17 bytes into the ICMP message, is 6): the other probe's answer is lost.
  const std::string rule =
      "icmp type time-exceeded @th,136,8 6 limit rate over 1/minute burst 1 packets drop";
  in_topology(nft(Node::router1, "output", rule), [] {
    const PathTrace t = trace_once(PathTopology::kServer, kPort, quick());
    int failed = check(t, {PathVerdict::reached, LastHop{3, PathTopology::kServer}, 3});
    const PathHop& hop1 = t.hops.at(0);
    if (hop1.address != PathTopology::kRouter1 || hop1.reply != HopReply::time_exceeded ||
        hop1.sent != 2 || hop1.answered != 1) {
      std::printf("FAILED: hop 1 %s", hops_text({hop1}).c_str());
      ++failed;
    }
    return failed;
  });
}

TEST_CASE("path trace: max_hops short of the server ends at the last hop traced") {
  in_topology([](const PathTopology&) { return true; },
              [] {
                const PathTrace t = trace_once(PathTopology::kServer, kPort, quick(2));
                int failed = check(
                    t, {PathVerdict::dropped_after_hop, LastHop{2, PathTopology::kRouter2}, {}});
                if (t.hops.size() != 2 || !t.findings.max_hops_reached) {
                  std::printf("FAILED: %zu hops, max_hops_reached %d\n", t.hops.size(),
                              t.findings.max_hops_reached);
                  ++failed;
                }
                return failed;
              });
}
