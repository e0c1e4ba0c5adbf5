// Writes a batch of queued rows to the database in one transaction with prepared statements:
// targets, failures, probes (when recording successes), state changes, and the per-minute
// rollups aggregated in memory from the batch's results.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "storage/queued_row.hpp"
#include "storage/sqlite_connection.hpp"

namespace faultline {

// The JSON object `{"name":"value",...}` stored in targets.labels.
std::string labels_json(const Labels& labels);

class BatchWriter {
 public:
  // Prepares every statement on `db`, which must already be migrated. The statements keep the
  // connection open until the writer is gone.
  static Expected<BatchWriter> create(SqliteConnection& db, bool record_successes);
  BatchWriter(BatchWriter&&) noexcept;
  BatchWriter& operator=(BatchWriter&&) noexcept;
  ~BatchWriter();

  // Writes all rows or none: on failure the transaction is rolled back and the error returned,
  // so the same rows can be written again later without counting anything twice.
  Status write(std::span<const QueuedRow> rows);

 private:
  struct Statements;
  // Adds to the rollup of one target-minute (the row's totals are summed into the stored ones).
  struct RollupDelta {
    std::int64_t probes = 0;
    std::int64_t ok = 0;
    std::int64_t slow = 0;  // ok probes slower than degraded_after
    std::optional<double> min_ms;
    std::optional<double> max_ms;
    double sum_ms = 0;
    std::int64_t timed = 0;
  };

  explicit BatchWriter(bool record_successes);
  Status write_rows(std::span<const QueuedRow> rows);
  Expected<std::int64_t> target_id(const TargetRef& target, std::int64_t seen_ms);
  Status insert_result(SqliteStatement& stmt, std::int64_t target_id, const ResultRow& row);
  // One state change of the target `target_id`.
  Status write_state_change(std::int64_t target_id, const StateChange& c);
  Status write_idle_finding(std::int64_t target_id, const IdleRow& row);
  Status write_path_trace(const PathTraceRow& row);

  bool record_successes_;
  sqlite3* db_ = nullptr;  // for sqlite3_changes(); owned by the SqliteConnection
  std::unique_ptr<Statements> stmts_;
  // name -> (the record last written, its id). Cleared when a transaction fails, since the ids it
  // learnt may have been rolled back.
  std::map<std::string, std::pair<TargetRef, std::int64_t>, std::less<>> ids_;
};

}  // namespace faultline
