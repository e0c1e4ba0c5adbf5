// The path trace in `faultline check`'s report: an mtr-like table of the hops under the failed
// layer with the verdict in one sentence, and the --json `path` object. check_report.cpp
// places them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checks/path_trace.hpp"
#include "daemon/terminal.hpp"

namespace faultline {

// A heading, one row per TCP hop (TTL, address, reply, probes answered, RTT) with the echo
// trace's answer for the same TTL beside it, then "Path: <sentence>.", indented as the failed
// layer's detail lines. Rows end one hop past the farthest that answered either trace (the
// silence that follows shows), so a trace of 30 silent hops takes 3 rows.
std::string path_lines(const PathTrace& trace, const Painter& p);

// {verdict, last_hop: {ttl, address} | null, host_answers_ping, host_hop | null,
//  hops: [{ttl, address | null, reply, code | null, rtt_ms | null}]} — the TCP hops as the
// table shows them. For a trace that could not run: {verdict: null, error: "..."} and the rest
// null or empty.
nlohmann::ordered_json path_json(const PathTrace& trace);

}  // namespace faultline
