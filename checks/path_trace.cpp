#include "checks/path_trace.hpp"

#include <nlohmann/json.hpp>

namespace faultline {
namespace {

std::string at(const LastHop& hop) {
  return "hop " + std::to_string(hop.ttl) + " (" + hop.address + ")";
}

std::string port_part(const PathTrace& t) {
  const PathFindings& f = t.findings;
  const std::string port = "port " + std::to_string(t.port);
  switch (f.verdict) {
    case PathVerdict::dropped_after_hop:
      if (f.max_hops_reached) {
        return "packets to " + port + " still travel at " + at(*f.last_hop) +
               ", the last hop traced (max_hops)";
      }
      return "packets to " + port + " stop after " + at(*f.last_hop);
    case PathVerdict::local_drop:
      return "packets to " + port +
             " never leave this host: not even hop 1 answers them, though it answers ping "
             "(a local firewall)";
    case PathVerdict::unreachable_at_hop:
      return f.last_hop->address + " at hop " + std::to_string(f.last_hop->ttl) + " answers " +
             unreachable_code_words(f.unreachable_code);
    case PathVerdict::reached:
      return port + " answers at " + at(*f.last_hop) + " now";
    case PathVerdict::no_answer:
      return "nothing on the path to " + port + " answers";
  }
  return {};
}

std::string host_part(const PathTrace& t) {
  if (!t.echo_trouble.empty()) return "the echo trace could not run (" + t.echo_trouble + ")";
  if (t.findings.host_hop) {
    return "the host answers ping at hop " + std::to_string(*t.findings.host_hop);
  }
  return "the host does not answer ping";
}

}  // namespace

std::string path_sentence(const PathTrace& trace) {
  if (!trace.ran()) return "the path trace could not run: " + trace.local_error;
  return port_part(trace) + "; " + host_part(trace);
}

std::string hops_json_text(const std::vector<PathHop>& hops) {
  using json = nlohmann::ordered_json;
  json out = json::array();
  for (const PathHop& hop : hops) {
    out.push_back({{"ttl", hop.ttl},
                   {"address", hop.address.empty() ? json(nullptr) : json(hop.address)},
                   {"reply", std::string(to_string(hop.reply))},
                   {"code", hop.code.empty() ? json(nullptr) : json(hop.code)},
                   {"rtt_ms", hop.rtt_ms ? json(*hop.rtt_ms) : json(nullptr)}});
  }
  return out.dump();
}

}  // namespace faultline
