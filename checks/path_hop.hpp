// One hop of a path trace: the TTL (hop limit) a probe was sent with and what came back from
// the path for it. A hop of the TCP trace answers with what the network makes of a SYN whose
// TTL runs out there; a hop of the ICMP echo trace with what it makes of an echo request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// What came back for a hop's probes (the first answer of any of them).
enum class HopReply {
  none,           // nothing before the trace's deadline
  time_exceeded,  // a router where the TTL ran out (ICMP type 11 / ICMPv6 type 3)
  unreachable,    // destination unreachable (ICMP type 3 / ICMPv6 type 1): see PathHop::code
  syn_ack,        // the target's port accepted the SYN
  rst,            // the target's port refused it
  echo_reply,     // the target answered the echo request (ICMP echo trace only)
};

// "none", "time_exceeded", "unreachable", "syn_ack", "rst", "echo_reply".
std::string_view to_string(HopReply reply);

struct PathHop {
  int ttl = 0;
  std::string address;  // numeric address that answered; "" for none
  HopReply reply = HopReply::none;
  // unreachable: the code's name as nftables spells it ("net-unreachable", "admin-prohibited",
  // IPv6 "no-route", "addr-unreachable"; "code-<n>" for others); "" otherwise.
  std::string code;
  std::optional<double> rtt_ms;  // probe sent to first answer
  int sent = 0;                  // probes sent with this TTL
  int answered = 0;              // of them, those that got any answer

  bool answered_any() const { return answered > 0; }
  bool operator==(const PathHop&) const = default;
};

// The nftables name of destination-unreachable `code` for `family` (AF_INET: ICMP codes,
// AF_INET6: ICMPv6 codes); "code-<n>" for a code without one.
std::string unreachable_code_name(int family, int code);

// "net unreachable" for "net-unreachable": the code's name for a sentence.
std::string unreachable_code_words(std::string_view code);

// Whether a trace whose hops are `hops` (by TTL) has learnt all it will: every probe is
// resolved (`pending[i]` counts hops[i]'s probes still waiting), or some hop got a `terminal`
// answer and every nearer hop has an answer or nothing pending.
bool path_settled(const std::vector<PathHop>& hops, const std::vector<int>& pending,
                  bool (*terminal)(const PathHop&));

}  // namespace faultline
