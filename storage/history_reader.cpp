#include "storage/history_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

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

constexpr const char* kRollupsSql = R"sql(
SELECT target_id, (time - ?1) * ?3 / (?2 - ?1) AS bucket, sum(probes), sum(ok), sum(failures),
       sum(total_ms_sum), sum(total_ms_count)
FROM rollups
WHERE time >= ?1 AND time < ?2
GROUP BY target_id, bucket
)sql";

constexpr const char* kFailuresSql = R"sql(
SELECT target, class, phase, coalesce(detail, ''), count(*) AS n, max(time_ms)
FROM failure_log
WHERE time_ms >= ?1 AND time_ms < ?2 AND (?3 IS NULL OR target = ?3)
GROUP BY target, class, phase, detail
ORDER BY target, n DESC, class, phase, detail
)sql";

constexpr const char* kOutagesSql = R"sql(
SELECT target, started_ms, ended_ms, class, phase, coalesce(detail, ''), message
FROM outages
WHERE started_ms < ?2 AND (ended_ms IS NULL OR ended_ms > ?1) AND (?3 IS NULL OR target = ?3)
ORDER BY started_ms, target
)sql";

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
  return HistoryReader(std::move(*db), static_cast<int>(*version));
}

Expected<HistoryReport> HistoryReader::read(const HistoryWindow& window) {
  if (window.to_ms <= window.from_ms) return unexpected("the report window is empty");
  if (window.buckets < 1) return unexpected("the report needs at least one bucket");
  HistoryReport report;
  report.window = window;
  report.schema_version = version_;
  const auto buckets = static_cast<std::size_t>(window.buckets);

  std::map<std::int64_t, TargetHistory> by_id;
  {
    auto st = db_.prepare(kTargetsSql);
    if (!st) return unexpected(st.error());
    st->bind_int(1, window.from_ms);
    st->bind_int(2, window.to_ms);
    bind_target(*st, 3, window.target);
    const Status rows = st->each_row([&](const SqliteStatement& row) {
      TargetHistory& t = by_id[row.column_int(0)];
      t.name = row.column_text(1);
      t.url = row.column_text(2);
      t.kind = row.column_text(3);
      t.probes_by_bucket.assign(buckets, 0);
      t.failures_by_bucket.assign(buckets, 0);
    });
    if (!rows) return unexpected(rows.error());
  }
  if (window.target && by_id.empty()) {
    return unexpected("no target named '" + *window.target + "' in the history");
  }

  {
    auto st = db_.prepare(kRollupsSql);
    if (!st) return unexpected(st.error());
    st->bind_int(1, window.from_ms);
    st->bind_int(2, window.to_ms);
    st->bind_int(3, window.buckets);
    std::map<std::int64_t, std::pair<double, std::int64_t>> timed;  // id -> sum, count
    const Status rows = st->each_row([&](const SqliteStatement& row) {
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
      auto& [sum, count] = timed[it->first];
      sum += row.column_real(5);
      count += row.column_int(6);
    });
    if (!rows) return unexpected(rows.error());
    for (const auto& [id, sc] : timed) {
      if (sc.second > 0) by_id[id].avg_total_ms = sc.first / static_cast<double>(sc.second);
    }
  }

  std::map<std::string, TargetHistory*> by_name;
  for (auto& [id, t] : by_id)
    by_name[t.name] = &t;

  {
    auto st = db_.prepare(kFailuresSql);
    if (!st) return unexpected(st.error());
    st->bind_int(1, window.from_ms);
    st->bind_int(2, window.to_ms);
    bind_target(*st, 3, window.target);
    const Status rows = st->each_row([&](const SqliteStatement& row) {
      report.failures.push_back({row.column_text(0), row.column_text(1), row.column_text(2),
                                 row.column_text(3), row.column_int(4), row.column_int(5)});
    });
    if (!rows) return unexpected(rows.error());
  }

  {
    auto st = db_.prepare(kOutagesSql);
    if (!st) return unexpected(st.error());
    st->bind_int(1, window.from_ms);
    st->bind_int(2, window.to_ms);
    bind_target(*st, 3, window.target);
    const Status rows = st->each_row([&](const SqliteStatement& row) {
      OutageRecord o;
      o.target = row.column_text(0);
      o.started_ms = row.column_int(1);
      if (!row.column_is_null(2)) o.ended_ms = row.column_int(2);
      o.cls = row.column_text(3);
      o.phase = row.column_text(4);
      o.detail = row.column_text(5);
      o.message = row.column_text(6);
      // A target removed from the config while it was down never gets its outage closed;
      // only listed targets (seen during the window) count.
      auto it = by_name.find(o.target);
      if (it == by_name.end()) return;
      const std::int64_t start = std::max(o.started_ms, window.from_ms);
      const std::int64_t end = std::min(o.ended_ms.value_or(window.to_ms), window.to_ms);
      it->second->outages += 1;
      it->second->down_s += static_cast<double>(std::max<std::int64_t>(0, end - start)) / 1000;
      report.outages.push_back(std::move(o));
    });
    if (!rows) return unexpected(rows.error());
  }

  // Schema version 1 predates the idle-connection experiment.
  if (version_ >= 2) {
    auto st = db_.prepare(version_ >= 3 ? kIdleSql : kIdleSqlV2);
    if (!st) return unexpected(st.error());
    bind_target(*st, 1, window.target);
    const Status rows = st->each_row([&](const SqliteStatement& row) {
      IdleFindingRecord f;
      f.target = row.column_text(0);
      if (!by_name.count(f.target)) return;
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
    if (!rows) return unexpected(rows.error());
  }

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
