#include "storage/history_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

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
SELECT t.id, t.name, t.url, t.kind FROM targets t
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

using TargetsById = std::map<std::int64_t, TargetHistory>;
using TargetsByName = std::map<std::string, TargetHistory*>;

Status read_targets(SqliteConnection& db, const HistoryWindow& window, TargetsById& by_id) {
  auto st = db.prepare(kTargetsSql);
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  bind_target(*st, 3, window.target);
  const auto buckets = static_cast<std::size_t>(window.buckets);
  return st->each_row([&](const SqliteStatement& row) {
    TargetHistory& t = by_id[row.column_int(0)];
    t.name = row.column_text(1);
    t.url = row.column_text(2);
    t.kind = row.column_text(3);
    t.probes_by_bucket.assign(buckets, 0);
    t.failures_by_bucket.assign(buckets, 0);
  });
}

Status read_rollups(SqliteConnection& db, const HistoryWindow& window, int schema_version,
                    TargetsById& by_id) {
  auto st = db.prepare(rollups_sql(schema_version));
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  st->bind_int(3, window.buckets);
  std::map<std::int64_t, std::pair<double, std::int64_t>> timed;  // id -> sum, count
  Status rows = st->each_row([&](const SqliteStatement& row) {
    auto it = by_id.find(row.column_int(0));
    if (it == by_id.end()) return;
    TargetHistory& t = it->second;
    const auto bucket = static_cast<std::size_t>(
        std::clamp<std::int64_t>(row.column_int(1), 0, window.buckets - 1));
    t.probes_by_bucket[bucket] += row.column_int(2);
    t.failures_by_bucket[bucket] += row.column_int(4);
    t.probes += row.column_int(2);
    t.ok += row.column_int(3);
    t.failures += row.column_int(4);
    t.slow += row.column_int(7);
    auto& [sum, count] = timed[it->first];
    sum += row.column_real(5);
    count += row.column_int(6);
  });
  if (!rows) return rows;
  for (const auto& [id, sc] : timed) {
    if (sc.second > 0) by_id[id].avg_total_ms = sc.first / static_cast<double>(sc.second);
  }
  return ok_status();
}

Status read_failures(SqliteConnection& db, const HistoryWindow& window, HistoryReport& report) {
  auto st = db.prepare(kFailuresSql);
  if (!st) return unexpected(st.error());
  st->bind_int(1, window.from_ms);
  st->bind_int(2, window.to_ms);
  bind_target(*st, 3, window.target);
  return st->each_row([&](const SqliteStatement& row) {
    report.failures.push_back({row.column_text(0), row.column_text(1), row.column_text(2),
                               row.column_text(3), row.column_int(4), row.column_int(5)});
  });
}

Status read_outages(SqliteConnection& db, int version, HistoryReport& report,
                    const TargetsByName& listed) {
  const HistoryWindow& window = report.window;
  // Without a faultline holding the file, nothing still open is going on: the one that wrote
  // it was killed before it could end them (stopped_outages.hpp), which the next start does.
  const bool nobody_probes = report.faultline_running == false;
  auto st = db.prepare(outages_sql(version));
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
    if (!o.ended_ms && nobody_probes) {
      o.ended_ms = std::max(row.column_int(8), o.started_ms);
      o.ended_by = "faultline_stopped";
      if (*o.ended_ms <= window.from_ms) return;
    }
    // A target removed from the config while it was down keeps its outage open until
    // faultline stops; only listed targets (seen during the window) count.
    auto it = listed.find(o.target);
    if (it == listed.end()) return;
    const std::int64_t start = std::max(o.started_ms, window.from_ms);
    const std::int64_t end = std::min(o.ended_ms.value_or(window.to_ms), window.to_ms);
    it->second->outages += 1;
    it->second->down_s += static_cast<double>(std::max<std::int64_t>(0, end - start)) / 1000;
    report.outages.push_back(std::move(o));
  });
}

Status read_idle_findings(SqliteConnection& db, int version, HistoryReport& report,
                          const TargetsByName& listed) {
  auto st = db.prepare(version >= 3 ? kIdleSql : kIdleSqlV2);
  if (!st) return unexpected(st.error());
  bind_target(*st, 1, report.window.target);
  return st->each_row([&](const SqliteStatement& row) {
    IdleFindingRecord f;
    f.target = row.column_text(0);
    if (!listed.count(f.target)) return;
    f.kind = row.column_text(1);
    f.threshold_low_s = row.column_real(2);
    f.threshold_high_s = real_or_null(row, 3);
    f.keepalive_verified = row.column_text(4);
    f.keepalive_interval_s = real_or_null(row, 5);
    f.first_seen = row.column_text(6);
    f.last_confirmed = row.column_text(7);
    f.experiments = row.column_int(8);
    f.summary = row.column_text(9);
    f.advice = row.column_text(10);
    f.probe_observations = row.column_int(11);
    report.idle_findings.push_back(std::move(f));
  });
}

}  // namespace

std::optional<double> TargetHistory::uptime_percent() const {
  if (probes <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(ok) / static_cast<double>(probes);
}

Expected<HistoryReader> HistoryReader::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return unexpected("no history database at " + path +
                      " (faultline run creates it at storage.path)");
  }
  auto db = SqliteConnection::open_read_only(path);
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
  return HistoryReader(std::move(*db), path, static_cast<int>(*version));
}

Expected<HistoryReport> HistoryReader::read(const HistoryWindow& window) {
  if (window.to_ms <= window.from_ms) return unexpected("the report window is empty");
  if (window.buckets < 1) return unexpected("the report needs at least one bucket");
  HistoryReport report;
  report.window = window;
  report.schema_version = version_;
  // Asked before reading: a daemon that starts meanwhile only adds to what is read.
  if (auto holder = history_lock_holder(path_)) report.faultline_running = holder->has_value();

  std::map<std::int64_t, TargetHistory> by_id;
  if (auto s = read_targets(db_, window, by_id); !s) return unexpected(s.error());
  if (window.target && by_id.empty()) {
    return unexpected("no target named '" + *window.target + "' in the history");
  }
  if (auto s = read_rollups(db_, window, version_, by_id); !s) return unexpected(s.error());
  std::map<std::string, TargetHistory*> by_name;
  for (auto& [id, t] : by_id)
    by_name[t.name] = &t;
  if (auto s = read_failures(db_, window, report); !s) return unexpected(s.error());
  if (auto s = read_outages(db_, version_, report, by_name); !s) return unexpected(s.error());
  // Schema version 1 predates the idle-connection experiment.
  if (version_ >= 2) {
    if (auto s = read_idle_findings(db_, version_, report, by_name); !s) {
      return unexpected(s.error());
    }
  }
  auto paths = read_latest_path_traces(db_, version_, window.from_ms, window.to_ms, window.target);
  if (!paths) return unexpected(paths.error());
  report.path_traces = std::move(*paths);

  for (auto& [id, t] : by_id)
    report.targets.push_back(std::move(t));
  std::stable_sort(report.targets.begin(), report.targets.end(),
                   [](const TargetHistory& a, const TargetHistory& b) {
                     const auto ua = a.uptime_percent(), ub = b.uptime_percent();
                     if (ua.has_value() != ub.has_value()) return ua.has_value();
                     if (ua && *ua != *ub) return *ua < *ub;
                     return a.name < b.name;
                   });
  return report;
}

}  // namespace faultline
