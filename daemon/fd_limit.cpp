#include "daemon/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace faultline {

FdLimit raise_fd_limit() {
  FdLimit out;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return out;
  out.soft_before = out.soft = rl.rlim_cur;
  out.hard = rl.rlim_max;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) out.soft = raised.rlim_cur;
  }
  return out;
}

std::size_t default_max_in_flight(std::uint64_t soft) {
  // One socket per probe, plus the probe that is closing while its successor opens.
  constexpr std::uint64_t kReserved = 128;
  const std::uint64_t usable = soft > kReserved ? soft - kReserved : 16;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(usable / 2, 16, 50'000));
}

}  // namespace faultline
