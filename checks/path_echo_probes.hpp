// The ICMP echo half of a path trace: echo requests to the target's address through the
// unprivileged ping socket of icmp:// (IcmpSocket), `probes` per TTL 1 .. max_hops, all at
// once. Routers on the way answer time exceeded, the target an echo reply: the nearest TTL the
// target answers is the hop at which the host sits, whatever its firewall does to the port.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <vector>

#include "checks/icmp_socket.hpp"
#include "checks/path_hop.hpp"

namespace faultline {

class PathEchoProbes {
 public:
  // `on_change` runs on the loop thread each time a request is answered; it may destroy this.
  PathEchoProbes(uv_loop_t* loop, std::function<void()> on_change);
  PathEchoProbes(const PathEchoProbes&) = delete;
  PathEchoProbes& operator=(const PathEchoProbes&) = delete;

  // Opens the ping socket and sends every request. Returns 0, or the errno of opening the
  // socket (EACCES outside net.ipv4.ping_group_range, EMFILE): then nothing was sent. A request
  // the kernel refuses to send (this host's firewall or route) stays unanswered. Never calls
  // on_change from inside start().
  int start(const IcmpAddress& to, int max_hops, int probes);

  // The hops so far, by TTL.
  const std::vector<PathHop>& hops() const { return hops_; }

  // Every request answered, or the host (or an unreachable) answered with every nearer hop
  // answered (path_settled).
  bool settled() const;

 private:
  bool send(const IcmpAddress& to, std::uint16_t sequence);
  void on_message(const IcmpMessage& message);
  void answer(std::uint16_t sequence, HopReply reply, const std::string& address, std::string code,
              std::chrono::steady_clock::time_point at);

  IcmpSocket socket_;
  std::function<void()> on_change_;
  int probes_ = 1;
  std::vector<PathHop> hops_;
  std::vector<int> pending_;                                    // by TTL - 1
  std::vector<std::chrono::steady_clock::time_point> sent_at_;  // by sequence - 1
  std::vector<bool> done_;                                      // by sequence - 1
};

}  // namespace faultline
