// What the SQLite history store needs to know. The daemon fills StorageOptions from the
// `storage:` config section.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace faultline {

struct StorageOptions {
  // The database file. Its missing parent folders are created, and named in the log.
  std::string path;
  // `failures` and `probes` rows older than this are pruned.
  std::chrono::milliseconds retention_failures = std::chrono::days(90);
  // `rollups` and `state_changes` rows older than this are pruned: uptime and outage history
  // outlive the individual failures.
  std::chrono::milliseconds retention_rollups = std::chrono::days(400);
  // Also keep one `probes` row per probe, successes included (see docs/storage.md for growth).
  bool record_successes = false;
  // Rows kept in memory while the database cannot be written; past this the oldest are dropped
  // and counted. A failure row takes about 350 bytes, so the default bounds the queue near 35 MB.
  std::size_t queue_capacity = 100'000;
  // Rows written in one transaction at most; a busy queue is drained in several.
  std::size_t max_batch_rows = 5'000;
  // The writer commits whatever is queued at least this often.
  std::chrono::milliseconds flush_interval{1'000};
  // How long a write waits for another connection's write lock before it counts as failed.
  std::chrono::milliseconds busy_timeout{5'000};
  // After a failed write the writer retries after `retry_initial`, doubling up to `retry_max`.
  std::chrono::milliseconds retry_initial{1'000};
  std::chrono::milliseconds retry_max{30'000};
  // How often expired rows are looked for. While a pass finds more than it may delete, the next
  // pass follows on the next flush instead.
  std::chrono::milliseconds prune_interval{60'000};
  // One DELETE removes at most this many rows, so no prune holds the write lock for long.
  std::size_t prune_chunk_rows = 1'000;
  // Chunks per table per pass.
  int prune_chunks_per_pass = 4;
  // The WAL file is truncated back to this size whenever it restarts (PRAGMA journal_size_limit).
  std::int64_t journal_size_limit_bytes = std::int64_t{16} * 1024 * 1024;
};

}  // namespace faultline
