#include "daemon/clock.hpp"

#include <chrono>

#include "checks/utc_time.hpp"

namespace faultline {

std::int64_t SystemClock::monotonic_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t SystemClock::unix_ms() const {
  return unix_now_ms();
}

}  // namespace faultline
