#include "storage/row_queue.hpp"

#include <algorithm>
#include <iterator>

namespace faultline {

RowQueue::RowQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void RowQueue::push(QueuedRow row) {
  bool wake_writer = false;
  {
    std::lock_guard lock(mutex_);
    rows_.push_back(std::move(row));
    pushed_.fetch_add(1, std::memory_order_relaxed);
    drop_excess_locked();
    publish_pending_locked();
    wake_writer = wake_at_ != 0 && rows_.size() == wake_at_;
  }
  // Only on crossing the threshold, so a busy loop does not signal the writer for every row.
  if (wake_writer) cv_.notify_one();
}

void RowQueue::take(std::size_t max, std::vector<QueuedRow>& out) {
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(max, rows_.size());
  out.reserve(out.size() + n);
  std::move(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(out));
  rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(n));
  in_flight_ += n;
}

void RowQueue::settle(std::size_t rows) {
  std::lock_guard lock(mutex_);
  in_flight_ -= std::min(rows, in_flight_);
  publish_pending_locked();
}

void RowQueue::put_back(std::vector<QueuedRow>& rows) {
  std::lock_guard lock(mutex_);
  in_flight_ -= std::min(rows.size(), in_flight_);
  rows_.insert(rows_.begin(), std::make_move_iterator(rows.begin()),
               std::make_move_iterator(rows.end()));
  rows.clear();
  drop_excess_locked();
  publish_pending_locked();
}

void RowQueue::wait(std::chrono::steady_clock::time_point deadline, std::size_t min_rows) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [&] { return woken_ || rows_.size() >= min_rows; });
  woken_ = false;
}

void RowQueue::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void RowQueue::set_wake_at(std::size_t rows) {
  std::lock_guard lock(mutex_);
  wake_at_ = rows;
}

void RowQueue::drop_excess_locked() {
  if (rows_.size() <= capacity_) return;
  const std::size_t excess = rows_.size() - capacity_;
  rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(excess));
  dropped_.fetch_add(excess, std::memory_order_relaxed);
}

void RowQueue::publish_pending_locked() {
  pending_.store(rows_.size() + in_flight_, std::memory_order_relaxed);
}

}  // namespace faultline
