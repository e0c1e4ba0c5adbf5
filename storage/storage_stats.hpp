// What the SQLite history store reports about itself, and those numbers as the process
// publishes them (faultline_storage_*).
#pragma once

#include <cstdint>

#include "sinks/process_stat.hpp"

namespace faultline {

// Counters readable from any thread.
struct StorageStats {
  // Rows accepted but not yet committed, including a batch that is being retried.
  std::uint64_t queue_rows = 0;
  // Rows lost because the queue was full while the database could not be written.
  std::uint64_t rows_dropped_total = 0;
  // Failed attempts to open the database or to commit a batch or a prune.
  std::uint64_t write_errors_total = 0;
  // Rows committed to the database.
  std::uint64_t rows_written_total = 0;
};

// faultline_storage_queue_rows (gauge), faultline_storage_rows_dropped_total and
// faultline_storage_write_errors_total (counters: running totals since the store opened).
ProcessStats to_process_stats(const StorageStats& stats);

}  // namespace faultline
