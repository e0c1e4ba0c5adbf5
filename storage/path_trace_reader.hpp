// The path traces `faultline report` shows (issue 20): for each target, the latest trace in
// the window. A trace runs only while its target is down, so these are the targets that were
// down in the period with a connect timeout or unreachable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite_connection.hpp"

namespace faultline {

// A row of path_traces as the report shows it.
struct PathTraceRecord {
  std::string target;
  std::int64_t time_ms = 0;
  std::string address;
  int port = 0;
  std::string verdict;  // dropped_after_hop, local_drop, unreachable_at_hop, reached, no_answer
  std::optional<int> last_hop_ttl;
  std::string last_hop_address;  // "" when there is none
  bool host_answers_ping = false;
  std::optional<int> host_hop;
  std::string sentence;  // as the log said it
};

// The latest trace of each target in [from_ms, to_ms), by target name; only `target`'s when
// set. Empty for a history before schema version 6 (`version`). Fails on an SQLite error.
Expected<std::vector<PathTraceRecord>> read_latest_path_traces(
    SqliteConnection& db, int version, std::int64_t from_ms, std::int64_t to_ms,
    const std::optional<std::string>& target);

}  // namespace faultline
