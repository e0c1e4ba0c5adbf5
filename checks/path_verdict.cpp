#include "checks/path_verdict.hpp"

#include <algorithm>
#include <iterator>

namespace faultline {
namespace {

bool port_answered(const PathHop& hop) {
  return hop.reply == HopReply::syn_ack || hop.reply == HopReply::rst;
}

const PathHop* nearest(const std::vector<PathHop>& hops, bool (*pred)(const PathHop&)) {
  const auto it = std::find_if(hops.begin(), hops.end(), pred);
  return it == hops.end() ? nullptr : &*it;
}

LastHop hop_of(const PathHop& hop) {
  return {hop.ttl, hop.address};
}

// The TCP side of the verdict; local_drop and no_answer are told apart by the caller.
void judge_tcp(const std::vector<PathHop>& tcp, PathFindings& out) {
  if (const PathHop* hop = nearest(tcp, port_answered)) {
    out.verdict = PathVerdict::reached;
    out.last_hop = hop_of(*hop);
    return;
  }
  if (const PathHop* hop =
          nearest(tcp, [](const PathHop& h) { return h.reply == HopReply::unreachable; })) {
    out.verdict = PathVerdict::unreachable_at_hop;
    out.last_hop = hop_of(*hop);
    out.unreachable_code = hop->code;
    return;
  }
  // A hop that lost its answers to rate limiting does not end the path: the farthest answer
  // does.
  const auto farthest =
      std::find_if(tcp.rbegin(), tcp.rend(), [](const PathHop& h) { return h.answered_any(); });
  if (farthest != tcp.rend()) {
    out.verdict = PathVerdict::dropped_after_hop;
    out.last_hop = hop_of(*farthest);
    out.max_hops_reached = farthest == tcp.rbegin();
  }
}

}  // namespace

std::string_view to_string(PathVerdict verdict) {
  return kPathVerdictNames[static_cast<int>(verdict)];
}

std::optional<PathVerdict> path_verdict_from_string(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kPathVerdictNames); ++i)
    if (kPathVerdictNames[i] == text) return static_cast<PathVerdict>(i);
  return std::nullopt;
}

PathFindings judge_path(const std::vector<PathHop>& tcp, const std::vector<PathHop>& echo) {
  PathFindings out;
  if (const PathHop* hop =
          nearest(echo, [](const PathHop& h) { return h.reply == HopReply::echo_reply; })) {
    out.host_answers_ping = true;
    out.host_hop = hop->ttl;
  }
  judge_tcp(tcp, out);
  if (out.last_hop) return out;
  // Silence on every TCP hop. If a router at hop 1 answers the echo trace, packets do leave this
  // host; only the SYNs do not. When hop 1 is the host itself, its silence and a drop here look
  // alike: no verdict can say which.
  const bool hop1_router =
      !echo.empty() && echo.front().answered_any() && echo.front().reply != HopReply::echo_reply;
  out.verdict = hop1_router ? PathVerdict::local_drop : PathVerdict::no_answer;
  return out;
}

}  // namespace faultline
