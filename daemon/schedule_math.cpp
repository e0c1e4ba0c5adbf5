#include "daemon/schedule_math.hpp"

#include "daemon/name_hash.hpp"

namespace faultline {

std::chrono::milliseconds start_offset(std::string_view name, std::chrono::milliseconds interval) {
  const auto period = static_cast<std::uint64_t>(interval.count());
  if (period == 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(name_hash(name) % period));
}

std::int64_t first_due_unix_ms(std::int64_t now_unix_ms, std::chrono::milliseconds interval,
                               std::chrono::milliseconds offset) {
  const std::int64_t period = interval.count();
  if (period <= 0) return now_unix_ms;
  const std::int64_t into = ((now_unix_ms - offset.count()) % period + period) % period;
  return into == 0 ? now_unix_ms : now_unix_ms + (period - into);
}

}  // namespace faultline
