// Keeping the database file bounded: expired rows are deleted in small chunks, free pages are
// handed back to the filesystem a little at a time, and the WAL is checkpointed without ever
// waiting for readers.
#pragma once

#include <cstdint>

#include "storage/sqlite_connection.hpp"
#include "storage/storage_options.hpp"

namespace faultline {

struct PruneOutcome {
  std::int64_t rows_deleted = 0;
  // A table still had expired rows when its chunk budget ran out: prune again soon.
  bool more = false;
};

// Deletes rows older than their retention (failures and probes: retention_failures; rollups and
// state_changes: retention_rollups) relative to `now_ms`, at most options.prune_chunks_per_pass
// chunks of options.prune_chunk_rows rows per table. Each chunk is its own short transaction, so
// the write lock is never held for long.
Expected<PruneOutcome> prune_expired(SqliteConnection& db, const StorageOptions& options,
                                     std::int64_t now_ms);

// Returns free pages to the filesystem (PRAGMA incremental_vacuum), at most `max_pages` per
// call, once more than `max_pages` are free. Deleted rows' pages are reused by new rows first,
// so in steady state the free list stays small and this does nothing; it shrinks the file after
// a retention cut or removed targets. Returns the pages released.
Expected<std::int64_t> reclaim_free_pages(SqliteConnection& db, std::int64_t max_pages);

// Copies the WAL into the database as far as no reader still needs it, without waiting for any
// (SQLITE_CHECKPOINT_PASSIVE). Once a checkpoint has caught up, the next commit restarts the WAL
// from its beginning and trims it to journal_size_limit. Fails only on I/O errors.
Status checkpoint_passive(SqliteConnection& db);

}  // namespace faultline
