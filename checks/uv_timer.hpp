// A one-shot libuv timer owned like a value. libuv frees handles asynchronously (uv_close), so
// the handle lives on the heap and is released by the loop after the owner is gone.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace faultline {

class UvTimer {
 public:
  explicit UvTimer(uv_loop_t* loop);
  ~UvTimer();
  UvTimer(const UvTimer&) = delete;
  UvTimer& operator=(const UvTimer&) = delete;

  // (Re)arms the timer to call `fn` once after `ms` milliseconds, replacing any earlier arming.
  void start(std::uint64_t ms, std::function<void()> fn);
  void stop();

 private:
  struct Handle {
    uv_timer_t timer;
    std::function<void()> fn;
  };
  Handle* handle_;
};

}  // namespace faultline
