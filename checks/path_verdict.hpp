// The verdict of a path trace: where packets to the target's port stop, judged from the hops of
// the TCP trace (SYNs to the port) and of the ICMP echo trace (echo requests to the address).
// A closed vocabulary: the same strings are the metric label values, the SQLite column values
// and the JSON values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/path_hop.hpp"

namespace faultline {

enum class PathVerdict {
  // TCP probes to the port get answers (time exceeded) up to a hop and silence beyond it.
  dropped_after_hop,
  // No TCP probe gets any answer, not even hop 1's time exceeded, while a router at hop 1
  // answers the echo trace: the SYNs never leave this host (its own firewall).
  local_drop,
  // A router (or the host) answered destination unreachable.
  unreachable_at_hop,
  // The port answered (SYN-ACK or RST): the path works now.
  reached,
  // Nothing answers the SYNs, and no router at hop 1 answers the echo trace (the host may still
  // answer ping: host_hop).
  no_answer,
};

inline constexpr std::string_view kPathVerdictNames[] = {
    "dropped_after_hop", "local_drop", "unreachable_at_hop", "reached", "no_answer"};

// "dropped_after_hop", "local_drop", ...
std::string_view to_string(PathVerdict verdict);

// The verdict named `text`, or nullopt.
std::optional<PathVerdict> path_verdict_from_string(std::string_view text);

// The hop a verdict points at.
struct LastHop {
  int ttl = 0;
  std::string address;

  bool operator==(const LastHop&) const = default;
};

struct PathFindings {
  PathVerdict verdict = PathVerdict::no_answer;
  // dropped_after_hop: the farthest hop that answered; unreachable_at_hop: the nearest hop that
  // answered unreachable; reached: the nearest hop where the port answered; else nullopt.
  std::optional<LastHop> last_hop;
  std::string unreachable_code;    // unreachable_at_hop: the code's name (PathHop::code)
  bool host_answers_ping = false;  // an echo reply came from the target
  std::optional<int> host_hop;     // the nearest TTL whose echo request the target answered
  // dropped_after_hop with the farthest answer at the last TTL traced: the path may just be
  // longer than max_hops.
  bool max_hops_reached = false;

  bool operator==(const PathFindings&) const = default;
};

// Judges `tcp` and `echo` (hops by TTL, 1 first; `echo` empty when the echo trace could not
// run). Never fails: without any answer the verdict is no_answer.
PathFindings judge_path(const std::vector<PathHop>& tcp, const std::vector<PathHop>& echo);

}  // namespace faultline
