#include <doctest/doctest.h>

#include <thread>

#include "storage/row_queue.hpp"

using namespace faultline;

namespace {

QueuedRow row_at(std::int64_t t) {
  ResultRow r;
  r.time_ms = t;
  return r;
}

std::vector<std::int64_t> times_of(const std::vector<QueuedRow>& rows) {
  std::vector<std::int64_t> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back(std::get<ResultRow>(r).time_ms);
  return out;
}

}  // namespace

TEST_CASE("storage row queue: a full queue drops its oldest rows and counts them") {
  RowQueue queue(3);
  for (int t = 1; t <= 5; ++t)
    queue.push(row_at(t));
  CHECK(queue.dropped_total() == 2);
  CHECK(queue.pending() == 3);
  std::vector<QueuedRow> out;
  queue.take(10, out);
  CHECK(times_of(out) == std::vector<std::int64_t>{3, 4, 5});
}

TEST_CASE("storage row queue: a batch put back goes first, and overflow drops from it") {
  RowQueue queue(4);
  for (int t = 1; t <= 3; ++t)
    queue.push(row_at(t));
  std::vector<QueuedRow> batch;
  queue.take(2, batch);  // 1, 2 in flight
  CHECK(queue.pending() == 3);
  for (int t = 4; t <= 6; ++t)
    queue.push(row_at(t));  // 3..6 queued: full, nothing dropped yet
  CHECK(queue.dropped_total() == 0);
  CHECK(queue.pending() == 6);
  queue.put_back(batch);  // 1..6 is two too many: the two oldest go
  CHECK(batch.empty());
  CHECK(queue.dropped_total() == 2);
  std::vector<QueuedRow> out;
  queue.take(10, out);
  CHECK(times_of(out) == std::vector<std::int64_t>{3, 4, 5, 6});
  queue.settle(out.size());
  CHECK(queue.pending() == 0);
}

TEST_CASE("storage row queue: wait returns on wake, on enough rows, or at the deadline") {
  RowQueue queue(100);
  const auto start = std::chrono::steady_clock::now();
  queue.wait(start + std::chrono::milliseconds(50), 1);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));

  queue.set_wake_at(2);
  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    queue.push(row_at(1));
    queue.push(row_at(2));
  });
  queue.wait(std::chrono::steady_clock::now() + std::chrono::seconds(30), 2);
  pusher.join();
  CHECK(queue.pending() == 2);

  queue.wake();  // a wake before the wait is not lost
  const auto before = std::chrono::steady_clock::now();
  queue.wait(before + std::chrono::seconds(30), 100);
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(10));
}
