#include "checks/path_echo_probes.hpp"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

bool terminal(const PathHop& hop) {
  return hop.reply == HopReply::echo_reply || hop.reply == HopReply::unreachable;
}

}  // namespace

PathEchoProbes::PathEchoProbes(uv_loop_t* loop, std::function<void()> on_change)
    : socket_(loop), on_change_(std::move(on_change)) {}

int PathEchoProbes::start(const IcmpAddress& to, int max_hops, int probes) {
  const int err = socket_.open(to.family(), [this](const IcmpMessage& m) { on_message(m); });
  if (err != 0) return err;
  probes_ = probes;
  hops_.resize(static_cast<std::size_t>(max_hops));
  pending_.assign(static_cast<std::size_t>(max_hops), 0);
  const auto requests = static_cast<std::size_t>(max_hops) * static_cast<std::size_t>(probes);
  sent_at_.resize(requests);
  done_.assign(requests, true);
  // Sequence numbers 1 .. max_hops * probes, TTL by TTL: the TTL is read at each send.
  for (int ttl = 1; ttl <= max_hops; ++ttl) {
    PathHop& hop = hops_[static_cast<std::size_t>(ttl - 1)];
    hop.ttl = ttl;
    if (socket_.set_hop_limit(ttl) != 0) continue;
    for (int n = 0; n < probes; ++n) {
      const int index = (ttl - 1) * probes + n;
      const auto sequence = static_cast<std::uint16_t>(index + 1);
      if (!send(to, sequence)) continue;
      ++hop.sent;
      ++pending_[static_cast<std::size_t>(ttl - 1)];
      sent_at_[static_cast<std::size_t>(index)] = Clock::now();
      done_[static_cast<std::size_t>(index)] = false;
    }
  }
  return 0;
}

// An ICMP error about an earlier request (it can come back within the sendto of the next one
// on a fast path) leaves a pending socket error that the next sendto returns instead of
// sending: ping_err sets sk_err, and the send path reports and clears it. One more try then
// sends; an error of this host's own (a route, a firewall) comes back every time.
bool PathEchoProbes::send(const IcmpAddress& to, std::uint16_t sequence) {
  for (int attempt = 0; attempt < 3; ++attempt)
    if (socket_.send_echo(to, sequence) == 0) return true;
  return false;
}

bool PathEchoProbes::settled() const {
  return path_settled(hops_, pending_, terminal);
}

void PathEchoProbes::on_message(const IcmpMessage& message) {
  if (const auto* reply = std::get_if<IcmpEchoReply>(&message)) {
    answer(reply->sequence, HopReply::echo_reply, reply->from, {}, reply->received_at);
  } else if (const auto* error = std::get_if<IcmpErrorReport>(&message)) {
    const bool v4 = error->family == AF_INET;
    const bool exceeded = v4 ? error->type == 11 : error->type == 3;
    const bool unreachable = v4 ? error->type == 3 : error->type == 1;
    if (!exceeded && !unreachable) return;
    answer(error->sequence, exceeded ? HopReply::time_exceeded : HopReply::unreachable,
           error->offender, unreachable ? unreachable_code_name(error->family, error->code) : "",
           error->received_at);
  }
}

void PathEchoProbes::answer(std::uint16_t sequence, HopReply reply, const std::string& address,
                            std::string code, Clock::time_point at) {
  const std::size_t index = sequence - 1u;
  if (sequence == 0 || index >= done_.size() || done_[index]) return;  // not ours, or again
  done_[index] = true;
  const auto ttl_index = index / static_cast<std::size_t>(probes_);
  --pending_[ttl_index];
  PathHop& hop = hops_[ttl_index];
  ++hop.answered;
  if (hop.reply == HopReply::none) {
    hop.reply = reply;
    hop.address = address;
    hop.code = std::move(code);
    hop.rtt_ms = std::chrono::duration<double, std::milli>(at - sent_at_[index]).count();
  }
  // Last: it may destroy this.
  on_change_();
}

}  // namespace faultline
