#include "storage/history_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

#include "storage/history_lock.hpp"
#include "storage/schema.hpp"

namespace faultline {
namespace {

// A target name, or NULL for "every target", as ?N.
void bind_target(SqliteStatement& st, int index, const std::optional<std::string>& target) {
  if (target) {
    st.bind_text(index, *target);
  } else {
    st.bind_null(index);
  }
}

std::optional<double> real_or_null(const SqliteStatement& st, int column) {
  if (st.column_is_null(column)) return std::nullopt;
  return st.column_real(column);
}

// Listed: the one asked for, or every target probed during the window (every probe lands in
// a rollup). targets.last_seen would also catch a target configured but not yet probed, but it
// is stamped when a config is loaded, so it cannot date a window in the past.
constexpr const char* kTargetsSql = R"sql(
SELECT t.id, t.name, t.url, t.kind, t.last_seen FROM targets t
WHERE CASE WHEN ?3 IS NOT NULL THEN t.name = ?3
           ELSE EXISTS (SELECT 1 FROM rollups r
                        WHERE r.target_id = t.id AND r.time >= ?1 AND r.time < ?2) END
)sql";

// `slow` came with schema version 5; a file written before (which the reader never migrates)
// counts none.
std::string rollups_sql(int schema_version) {
  return std::string(R"sql(
SELECT target_id, (time - ?1) * ?3 / (?2 - ?1) AS bucket, sum(probes), sum(ok), sum(failures),
       sum(total_ms_sum), sum(total_ms_count), )sql") +
         (schema_version >= 5 ? "sum(slow)" : "0") + R"sql(
FROM rollups
WHERE time >= ?1 AND time < ?2
GROUP BY target_id, bucket
)sql";
}

constexpr const char* kFailuresSql = R"sql(
SELECT target, class, phase, coalesce(detail, ''), count(*) AS n, max(time_ms)
FROM failure_log
WHERE time_ms >= ?1 AND time_ms < ?2 AND (?3 IS NULL OR target = ?3)
GROUP BY target, class, phase, detail
ORDER BY target, n DESC, class, phase, detail
)sql";

// ended_by, last_probe and the change to 'unknown' that closes an outage came with schema
// version 4: before it an outage ended only by going up. The last probe dates the end of an
// outage a killed faultline left open, as stopped_outages.cpp does at the next start.
std::string outages_sql(int version) {
  const bool v4 = version >= 4;
  return std::string(
             "SELECT o.target, o.started_ms, o.ended_ms, o.class, o.phase, "
             "coalesce(o.detail, ''), o.message, ") +
         (v4 ? "o.ended_by" : "CASE WHEN o.ended_ms IS NULL THEN NULL ELSE 'up' END") + ", " +
         (v4 ? "coalesce(t.last_probe, t.last_seen)" : "t.last_seen") + R"sql(
FROM outages o JOIN targets t ON t.name = o.target
WHERE o.started_ms < ?2 AND (o.ended_ms IS NULL OR o.ended_ms > ?1) AND (?3 IS NULL OR o.target = ?3)
ORDER BY o.started_ms, o.target
)sql";
}

// Schema version 2 has no probe_observations yet: it reads as 0 there.
constexpr const char* kIdleSql = R"sql(
SELECT target, kind, threshold_low_s, threshold_high_s, keepalive_verified, keepalive_interval_s,
       first_seen, last_confirmed, experiments, summary, advice, probe_observations
FROM idle_report
WHERE ?1 IS NULL OR target = ?1
ORDER BY target
)sql";
constexpr const char* kIdleSqlV2 = R"sql(
SELECT target, kind, threshold_low_s, threshold_high_s, keepalive_verified, keepalive_interval_s,
       first_seen, last_confirmed, experiments, summary, advice, 0
FROM idle_report
WHERE ?1 IS NULL OR target = ?1
ORDER BY target
)sql";

// Targets of every file by name, as the report shows them, and what is added up before it is
// shown.
struct Merged {
  std::map<std::string, TargetHistory> targets;
  std::map<std::string, std::int64_t> last_seen;  // of the file the url and kind come from
  std::map<std::string, std::pair<double, std::int64_t>> timed;  // total_ms sum and count
};
// One file's target ids, onto the merged targets.
using TargetsById = std::map<std::int64_t, TargetHistory*>;
using ListedNames = std::set<std::string>;

// A target in several files takes its url and kind from the one that saw it last (its config
// then); its counts add up.
Status read_targets(HistoryReader::File& f, const HistoryWindow& window, Merged& merged,
                    TargetsById& by_id) {
  auto st = f.db.prepare(kTargetsSql);
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  bind_target(*st, 3, window.target);
  const auto buckets = static_cast<std::size_t>(window.buckets);
  return st->each_row([&](const SqliteStatement& row) {
    const std::string name = row.column_text(1);
    auto [it, fresh] = merged.targets.try_emplace(name);
    TargetHistory& t = it->second;
    if (fresh) {
      t.name = name;
      t.probes_by_bucket.assign(buckets, 0);
      t.failures_by_bucket.assign(buckets, 0);
    }
    const std::int64_t seen = row.column_int(4);
    if (fresh || seen > merged.last_seen[name]) {
      t.url = row.column_text(2);
      t.kind = row.column_text(3);
      merged.last_seen[name] = seen;
    }
    t.instances.push_back(f.source.instance);
    by_id[row.column_int(0)] = &t;
  });
}

Status read_rollups(HistoryReader::File& f, const HistoryWindow& window, Merged& merged,
                    const TargetsById& by_id) {
  auto st = f.db.prepare(rollups_sql(f.version));
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  st->bind_int(3, window.buckets);
  return st->each_row([&](const SqliteStatement& row) {
    auto it = by_id.find(row.column_int(0));
    if (it == by_id.end()) return;
    TargetHistory& t = *it->second;
    const auto bucket = static_cast<std::size_t>(
        std::clamp<std::int64_t>(row.column_int(1), 0, window.buckets - 1));
    t.probes_by_bucket[bucket] += row.column_int(2);
    t.failures_by_bucket[bucket] += row.column_int(4);
    t.probes += row.column_int(2);
    t.ok += row.column_int(3);
    t.failures += row.column_int(4);
    t.slow += row.column_int(7);
    auto& [sum, count] = merged.timed[t.name];
    sum += row.column_real(5);
    count += row.column_int(6);
  });
}

Status read_failures(HistoryReader::File& f, const HistoryWindow& window, HistoryReport& report) {
  auto st = f.db.prepare(kFailuresSql);
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  bind_target(*st, 3, window.target);
  return st->each_row([&](const SqliteStatement& row) {
    report.failures.push_back({row.column_text(0),
                               row.column_text(1),
                               row.column_text(2),
                               row.column_text(3),
                               row.column_int(4),
                               row.column_int(5),
                               {f.source.instance}});
  });
}

// `nobody_probes`: no faultline holds this file.
Status read_outages(HistoryReader::File& f, bool nobody_probes, HistoryReport& report,
                    const ListedNames& listed) {
  const HistoryWindow& window = report.window;
  auto st = f.db.prepare(outages_sql(f.version));
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  bind_target(*st, 3, window.target);
  return st->each_row([&](const SqliteStatement& row) {
    OutageRecord o;
    o.target = row.column_text(0);
    o.started_ms = row.column_int(1);
    if (!row.column_is_null(2)) o.ended_ms = row.column_int(2);
    o.cls = row.column_text(3);
    o.phase = row.column_text(4);
    o.detail = row.column_text(5);
    o.message = row.column_text(6);
    o.ended_by = row.column_text(7);
    // Without a faultline holding the file, nothing still open is going on: the one that wrote
    // it was killed before it could end them (stopped_outages.hpp), which the next start does.
    if (!o.ended_ms && nobody_probes) {
      o.ended_ms = std::max(row.column_int(8), o.started_ms);
      o.ended_by = "faultline_stopped";
      if (*o.ended_ms <= window.from_ms) return;
    }
    // A target removed from the config while it was down keeps its outage open until
    // faultline stops; only targets listed from this file (seen during the window) count.
    if (!listed.count(o.target)) return;
    o.instance = f.source.instance;
    report.outages.push_back(std::move(o));
  });
}

Status read_idle_findings(HistoryReader::File& f, HistoryReport& report,
                          const ListedNames& listed) {
  auto st = f.db.prepare(f.version >= 3 ? kIdleSql : kIdleSqlV2);
  if (!st) return unexpected(st.error());
  bind_target(*st, 1, report.window.target);
  return st->each_row([&](const SqliteStatement& row) {
    IdleFindingRecord r;
    r.target = row.column_text(0);
    if (!listed.count(r.target)) return;
    r.kind = row.column_text(1);
    r.threshold_low_s = row.column_real(2);
    r.threshold_high_s = real_or_null(row, 3);
    r.keepalive_verified = row.column_text(4);
    r.keepalive_interval_s = real_or_null(row, 5);
    r.first_seen = row.column_text(6);
    r.last_confirmed = row.column_text(7);
    r.experiments = row.column_int(8);
    r.summary = row.column_text(9);
    r.advice = row.column_text(10);
    r.probe_observations = row.column_int(11);
    r.instance = f.source.instance;
    report.idle_findings.push_back(std::move(r));
  });
}

// Everything one file holds for the window, added to `merged` and `report`.
Status read_file(HistoryReader::File& f, Merged& merged, HistoryReport& report) {
  const HistoryWindow& window = report.window;
  HistorySourceStatus status{f.source.instance, f.source.path, f.version, std::nullopt};
  // Asked before reading: a daemon that starts meanwhile only adds to what is read.
  if (auto holder = history_lock_holder(f.source.path)) {
    status.faultline_running = holder->has_value();
  }
  report.sources.push_back(status);

  TargetsById by_id;
  if (auto s = read_targets(f, window, merged, by_id); !s) return s;
  if (auto s = read_rollups(f, window, merged, by_id); !s) return s;
  ListedNames listed;
  for (const auto& [id, t] : by_id)
    listed.insert(t->name);
  if (auto s = read_failures(f, window, report); !s) return s;
  if (auto s = read_outages(f, status.faultline_running == false, report, listed); !s) return s;
  // Schema version 1 predates the idle-connection experiment.
  if (f.version >= 2) {
    if (auto s = read_idle_findings(f, report, listed); !s) return s;
  }
  // Each file's latest trace of each target: a target traced by two instances shows both.
  auto paths =
      read_latest_path_traces(f.db, f.version, window.from_ms, window.to_ms, window.target);
  if (!paths) return unexpected(paths.error());
  report.path_traces.insert(report.path_traces.end(), paths->begin(), paths->end());
  return ok_status();
}

// How much of [from, to) the outages of one target cover: where two instances' outages
// overlap, the time counts once.
double covered_seconds(std::vector<std::pair<std::int64_t, std::int64_t>> spans) {
  std::sort(spans.begin(), spans.end());
  std::int64_t covered = 0, reached = std::numeric_limits<std::int64_t>::min();
  for (const auto& [start, end] : spans) {
    const std::int64_t from = std::max(start, reached);
    if (end > from) covered += end - from;
    reached = std::max(reached, end);
  }
  return static_cast<double>(covered) / 1000;
}

// One row per target, class, phase and detail, however many files hold such failures.
void add_up_failures(std::vector<FailureCount>& failures) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> first;
  std::vector<FailureCount> added;
  for (FailureCount& f : failures) {
    auto [it, fresh] = first.try_emplace({f.target, f.cls, f.phase, f.detail}, added.size());
    if (fresh) {
      added.push_back(std::move(f));
      continue;
    }
    FailureCount& sum = added[it->second];
    sum.count += f.count;
    sum.last_ms = std::max(sum.last_ms, f.last_ms);
    sum.instances.push_back(f.instances.front());
  }
  failures = std::move(added);
}

// The merged rows in the documented order (each file's come sorted; a stable sort keeps ties
// in the sources' order), each target's outages counted, and the targets listed.
void finish(Merged& merged, HistoryReport& report) {
  const HistoryWindow& window = report.window;
  add_up_failures(report.failures);
  std::stable_sort(report.failures.begin(), report.failures.end(),
                   [](const FailureCount& a, const FailureCount& b) {
                     if (a.target != b.target) return a.target < b.target;
                     if (a.count != b.count) return a.count > b.count;
                     return std::tie(a.cls, a.phase, a.detail) < std::tie(b.cls, b.phase, b.detail);
                   });
  std::stable_sort(report.outages.begin(), report.outages.end(),
                   [](const OutageRecord& a, const OutageRecord& b) {
                     return std::tie(a.started_ms, a.target) < std::tie(b.started_ms, b.target);
                   });
  std::stable_sort(
      report.idle_findings.begin(), report.idle_findings.end(),
      [](const IdleFindingRecord& a, const IdleFindingRecord& b) { return a.target < b.target; });
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> spans;
  for (const OutageRecord& o : report.outages) {
    merged.targets[o.target].outages += 1;
    spans[o.target].emplace_back(std::max(o.started_ms, window.from_ms),
                                 std::min(o.ended_ms.value_or(window.to_ms), window.to_ms));
  }
  for (auto& [name, list] : spans)
    merged.targets[name].down_s = covered_seconds(std::move(list));
  for (const auto& [name, sc] : merged.timed) {
    if (sc.second > 0)
      merged.targets[name].avg_total_ms = sc.first / static_cast<double>(sc.second);
  }
  for (auto& [name, t] : merged.targets)
    report.targets.push_back(std::move(t));
  std::stable_sort(report.targets.begin(), report.targets.end(),
                   [](const TargetHistory& a, const TargetHistory& b) {
                     const auto ua = a.uptime_percent(), ub = b.uptime_percent();
                     if (ua.has_value() != ub.has_value()) return ua.has_value();
                     if (ua && *ua != *ub) return *ua < *ub;
                     return a.name < b.name;
                   });
}

// Whether a faultline holds every source (true), none (false), or it differs or is not known.
std::optional<bool> all_running(const std::vector<HistorySourceStatus>& sources) {
  std::optional<bool> all = sources.front().faultline_running;
  for (const HistorySourceStatus& s : sources) {
    if (s.faultline_running != all) return std::nullopt;
  }
  return all;
}

// A file nothing writes to (no faultline holds its lock, and no "-wal" or "-journal" beside it
// holds commits) is read immutable, which creates no "-wal" or "-shm" beside it. A faultline
// starting meanwhile writes to a new "-wal" first, which this read does not see: it reads the
// file as it was, or at worst (a checkpoint into it during the read) fails with SQLite's error.
Expected<SqliteConnection> open_file(const std::string& path) {
  std::error_code ec;
  auto holder = history_lock_holder(path);
  const bool quiet = holder && !holder->has_value() &&
                     !std::filesystem::exists(path + "-wal", ec) &&
                     !std::filesystem::exists(path + "-journal", ec);
  return quiet ? SqliteConnection::open_immutable(path) : SqliteConnection::open_read_only(path);
}

Expected<HistoryReader::File> open_one(const HistorySource& source) {
  const std::string& path = source.path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return unexpected("no history database at " + path +
                      " (faultline run creates it at storage.path)");
  }
  auto db = open_file(path);
  if (!db) return unexpected("cannot open " + path + ": " + db.error());
  // A daemon may hold the write lock for a moment; readers wait rather than fail.
  sqlite3_busy_timeout(db->handle(), 5000);
  auto version = db->query_int("PRAGMA user_version");
  if (!version) return unexpected("cannot read " + path + ": " + version.error());
  auto tables = db->query_int(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('targets', "
      "'rollups', 'failures', 'state_changes')");
  if (!tables) return unexpected("cannot read " + path + ": " + tables.error());
  if (*version < 1 || *tables != 4) {
    return unexpected(path + " is not a faultline history database (no faultline schema in it)");
  }
  if (*version > kSchemaVersion) {
    return unexpected(path + " has schema version " + std::to_string(*version) +
                      ", newer than this faultline reads (" + std::to_string(kSchemaVersion) +
                      "); use the faultline that wrote it");
  }
  return HistoryReader::File{std::move(*db), source, static_cast<int>(*version)};
}

}  // namespace

std::optional<double> TargetHistory::uptime_percent() const {
  if (probes <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(ok) / static_cast<double>(probes);
}

Expected<HistoryReader> HistoryReader::open(const std::string& path) {
  return open(std::vector<HistorySource>{{path, path}});
}

Expected<HistoryReader> HistoryReader::open(const std::vector<HistorySource>& sources) {
  if (sources.empty()) return unexpected("no history database given");
  std::vector<File> files;
  for (const HistorySource& source : sources) {
    auto file = open_one(source);
    if (!file) return unexpected(file.error());
    // The same rows twice would count every probe twice.
    for (const File& other : files) {
      std::error_code ec;
      if (std::filesystem::equivalent(other.source.path, source.path, ec)) {
        return unexpected(source.path + " is the same file as " + other.source.path +
                          ": give each history once");
      }
    }
    files.push_back(std::move(*file));
  }
  return HistoryReader(std::move(files));
}

int HistoryReader::schema_version() const {
  int oldest = kSchemaVersion;
  for (const File& f : files_)
    oldest = std::min(oldest, f.version);
  return oldest;
}

Expected<HistoryReport> HistoryReader::read(const HistoryWindow& window) {
  if (window.to_ms <= window.from_ms) return unexpected("the report window is empty");
  if (window.buckets < 1) return unexpected("the report needs at least one bucket");
  HistoryReport report;
  report.window = window;
  report.schema_version = schema_version();
  Merged merged;
  for (File& f : files_) {
    if (auto s = read_file(f, merged, report); !s) {
      // One file's error is the history's when it is the only one.
      return unexpected(files_.size() == 1 ? s.error() : f.source.path + ": " + s.error());
    }
  }
  report.faultline_running = all_running(report.sources);
  if (window.target && merged.targets.empty()) {
    return unexpected("no target named '" + *window.target + "' in " +
                      (files_.size() == 1
                           ? std::string("the history")
                           : "any of the " + std::to_string(files_.size()) + " histories"));
  }
  finish(merged, report);
  return report;
}

}  // namespace faultline
