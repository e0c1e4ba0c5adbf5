// The SQLite history: a ResultSink that records every classified failure, per-minute uptime
// rollups, state changes and (optionally) every probe in one database file meant to be queried
// with the sqlite3 shell. See docs/storage.md for the schema, the faults it survives and its size.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "checks/expected.hpp"
#include "sinks/result_sink.hpp"
#include "storage/history_lock.hpp"
#include "storage/queued_row.hpp"
#include "storage/row_queue.hpp"
#include "storage/storage_options.hpp"
#include "storage/storage_stats.hpp"

namespace faultline {

class StoreWriter;
class SqliteConnection;

class SqliteStore final : public ResultSink {
 public:
  // Opens (creating when missing) and migrates the database at options.path on the calling
  // thread, takes its HistoryLock for the store's lifetime, ends the outages a faultline that
  // stopped without a word left open, then starts the writer thread. Fails
  // when the directory cannot be created or the file cannot be opened for writing, is not a
  // database, is in use with a write lock past the busy timeout or has a newer schema, and when
  // another store (another faultline) holds the history: "in use by another faultline (pid
  // 1234); ...". The error starts with "storage database '<path>': " and says why. The daemon
  // treats it as fatal at start (exit 1).
  static Expected<std::unique_ptr<SqliteStore>> open(const StorageOptions& options);

  // Makes one last attempt to write what is queued (call flush() first to bound the wait), ends
  // the outages still open at their target's last probe (faultline is stopping; see
  // stopped_outages.hpp), then stops the writer thread and releases the history.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // ResultSink. All four run on the event-loop thread and only queue rows (no SQLite, no disk);
  // on_* never fail: when the queue is full the oldest row is dropped and counted instead.
  void on_targets(const std::vector<const TargetInfo*>& targets) override;
  void on_result(const TargetInfo& target, const ProbeResult& result) override;
  void on_state_change(const TargetInfo& target, const StateChange& change) override;
  // Extends the target's latest idle_findings row when the verdict is the same, else starts a
  // new one.
  void on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                       std::int64_t at_ms) override;
  // Records a trace that ran; one that could not run is not about the target.
  void on_path_trace(const TargetInfo& target, const PathTrace& trace) override;
  // Commits everything queued so far, retrying a failing database once, and waits at most
  // `budget`; rows still queued then are logged as not yet written.
  void flush(std::chrono::milliseconds budget) override;

  // The store's counters; safe to call from any thread.
  StorageStats stats() const;
  // The same, as the process publishes them (faultline_storage_*); safe from any thread.
  ProcessStats process_stats() const { return to_process_stats(stats()); }
  const StorageOptions& options() const { return options_; }

 private:
  SqliteStore(const StorageOptions& options, HistoryLock lock, SqliteConnection db);
  // The shared record of `target`, rebuilt when the daemon's TargetInfo changed under us.
  TargetRef record_for(const TargetInfo& target);

  const StorageOptions options_;
  // Released last, once the writer has stopped writing.
  HistoryLock lock_;
  RowQueue queue_;
  // Loop-thread only: one record per TargetInfo address (stable while configured).
  std::unordered_map<const TargetInfo*, TargetRef> records_;
  // Declared last: stopped before the queue it drains is destroyed.
  std::unique_ptr<StoreWriter> writer_;
};

}  // namespace faultline
