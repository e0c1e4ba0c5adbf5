#include "daemon/check_report_path.hpp"

#include <algorithm>
#include <cstdio>

namespace faultline {
namespace {

constexpr const char* kIndent = "        ";

std::string padded(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string rtt_text(const std::optional<double>& ms) {
  if (!ms) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, *ms < 10 ? "%.1f ms" : "%.0f ms", *ms);
  return buf;
}

std::string reply_text(const PathHop& hop) {
  if (hop.reply == HopReply::unreachable) return "unreachable " + hop.code;
  return std::string(to_string(hop.reply));
}

// The rows worth showing: through the hop where the port or the host answered, or where an
// unreachable came from; else one past the farthest hop that answered (at least three).
std::size_t rows_to_show(const PathTrace& t) {
  const PathFindings& f = t.findings;
  std::size_t end = 0;
  if (f.last_hop && f.verdict != PathVerdict::dropped_after_hop) {
    end = static_cast<std::size_t>(f.last_hop->ttl);
  }
  if (f.host_hop) end = std::max(end, static_cast<std::size_t>(*f.host_hop));
  if (end > 0) return std::min(t.hops.size(), end);
  std::size_t last = 0;
  for (const auto* hops : {&t.hops, &t.echo_hops})
    for (std::size_t i = 0; i < hops->size(); ++i)
      if ((*hops)[i].answered_any()) last = std::max(last, i + 1);
  return std::min(t.hops.size(), std::max<std::size_t>(last + 1, 3));
}

std::string echo_text(const PathTrace& t, std::size_t i) {
  if (i >= t.echo_hops.size()) return "";
  const PathHop& hop = t.echo_hops[i];
  if (!hop.answered_any()) return "*";
  if (hop.reply == HopReply::echo_reply) return hop.address + " (echo reply)";
  return hop.address;
}

}  // namespace

std::string path_lines(const PathTrace& t, const Painter& p) {
  std::string out = "\n" + std::string(kIndent) +
                    p.bold("Path to " + t.address + " port " + std::to_string(t.port)) + "\n";
  if (!t.ran()) return out + kIndent + p.bad(path_sentence(t)) + "\n";
  out += std::string(kIndent) +
         p.dim(padded("hop", 5) + padded("address", 26) + padded("reply", 30) +
               padded("answers", 9) + padded("rtt", 10) + "ping") +
         "\n";
  const std::size_t rows = rows_to_show(t);
  for (std::size_t i = 0; i < rows; ++i) {
    const PathHop& hop = t.hops[i];
    const std::string answers = std::to_string(hop.answered) + "/" + std::to_string(hop.sent);
    out += std::string(kIndent) + padded(std::to_string(hop.ttl), 5) +
           padded(hop.address.empty() ? "*" : hop.address, 26) + padded(reply_text(hop), 30) +
           padded(answers, 9) + padded(rtt_text(hop.rtt_ms), 10) + echo_text(t, i) + "\n";
  }
  if (rows < t.hops.size()) {
    out += std::string(kIndent) +
           p.dim("(hops " + std::to_string(rows + 1) + " to " + std::to_string(t.hops.size()) +
                 " not shown)") +
           "\n";
  }
  return out + kIndent + "Path: " + path_sentence(t) + ".\n";
}

nlohmann::ordered_json path_json(const PathTrace& t) {
  using json = nlohmann::ordered_json;
  const PathFindings& f = t.findings;
  json out;
  out["verdict"] = t.ran() ? json(std::string(to_string(f.verdict))) : json(nullptr);
  out["last_hop"] = f.last_hop && t.ran()
                        ? json{{"ttl", f.last_hop->ttl}, {"address", f.last_hop->address}}
                        : json(nullptr);
  out["host_answers_ping"] = f.host_answers_ping;
  out["host_hop"] = f.host_hop ? json(*f.host_hop) : json(nullptr);
  json hops = json::array();
  for (const PathHop& hop : t.hops) {
    hops.push_back({{"ttl", hop.ttl},
                    {"address", hop.address.empty() ? json(nullptr) : json(hop.address)},
                    {"reply", std::string(to_string(hop.reply))},
                    {"code", hop.code.empty() ? json(nullptr) : json(hop.code)},
                    {"rtt_ms", hop.rtt_ms ? json(*hop.rtt_ms) : json(nullptr)}});
  }
  out["hops"] = std::move(hops);
  if (!t.ran()) out["error"] = t.local_error;
  return out;
}

}  // namespace faultline
