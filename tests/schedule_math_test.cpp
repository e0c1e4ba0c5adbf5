#include "daemon/schedule_math.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace faultline;
using std::chrono::milliseconds;

TEST_CASE("schedule: offsets are stable per name and inside the interval") {
  const milliseconds interval(60'000);
  CHECK(start_offset("api", interval) == start_offset("api", interval));
  CHECK(start_offset("api", interval) != start_offset("api2", interval));
  for (int i = 0; i < 1000; ++i) {
    auto off = start_offset("t" + std::to_string(i), interval);
    CHECK(off.count() >= 0);
    CHECK(off < interval);
  }
  CHECK(start_offset("api", milliseconds(0)) == milliseconds(0));
}

TEST_CASE("schedule: 10,000 targets with one interval spread evenly") {
  const milliseconds interval(60'000);
  std::array<int, 20> buckets{};
  for (int i = 0; i < 10'000; ++i) {
    auto off = start_offset("web-" + std::to_string(i), interval);
    ++buckets[static_cast<std::size_t>(off.count() * 20 / interval.count())];
  }
  // 500 expected per 3 s bucket; a uniform hash stays well within +-20 %.
  for (int count : buckets) {
    CHECK(count > 400);
    CHECK(count < 600);
  }
}

TEST_CASE("schedule: the first due time keeps the phase across restarts") {
  const milliseconds interval(30'000), offset(7'000);
  // Anchored to the epoch: any 'now' gives a time congruent to the offset.
  for (std::int64_t now : {1'700'000'000'000LL, 1'700'000'012'345LL, 1'700'000'029'999LL}) {
    std::int64_t due = first_due_unix_ms(now, interval, offset);
    CHECK(due >= now);
    CHECK(due - now < interval.count());
    CHECK((due - offset.count()) % interval.count() == 0);
  }
  // Exactly on the phase: now.
  const std::int64_t on_phase = 1'700'000'010'000LL + 7'000 - (1'700'000'010'000LL % 30'000);
  CHECK(first_due_unix_ms(on_phase, interval, offset) == on_phase);
}
