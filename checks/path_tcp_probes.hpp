// The TCP half of a path trace: one non-blocking TCP socket per (TTL, probe), each connecting
// to the target's address and port with IP_TTL / IPV6_UNICAST_HOPS set to its TTL and
// IP_RECVERR / IPV6_RECVERR on, all at once, on the libuv loop. No CAP_NET_RAW: while the
// connect is pending (SYN_SENT), Linux (tcp_v4_err, tcp_v6_err) queues an ICMP error about the
// SYN on the socket's error queue when RECVERR is on: time exceeded from the router where the
// TTL ran out, destination unreachable, each with the sender's address (SO_EE_OFFENDER). A
// connect that completes is the port's SYN-ACK; ECONNREFUSED is its RST.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <vector>

#include "checks/icmp_socket.hpp"
#include "checks/path_hop.hpp"

namespace faultline {

class PathTcpProbes {
 public:
  // `on_change` runs on the loop thread each time a probe resolves; it may destroy this.
  PathTcpProbes(uv_loop_t* loop, std::function<void()> on_change);
  // Closes every socket still open; no callback after this.
  ~PathTcpProbes();
  PathTcpProbes(const PathTcpProbes&) = delete;
  PathTcpProbes& operator=(const PathTcpProbes&) = delete;

  // Sends `probes` SYNs for each TTL 1 .. `max_hops` to `to` (its port set). Returns 0, or the
  // errno of a socket that could not be made (EMFILE, ENFILE, EAFNOSUPPORT): the trace's own
  // trouble. A connect that fails at once (this host's unreachable route, its firewall) leaves
  // its probe unanswered. Never calls on_change from inside start().
  int start(const IcmpAddress& to, int max_hops, int probes);

  // The hops so far, by TTL.
  const std::vector<PathHop>& hops() const { return hops_; }

  // Every probe resolved, or the port (or an unreachable) answered with every nearer hop
  // answered (path_settled).
  bool settled() const;

 private:
  struct Probe;
  static void on_poll(uv_poll_t* poll, int status, int events);
  void resolve(Probe* probe, int status, int events);
  void answer(int ttl, HopReply reply, const std::string& address, std::string code,
              std::chrono::steady_clock::time_point sent_at);
  void close(Probe* probe);

  uv_loop_t* loop_;
  std::function<void()> on_change_;
  std::string target_;
  std::vector<PathHop> hops_;
  std::vector<int> pending_;  // by TTL - 1: probes still waiting
  std::vector<Probe*> open_;  // still polled; null once closed
};

}  // namespace faultline
