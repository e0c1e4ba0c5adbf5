#include "daemon/schedule_math.hpp"

namespace faultline {
namespace {

std::uint64_t hash_name(std::string_view name) {
  // FNV-1a, then the splitmix64 finaliser: FNV alone leaves sequential names ("web-1",
  // "web-2") clustered in the low bits that a modulo keeps.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

std::chrono::milliseconds start_offset(std::string_view name, std::chrono::milliseconds interval) {
  const auto period = static_cast<std::uint64_t>(interval.count());
  if (period == 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(hash_name(name) % period));
}

std::int64_t first_due_unix_ms(std::int64_t now_unix_ms, std::chrono::milliseconds interval,
                               std::chrono::milliseconds offset) {
  const std::int64_t period = interval.count();
  if (period <= 0) return now_unix_ms;
  const std::int64_t into = ((now_unix_ms - offset.count()) % period + period) % period;
  return into == 0 ? now_unix_ms : now_unix_ms + (period - into);
}

}  // namespace faultline
