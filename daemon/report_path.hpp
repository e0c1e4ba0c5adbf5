// The path traces in `faultline report` (issue 20): the latest trace of each target that was
// down in the period with a connect timeout or unreachable. report_output.cpp places them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/terminal.hpp"
#include "storage/history_reader.hpp"

namespace faultline {

// One line per traced target: its name, when, the verdict, then the sentence the log said.
// "" when no target was traced.
std::string path_traces_section(const HistoryReport& report, const Painter& p);

// [{target, time, address, port, verdict, last_hop: {ttl, address} | null, host_answers_ping,
//   host_hop | null, sentence}], by target.
nlohmann::ordered_json path_traces_json(const HistoryReport& report);

}  // namespace faultline
