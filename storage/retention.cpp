#include "storage/retention.hpp"

#include <array>
#include <string>

namespace faultline {

Expected<PruneOutcome> prune_expired(SqliteConnection& db, const StorageOptions& options,
                                     std::int64_t now_ms) {
  struct Table {
    const char* name;
    const char* key;      // what identifies a row (rollups has no rowid)
    const char* columns;  // the same, as a select list
    std::int64_t cutoff_ms;
    const char* time = "time";  // the column the cutoff applies to
  };
  const std::array tables = {
      Table{"failures", "rowid", "rowid", now_ms - options.retention_failures.count()},
      Table{"probes", "rowid", "rowid", now_ms - options.retention_failures.count()},
      Table{"rollups", "(target_id, time)", "target_id, time",
            now_ms - options.retention_rollups.count()},
      Table{"state_changes", "rowid", "rowid", now_ms - options.retention_rollups.count()},
      // A verdict no experiment has confirmed for that long is history like a state change.
      Table{"idle_findings", "rowid", "rowid", now_ms - options.retention_rollups.count(),
            "last_confirmed"},
      // Path traces explain outages, and are kept as long as the state changes.
      Table{"path_traces", "rowid", "rowid", now_ms - options.retention_rollups.count()},
  };
  PruneOutcome outcome;
  for (const Table& table : tables) {
    // The subquery walks the table's time index, so finding nothing to delete costs one seek.
    auto stmt = db.prepare(std::string("DELETE FROM ") + table.name + " WHERE " + table.key +
                           " IN (SELECT " + table.columns + " FROM " + table.name + " WHERE " +
                           table.time + " < ?1 LIMIT ?2)");
    if (!stmt) return unexpected("cannot prune " + std::string(table.name) + ": " + stmt.error());
    for (int chunk = 0; chunk < options.prune_chunks_per_pass; ++chunk) {
      stmt->bind_int(1, table.cutoff_ms);
      stmt->bind_int(2, static_cast<std::int64_t>(options.prune_chunk_rows));
      if (auto s = stmt->run(); !s) {
        return unexpected("cannot prune " + std::string(table.name) + ": " + s.error());
      }
      const auto deleted = static_cast<std::int64_t>(sqlite3_changes(db.handle()));
      outcome.rows_deleted += deleted;
      if (deleted < static_cast<std::int64_t>(options.prune_chunk_rows)) break;
      if (chunk + 1 == options.prune_chunks_per_pass) outcome.more = true;
    }
  }
  return outcome;
}

Expected<std::int64_t> reclaim_free_pages(SqliteConnection& db, std::int64_t max_pages) {
  auto mode = db.query_int("PRAGMA auto_vacuum");
  if (!mode) return unexpected(mode.error());
  // 2 = INCREMENTAL; files created by other tools may lack it, and then pages are only reused.
  if (*mode != 2) return std::int64_t{0};
  auto free_pages = db.query_int("PRAGMA freelist_count");
  if (!free_pages) return unexpected(free_pages.error());
  if (*free_pages <= max_pages) return std::int64_t{0};
  if (auto s = db.exec("PRAGMA incremental_vacuum(" + std::to_string(max_pages) + ")"); !s) {
    return unexpected("cannot release free pages: " + s.error());
  }
  return max_pages;
}

Status checkpoint_passive(SqliteConnection& db) {
  int log_frames = 0;
  int checkpointed = 0;
  int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                     &checkpointed);
  // BUSY only means another checkpoint is running; it will do the work.
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    return unexpected("checkpoint failed: " + db.error_text());
  }
  return ok_status();
}

}  // namespace faultline
