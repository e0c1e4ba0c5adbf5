// How `faultline report` shows a HistoryReport: aligned tables for a person, with a sparkline of
// each target's failures across the window, or one JSON object with the same content for a
// script.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/sparkline.hpp"
#include "storage/history_reader.hpp"

namespace faultline {

// What the report was asked for, for its heading.
struct ReportSource {
  std::string database;  // the file read; over several, HistoryReport::sources names them
  std::string since;     // the window as written on the command line ("24h")
};

// Sections in order: targets (uptime, probes, failures, average time, outages, time down, a
// sparkline of failures), failures by class and phase, outages (one faultline stopped during
// ends "unknown since <its last probe> - faultline stopped", with an em dash in Unicode),
// idle-connection findings. Times are UTC. ANSI colours only when `color`; block characters or
// ASCII as `charset` says. Over several sources the heading names each (instance and path),
// and an INSTANCES (targets, failures) or INSTANCE (outages) column after TARGET (the idle
// findings: "(instance)" after the target) says whose files hold each row.
std::string render_report_text(const HistoryReport& report, const ReportSource& source, bool color,
                               Charset charset);

// {database, schema_version, faultline_running, window{from, to, seconds, buckets,
//  bucket_seconds},
//  targets[{target, url, kind, probes, ok, failures, uptime_percent, avg_total_ms, outages,
//           down_s, probes_by_bucket[], failures_by_bucket[]}],
//  failures[{target, class, phase, detail, count, last}],
//  outages[{target, started, ended, ended_by, duration_s, ongoing, class, phase, detail,
//           message}],
//  idle_findings[{target, kind, threshold_low_s, threshold_high_s, keepalive_verified,
//                 keepalive_interval_s, first_seen, last_confirmed, experiments,
//                 probe_observations, summary, advice}]}
// Times are ISO-8601 UTC; values that do not apply (no probes, no detail, still going on) null.
// ended_by is "up" or "faultline_stopped" (ended at the last probe faultline made);
// faultline_running null when the history's lock could not be asked. Over several sources:
// database null, targets/failures[].instances[], outages/idle_findings[].instance, and last
// sources[{instance, database, schema_version, faultline_running}].
nlohmann::ordered_json report_json(const HistoryReport& report, const ReportSource& source);

// "45s", "7m 3s", "2h" (not "2h 0m"), "3d 4h": the two largest units, rounded down.
std::string human_duration(double seconds);

}  // namespace faultline
