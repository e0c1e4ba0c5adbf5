// The result of a path trace (a value: the tracer never throws) and its one-sentence reading.
// A trace sends TCP SYNs to the target's own address and port, and ICMP echo requests to the
// same address, with TTL (hop limit) 1 .. max_hops, all at once, and records per TTL what came
// back (PathTracer in path_tracer.hpp runs it; judge_path in path_verdict.hpp reads it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/path_hop.hpp"
#include "checks/path_verdict.hpp"

namespace faultline {

struct TraceOptions {
  int max_hops = 30;       // TTLs 1 .. max_hops
  int probes_per_hop = 2;  // of each trace, per TTL, so one lost answer does not end the path
  std::chrono::milliseconds timeout{3000};  // the whole trace
};

inline constexpr int kMaxTraceHops = 64;
inline constexpr int kMaxTraceProbesPerHop = 5;

struct PathTrace {
  std::string address;             // the numeric address traced to
  int port = 0;                    // the TCP port the SYNs went to
  std::int64_t started_at_ms = 0;  // unix milliseconds
  double duration_ms = 0;
  PathFindings findings;
  std::vector<PathHop> hops;       // the TCP trace, by TTL (hops[0] is TTL 1)
  std::vector<PathHop> echo_hops;  // the ICMP echo trace, by TTL; empty when it could not run
  // Why the echo trace could not run ("no ping socket: ..."); "" when it ran.
  std::string echo_trouble;
  // The trace's own trouble: the TCP trace could not run (EMFILE, a bad address). Then nothing
  // above says anything about the target: `local_error` says why, and the verdict is unset.
  int local_errno = 0;
  std::string local_error;

  bool ran() const { return local_error.empty(); }
};

// One sentence (no final period) for the verdict: "packets to port 443 stop after hop 3
// (10.0.2.254); the host answers ping at hop 5". For a trace that did not run: "the path trace
// could not run: <why>".
std::string path_sentence(const PathTrace& trace);

// `hops` as compact JSON text, [{"ttl":1,"address":"10.0.0.1","reply":"time_exceeded",
// "code":null,"rtt_ms":0.4}, ...], address and rtt_ms null for none: what the database stores.
std::string hops_json_text(const std::vector<PathHop>& hops);

}  // namespace faultline
