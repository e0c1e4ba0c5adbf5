// Time as the daemon sees it, behind an interface so scheduling is tested without sleeping.
#pragma once

#include <cstdint>

namespace faultline {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on a clock that never jumps (scheduling).
  virtual std::int64_t monotonic_ms() const = 0;
  // Unix milliseconds (timestamps, and anchoring schedule phases so restarts keep them).
  virtual std::int64_t unix_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override;
  std::int64_t unix_ms() const override;
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_ms = 1'700'000'000'000) : unix_(unix_ms) {}
  std::int64_t monotonic_ms() const override { return mono_; }
  std::int64_t unix_ms() const override { return unix_; }
  void advance(std::int64_t ms) {
    mono_ += ms;
    unix_ += ms;
  }

 private:
  std::int64_t mono_ = 1'000'000;
  std::int64_t unix_;
};

}  // namespace faultline
