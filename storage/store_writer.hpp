// The writer thread: the only place where the store touches SQLite after start-up. It drains
// the RowQueue in batches at least once per flush interval, retries failed writes with
// exponential backoff on a fresh connection, prunes expired rows and checkpoints the WAL.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/batch_writer.hpp"
#include "storage/row_queue.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/storage_options.hpp"

namespace faultline {

class StoreWriter {
 public:
  // Starts the thread, which writes through `db` (already opened by open_database()) until the
  // first failure and through connections of its own after that. `queue` must outlive the writer.
  StoreWriter(const StorageOptions& options, RowQueue& queue, SqliteConnection db);
  // Makes one last attempt to commit what is queued, ends the outages still open at their
  // target's last probe (faultline stops: end_outages_of_stopped_run), then stops the thread.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Asks for an immediate write, even during a retry backoff, and waits until every row pushed
  // before the call is committed or dropped, or until `budget` has passed. True when it all was.
  bool flush(std::chrono::milliseconds budget);

  std::uint64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }
  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  void cycle();
  bool connect();
  bool write_queued();
  void maintain();
  void on_failure(const std::string& error);
  void on_success();
  void report_losses();
  void notify_progress();
  void end_outages();

  const StorageOptions options_;
  RowQueue& queue_;

  // Touched only by the writer thread.
  std::optional<SqliteConnection> db_;
  std::optional<BatchWriter> batch_writer_;
  bool failing_ = false;
  Clock::time_point failing_since_;
  std::uint64_t failed_attempts_ = 0;
  std::string last_error_;
  std::chrono::milliseconds retry_delay_{0};
  Clock::time_point retry_at_;
  Clock::time_point next_prune_;
  bool losing_ = false;
  std::uint64_t seen_dropped_ = 0;
  std::uint64_t dropped_before_episode_ = 0;

  std::atomic<bool> stop_{false};
  std::atomic<bool> flush_requested_{false};
  std::atomic<std::uint64_t> rows_written_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::mutex progress_mutex_;
  std::condition_variable progress_cv_;
  std::thread thread_;
};

}  // namespace faultline
