// StopSignal and wait_for: how fixture threads block on a socket yet still stop at once when
// their owner is destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>

#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// A one-shot "stop now" flag that poll() can wait on: an eventfd that becomes, and stays,
// readable once fire() is called, waking every thread that polls it.
class StopSignal {
 public:
  // Throws std::system_error when the eventfd cannot be created.
  StopSignal();

  // Wakes every current and future waiter. Thread-safe and idempotent.
  void fire();

  // Whether fire() was called. Cheap enough to ask in a tight write loop.
  bool fired() const { return fired_.load(std::memory_order_relaxed); }

  // The descriptor to poll for POLLIN. Owned here.
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::atomic<bool> fired_{false};
};

enum class WaitResult { ready, timed_out, stopped };

// Waits until `fd` reports one of `events` (POLLIN, POLLOUT; errors and hang-ups count as
// ready, so the caller's next read or write reports them), `stop` fires, or `timeout` passes
// (none: no limit). A stop wins over readiness. EINTR is retried with the time left.
WaitResult wait_for(int fd, short events, const StopSignal& stop,
                    std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// Sleeps for `duration` unless `stop` fires first; returns false when it did.
bool sleep_unless_stopped(std::chrono::milliseconds duration, const StopSignal& stop);

}  // namespace faultline::testing
