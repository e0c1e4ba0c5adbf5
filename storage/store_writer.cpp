#include "storage/store_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "checks/utc_time.hpp"
#include "storage/open_database.hpp"
#include "storage/retention.hpp"
#include "storage/stopped_outages.hpp"

namespace faultline {
namespace {

// Batches written per wake-up at most, so pruning and checkpoints still run under a flood.
constexpr int kBatchesPerCycle = 8;
// Free pages released per prune pass at most (4 MiB at the default page size).
constexpr std::int64_t kReclaimPages = 1024;

}  // namespace

StoreWriter::StoreWriter(const StorageOptions& options, RowQueue& queue, SqliteConnection db)
    : options_(options), queue_(queue), db_(std::move(db)) {
  next_prune_ = Clock::now();
  queue_.set_wake_at(options_.max_batch_rows);
  thread_ = std::thread([this] { run(); });
}

StoreWriter::~StoreWriter() {
  stop_.store(true);
  queue_.wake();
  thread_.join();
}

bool StoreWriter::flush(std::chrono::milliseconds budget) {
  const std::uint64_t target = queue_.pushed_total();
  const auto deadline = Clock::now() + budget;
  flush_requested_.store(true);
  queue_.wake();
  std::unique_lock lock(progress_mutex_);
  return progress_cv_.wait_until(
      lock, deadline, [&] { return rows_written_.load() + queue_.dropped_total() >= target; });
}

void StoreWriter::run() {
  auto next_write = Clock::now() + options_.flush_interval;
  while (!stop_.load()) {
    // While failing only a deadline or a flush wakes the writer: a filling queue must not turn
    // the backoff into a busy retry loop.
    queue_.wait(failing_ ? retry_at_ : next_write,
                failing_ ? std::numeric_limits<std::size_t>::max() : options_.max_batch_rows);
    if (stop_.load()) break;
    const bool forced = flush_requested_.exchange(false);
    const auto now = Clock::now();
    if (!forced) {
      if (failing_ && now < retry_at_) continue;
      if (!failing_ && now < next_write && queue_.pending() < options_.max_batch_rows) continue;
    }
    cycle();
    next_write = Clock::now() + options_.flush_interval;
    notify_progress();
  }
  // One last attempt, whatever the backoff says: the process is about to exit.
  cycle();
  if (const std::uint64_t left = queue_.pending(); left > 0) {
    spdlog::error("storage: {} rows could not be written to '{}' before exit and are lost", left,
                  options_.path);
  }
  end_outages();
  notify_progress();
}

void StoreWriter::end_outages() {
  // Without a connection the next start ends them, at the same last probes.
  if (!db_) return;
  if (auto ended = end_outages_of_stopped_run(*db_); !ended) {
    spdlog::warn("storage database '{}': {}; the next start ends them", options_.path,
                 ended.error());
  } else if (*ended > 0) {
    spdlog::info("storage: {} outage(s) still open end at their target's last probe", *ended);
  }
}

void StoreWriter::cycle() {
  if (db_ && db_->file_moved()) {
    // SQLite would keep writing into the unlinked or renamed-over file without an error, and
    // every row from now on would be lost. Start over on whatever is at the path now: a new
    // file where the old one was deleted, the replacement where it was replaced.
    spdlog::warn("storage: '{}' was deleted or replaced while open; reopening it", options_.path);
    batch_writer_.reset();
    db_.reset();
  }
  if (!batch_writer_ && !connect()) {
    report_losses();
    return;
  }
  if (write_queued()) {
    on_success();
    maintain();
  }
  report_losses();
}

bool StoreWriter::connect() {
  if (!db_) {
    auto db = open_database(options_);
    if (!db) {
      on_failure(db.error());
      return false;
    }
    db_.emplace(std::move(*db));
  }
  auto writer = BatchWriter::create(*db_, options_.record_successes);
  if (!writer) {
    on_failure("storage database '" + options_.path + "': " + writer.error());
    return false;
  }
  batch_writer_.emplace(std::move(*writer));
  return true;
}

bool StoreWriter::write_queued() {
  for (int i = 0; i < kBatchesPerCycle; ++i) {
    std::vector<QueuedRow> batch;
    queue_.take(options_.max_batch_rows, batch);
    if (batch.empty()) return true;
    const std::size_t rows = batch.size();
    if (auto s = batch_writer_->write(batch); !s) {
      queue_.put_back(batch);
      on_failure("storage database '" + options_.path + "': cannot write: " + s.error());
      return false;
    }
    queue_.settle(rows);
    rows_written_.fetch_add(rows);
    if (rows < options_.max_batch_rows) return true;
  }
  return true;
}

void StoreWriter::maintain() {
  const auto now = Clock::now();
  if (now < next_prune_) return;
  auto pruned = prune_expired(*db_, options_, unix_now_ms());
  if (!pruned) {
    on_failure("storage database '" + options_.path + "': " + pruned.error());
    return;
  }
  if (auto reclaimed = reclaim_free_pages(*db_, kReclaimPages); !reclaimed) {
    on_failure("storage database '" + options_.path + "': " + reclaimed.error());
    return;
  }
  if (auto s = checkpoint_passive(*db_); !s) {
    on_failure("storage database '" + options_.path + "': " + s.error());
    return;
  }
  if (pruned->rows_deleted > 0) {
    spdlog::debug("storage: pruned {} expired rows", pruned->rows_deleted);
  }
  // A pass that ran out of budget continues at the next cycle instead of waiting a full interval.
  next_prune_ = pruned->more ? now : now + options_.prune_interval;
}

void StoreWriter::on_failure(const std::string& error) {
  write_errors_.fetch_add(1);
  ++failed_attempts_;
  const auto now = Clock::now();
  if (!failing_) {
    failing_ = true;
    failing_since_ = now;
    retry_delay_ = options_.retry_initial;
    spdlog::error(
        "{}; probing continues, up to {} rows stay queued and the write is retried with backoff",
        error, options_.queue_capacity);
  } else if (error != last_error_) {
    spdlog::warn("{} (still failing)", error);
  }
  last_error_ = error;
  retry_at_ = now + retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, options_.retry_max);
  // Start over from a fresh connection: one opened before a remount, a replaced file or a
  // permission fix would keep failing.
  batch_writer_.reset();
  db_.reset();
}

void StoreWriter::on_success() {
  if (!failing_) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - failing_since_).count();
  spdlog::info("storage: writing to '{}' again after {:.1f}s and {} failed attempts", options_.path,
               seconds, failed_attempts_);
  failing_ = false;
  failed_attempts_ = 0;
  last_error_.clear();
}

void StoreWriter::report_losses() {
  const std::uint64_t dropped = queue_.dropped_total();
  if (dropped > seen_dropped_) {
    if (!losing_) {
      losing_ = true;
      dropped_before_episode_ = seen_dropped_;
      spdlog::warn(
          "storage: queue full ({} rows): dropping the oldest rows, counted in "
          "faultline_storage_rows_dropped_total",
          options_.queue_capacity);
    }
    seen_dropped_ = dropped;
  } else if (losing_ && !failing_) {
    losing_ = false;
    spdlog::warn("storage: no longer dropping rows; {} rows were lost",
                 dropped - dropped_before_episode_);
  }
}

void StoreWriter::notify_progress() {
  // Taking the mutex orders this notification after flush()'s predicate check.
  { std::lock_guard lock(progress_mutex_); }
  progress_cv_.notify_all();
}

}  // namespace faultline
