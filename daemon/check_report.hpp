// How `faultline check` shows one probe result: layer by layer for a person, or as one JSON
// object for a script.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "checks/idle_once.hpp"
#include "checks/path_trace.hpp"
#include "checks/probe_result.hpp"
#include "checks/probe_spec.hpp"

namespace faultline {

// One line per redirect followed, then one line per layer in order (DNS, TCP, TLS, HTTP as they
// apply to the last request's URL), each with its timing, stopping at the layer that failed, which
// is followed by the message and advice. `now_unix` dates certificate expiry ("29 days left"). ANSI
// colours only when `color`. A path trace (`path`, when one ran) shows as a table of hops and a
// verdict under the failed layer, or before the summary of a probe that succeeded.
std::string render_check_text(const ProbeSpec& spec, const ProbeResult& result,
                              std::int64_t now_unix, bool color, const PathTrace* path = nullptr);

// The documented JSON object: target, class, phase, detail, errno, message, timings{...},
// http_status, remote_addr, server_name (the name sent as SNI and verified, when server_name
// set one), tls{not_after,subject,issuer,version}, redirects[{url,status}]
// (the redirects followed, in order; empty when none), advice. Keys that do not
// apply are null: phase and detail for ok, detail for a class without details, and so on.
// Last before advice: path, the path trace (check_report_path.hpp's path_json; null when no
// trace ran).
nlohmann::ordered_json check_json(const ProbeSpec& spec, const ProbeResult& result,
                                  const PathTrace* path = nullptr);

// The idle-reset experiment: one line per step by idle time (shortest first, the keepalive
// step after the plain one of the same idle time), then the verdict and the advice.
std::string render_idle_text(const IdleReport& report, bool color);

// {kind, threshold_low_s, threshold_high_s, keepalive_verified, keepalive_interval_s, advice,
//  summary, steps: [{idle_s, keepalive_s, outcome, ended_after_s, message}]}, the steps in the
// order render_idle_text shows them.
nlohmann::ordered_json idle_json(const IdleReport& report);

}  // namespace faultline
