// The bounded queue between the event loop and the writer thread. Pushing never blocks beyond a
// short mutex hold; when the queue is full the oldest row is dropped and counted, because recent
// history is worth more than old history while the database is unwritable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "storage/queued_row.hpp"

namespace faultline {

class RowQueue {
 public:
  // `capacity` rows wait at most; a batch being written is held outside the queue.
  explicit RowQueue(std::size_t capacity);

  // Appends a row, dropping the oldest first when the queue is full. Wakes the writer when the
  // queue reaches `wake_at` rows.
  void push(QueuedRow row);
  // Moves up to `max` of the oldest rows to the end of `out`; they count as in flight until
  // settle() or put_back().
  void take(std::size_t max, std::vector<QueuedRow>& out);
  // The in-flight rows were committed.
  void settle(std::size_t rows);
  // The in-flight rows could not be written: they go back to the front, oldest first, and the
  // oldest are dropped if that overfills the queue. `rows` is left empty.
  void put_back(std::vector<QueuedRow>& rows);

  // Blocks until `deadline`, until the queue holds `min_rows` or more, or until wake() —
  // whichever comes first. A wake() before the call makes it return at once.
  void wait(std::chrono::steady_clock::time_point deadline, std::size_t min_rows);
  void wake();
  // When push() wakes the writer early; 0 never.
  void set_wake_at(std::size_t rows);

  // Rows waiting or in flight; readable from any thread.
  std::uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  std::uint64_t pushed_total() const { return pushed_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_total() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void drop_excess_locked();
  void publish_pending_locked();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<QueuedRow> rows_;
  std::size_t in_flight_ = 0;
  std::size_t wake_at_ = 0;
  bool woken_ = false;
  std::atomic<std::uint64_t> pending_{0};
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace faultline
