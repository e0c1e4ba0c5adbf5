#include "checks/path_advice.hpp"

namespace faultline {
namespace {

std::string hop_text(const LastHop& hop) {
  return hop.address + " (hop " + std::to_string(hop.ttl) + ")";
}

std::string dropped_advice(const PathFindings& f) {
  const LastHop& hop = *f.last_hop;
  std::string out = "SYNs to this port get no further than " + hop_text(hop) +
                    ": whatever comes next drops them, a firewall, a security group or ACL on "
                    "the way, or the host's own firewall. ";
  if (f.host_hop && *f.host_hop == hop.ttl + 1) {
    out +=
        "The host sits right after that hop and answers ping there: it is up, and its own "
        "firewall (or one in front of it) drops this port; check its input rules and that "
        "the service listens.";
  } else if (f.host_hop) {
    out += "The host answers ping at hop " + std::to_string(*f.host_hop) +
           ", so the path works for ICMP: look for a rule that drops this port between hop " +
           std::to_string(hop.ttl) + " and the host.";
  } else if (f.max_hops_reached) {
    out = "The SYNs still travel at " + hop_text(hop) +
          ", the last hop traced: the path is longer than max_hops, or loops.";
  } else {
    out +=
        "The host does not answer ping either: it may be down, or everything to it is "
        "dropped after " +
        hop.address + "; ask whoever runs the network past it.";
  }
  return out;
}

}  // namespace

std::string path_advice(const PathTrace& trace) {
  if (!trace.ran()) return {};
  const PathFindings& f = trace.findings;
  switch (f.verdict) {
    case PathVerdict::dropped_after_hop:
      return dropped_advice(f);
    case PathVerdict::local_drop:
      return "This host's own firewall drops the SYNs: not even the first router sees them, "
             "though it answers ping. Check the output rules (nft list ruleset, iptables -S "
             "OUTPUT) and any egress policy for this port.";
    case PathVerdict::unreachable_at_hop:
      return hop_text(*f.last_hop) + " answers " + unreachable_code_words(f.unreachable_code) +
             ": a route or a reject rule there sends packets for the target back. Check its "
             "routing table and firewall for the target's network.";
    case PathVerdict::reached:
      return "The port answers the trace now: the failure was transient (a brief outage, a "
             "full accept queue, lost packets) or is over. Watch whether it comes back.";
    case PathVerdict::no_answer:
      return "Nothing on the path answers the SYNs, not even the first router: check this "
             "host's network, its default route and gateway, and whether the routers on the "
             "way send ICMP at all.";
  }
  return {};
}

}  // namespace faultline
