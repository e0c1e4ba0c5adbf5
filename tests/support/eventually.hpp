// eventually: wait for something another thread will make true, without a fixed sleep.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace faultline::testing {

// Polls `condition` every `poll` until it holds (returns true) or `timeout` passes (returns
// false). For counters a fixture thread updates after the client already saw the outcome, e.g.
// a server counting a handshake the client aborted; a condition that is costly to evaluate
// (a database query, a scrape) gets a longer `poll`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(2),
                       std::chrono::milliseconds poll = std::chrono::milliseconds(1)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace faultline::testing
