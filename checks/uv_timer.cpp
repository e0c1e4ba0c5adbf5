#include "checks/uv_timer.hpp"

namespace faultline {

UvTimer::UvTimer(uv_loop_t* loop) : handle_(new Handle) {
  uv_timer_init(loop, &handle_->timer);
  handle_->timer.data = handle_;
}

UvTimer::~UvTimer() {
  uv_timer_stop(&handle_->timer);
  handle_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void UvTimer::start(std::uint64_t ms, std::function<void()> fn) {
  handle_->fn = std::move(fn);
  uv_timer_start(
      &handle_->timer,
      [](uv_timer_t* t) {
        // Moved out first: the callback may destroy this UvTimer or re-arm it.
        auto fn = std::move(static_cast<Handle*>(t->data)->fn);
        if (fn) fn();
      },
      ms, 0);
}

void UvTimer::stop() {
  uv_timer_stop(&handle_->timer);
  handle_->fn = nullptr;
}

}  // namespace faultline
