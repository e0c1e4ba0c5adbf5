// Reading the history back, for `faultline report`: a read-only connection (it never creates,
// migrates or writes the file, and a daemon writing to it at the same time is not disturbed)
// and the queries behind the report, on the tables and views README.md documents ("Query
// history with sqlite3"): rollups for uptime, failure_log for classes and phases, outages, and
// idle_report. Several files (the shards of a fleet, or one instance's files before and after a
// move) read as one history: each file is read as a single one is, and the report adds them up
// by target name, keeping every outage with the instance that wrote it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checks/expected.hpp"
#include "storage/path_trace_reader.hpp"
#include "storage/sqlite_connection.hpp"

namespace faultline {

struct HistoryWindow {
  std::int64_t from_ms = 0;           // unix milliseconds, inclusive; rollups count whole minutes
  std::int64_t to_ms = 0;             // exclusive; also "now" for outages still going on
  int buckets = 24;                   // the window is cut into this many equal slices over time
  std::optional<std::string> target;  // only this target
};

// One target over the window. Counts come from the per-minute rollups, so they cover as much
// of the past as storage.retention.rollups keeps.
struct TargetHistory {
  std::string name;
  std::string url;
  std::string kind;  // http, https, tcp, tls
  std::int64_t probes = 0;
  std::int64_t ok = 0;
  std::int64_t failures = 0;
  std::int64_t slow = 0;  // ok probes slower than degraded_after (counted since schema version 5)
  std::optional<double> avg_total_ms;  // nullopt when no probe was timed
  // One entry per slice of the window, oldest first; probes_by_bucket 0 means no data (the
  // target was not configured, or faultline was not running).
  std::vector<std::int64_t> probes_by_bucket;
  std::vector<std::int64_t> failures_by_bucket;
  int outages = 0;    // down periods overlapping the window
  double down_s = 0;  // how much of the window they cover (once where two instances' overlap)
  // The instances (HistorySource::instance) whose files list the target, in the order given.
  std::vector<std::string> instances;

  // 100 * ok / probes; nullopt without probes.
  std::optional<double> uptime_percent() const;
};

// Failures of one target with one class, phase and detail (detail "" when there is none).
struct FailureCount {
  std::string target, cls, phase, detail;
  std::int64_t count = 0;
  std::int64_t last_ms = 0;  // the newest of them
  // Whose files hold them, in the sources' order: the count is the sum over all of them.
  std::vector<std::string> instances;
};

struct OutageRecord {
  std::string target;
  std::int64_t started_ms = 0;
  // nullopt while the target is still down. When faultline stopped during the outage, its last
  // probe of the target: what came after was not seen.
  std::optional<std::int64_t> ended_ms;
  std::string ended_by;                     // "up", "faultline_stopped"; "" while ongoing
  std::string cls, phase, detail, message;  // the failure that opened it
  std::string instance;                     // whose file holds it
};

// A target's latest idle-connection verdict (idle_report), whenever it was found.
struct IdleFindingRecord {
  std::string target, kind;  // kind: none, middlebox_reset, server_close, server_reset
  double threshold_low_s = 0;
  std::optional<double> threshold_high_s;
  std::string keepalive_verified;  // yes, no, untested
  std::optional<double> keepalive_interval_s;
  std::string first_seen, last_confirmed;  // ISO-8601 UTC, as the view shows them
  std::int64_t experiments = 0;
  std::int64_t probe_observations = 0;  // reuse_connection probes that took up a kept connection
  std::string summary, advice;
  std::string instance;  // whose file holds it
};

// One history file and the name its rows go by in a report over several: the instance (a
// fleet member's vantage or shard, or the file's path). Names must differ between the sources.
struct HistorySource {
  std::string instance;
  std::string path;
};

// What was read from one source.
struct HistorySourceStatus {
  std::string instance, path;
  int schema_version = 0;
  std::optional<bool> faultline_running;  // as HistoryReport::faultline_running, for this file
};

struct HistoryReport {
  HistoryWindow window;
  int schema_version = 0;  // the oldest of the sources'
  // Whether a faultline held the history (its HistoryLock) as it was read; nullopt when that
  // could not be told (the lock file not readable here). When none did, outages still open in
  // the file ended at their target's last probe (a faultline killed before it could end them).
  // Over several sources: true or false when it is so for every one, else nullopt.
  std::optional<bool> faultline_running;
  std::vector<HistorySourceStatus> sources;  // in the order given
  // Targets probed during the window (or the one asked for): lowest uptime first, targets
  // without probes last, then by name.
  std::vector<TargetHistory> targets;
  // Over several sources, failures add up as targets do (each names the instances it comes
  // from), while outages and idle findings of one target stay apart, each with its instance;
  // ties keep the sources' order.
  std::vector<FailureCount> failures;            // by target, then the most frequent first
  std::vector<OutageRecord> outages;             // overlapping the window, oldest first
  std::vector<IdleFindingRecord> idle_findings;  // of the listed targets, by target
  // The latest path trace of each target traced in the window (issue 20), by target.
  std::vector<PathTraceRecord> path_traces;
};

class HistoryReader {
 public:
  // Opens the history at `path` read-only and checks it is one faultline wrote. Errors say
  // which: no file at `path`; a file SQLite cannot open or read ("file is not a database");
  // an SQLite file without faultline's schema; a schema version newer than this build reads.
  // A file no faultline holds and without a "-wal" or "-journal" beside it is opened immutable
  // (SqliteConnection::open_immutable), so reading it leaves nothing behind.
  static Expected<HistoryReader> open(const std::string& path);
  // open() for each of `sources` (at least one), to read as one history; a file given twice
  // is an error naming it. The first error is the one returned.
  static Expected<HistoryReader> open(const std::vector<HistorySource>& sources);

  int schema_version() const;  // the oldest of the files'

  // Everything the report shows for `window`. Asks the history's lock whether a faultline
  // holds it: when none does, outages still open end at their target's last probe, ended_by
  // "faultline_stopped" (one killed before it could end them itself). Fails on an SQLite error,
  // on a window that is empty or has no buckets, and when `window.target` names no target in
  // the history. Over several files the errors of one name its path, and `window.target`
  // must be in at least one of them.
  Expected<HistoryReport> read(const HistoryWindow& window);

  // One opened file.
  struct File {
    SqliteConnection db;
    HistorySource source;
    int version = 0;
  };

 private:
  explicit HistoryReader(std::vector<File> files) : files_(std::move(files)) {}

  std::vector<File> files_;
};

}  // namespace faultline
