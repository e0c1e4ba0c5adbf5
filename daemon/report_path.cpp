#include "daemon/report_path.hpp"

#include <algorithm>

#include "checks/utc_time.hpp"

namespace faultline {
namespace {

// "2026-11-27 09:40", as the report's other times.
std::string at_minute(std::int64_t unix_ms) {
  return iso8601_utc(unix_ms / 1000).substr(0, 16).replace(10, 1, " ");
}

}  // namespace

std::string path_traces_section(const HistoryReport& r, const Painter& p) {
  std::size_t width = 0;
  for (const PathTraceRecord& t : r.path_traces)
    width = std::max(width, t.target.size());
  std::string out;
  for (const PathTraceRecord& t : r.path_traces) {
    const bool reached = t.verdict == "reached";
    out += p.bold(t.target) + std::string(width - t.target.size() + 2, ' ') +
           (reached ? p.ok(t.verdict) : p.bad(t.verdict)) +
           p.dim(", " + at_minute(t.time_ms) + ", to " + t.address + " port " +
                 std::to_string(t.port)) +
           "\n" + std::string(width + 2, ' ') + t.sentence + "\n";
  }
  return out;
}

nlohmann::ordered_json path_traces_json(const HistoryReport& r) {
  using json = nlohmann::ordered_json;
  json out = json::array();
  for (const PathTraceRecord& t : r.path_traces) {
    out.push_back({{"target", t.target},
                   {"time", iso8601_utc(t.time_ms / 1000)},
                   {"address", t.address},
                   {"port", t.port},
                   {"verdict", t.verdict},
                   {"last_hop",
                    t.last_hop_ttl ? json{{"ttl", *t.last_hop_ttl}, {"address", t.last_hop_address}}
                                   : json(nullptr)},
                   {"host_answers_ping", t.host_answers_ping},
                   {"host_hop", t.host_hop ? json(*t.host_hop) : json(nullptr)},
                   {"sentence", t.sentence}});
  }
  return out;
}

}  // namespace faultline
