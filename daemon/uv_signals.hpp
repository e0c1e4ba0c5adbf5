// Signal handling on the event loop: libuv turns signals into loop callbacks, so handlers may
// do anything a loop callback may.
#pragma once

#include <uv.h>

#include <functional>
#include <vector>

namespace faultline {

class UvSignals {
 public:
  explicit UvSignals(uv_loop_t* loop) : loop_(loop) {}
  ~UvSignals();
  UvSignals(const UvSignals&) = delete;
  UvSignals& operator=(const UvSignals&) = delete;

  // Calls `fn` on the loop thread each time `signum` arrives.
  void on(int signum, std::function<void()> fn);

 private:
  struct Handle {
    uv_signal_t signal;
    std::function<void()> fn;
  };
  uv_loop_t* loop_;
  std::vector<Handle*> handles_;
};

}  // namespace faultline
