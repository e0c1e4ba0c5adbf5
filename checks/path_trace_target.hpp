// Which probe failures call for a path trace, and where the trace goes: the address and port
// the failed probe tried to reach. One rule for `faultline check` and the daemon.
#pragma once

#include <optional>
#include <string>

#include "checks/probe_result.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

// A timeout during connect, or unreachable: the failures where the packets stopped somewhere
// and the path says where.
bool failure_warrants_trace(const ProbeResult& result);

struct TraceTarget {
  std::string address;  // numeric
  int port = 0;

  bool operator==(const TraceTarget&) const = default;
};

// "192.0.2.1:443" or "[2001:db8::1]:443" (ProbeResult::remote_addr) as address and port;
// nullopt for anything else (a name, no port).
std::optional<TraceTarget> split_socket_address(const std::string& text);

// The address and TCP port `result`'s probe tried last (its remote_addr, else the first address
// the name resolved to, with the URL's port). nullopt for kinds without a TCP port (icmp://,
// dns://), for probes through a proxy (the path that failed may be the proxy's, not ours), and
// when no address was reached at all (a DNS failure).
std::optional<TraceTarget> trace_target(const ProbeSpec& spec, const ProbeResult& result);

}  // namespace faultline
