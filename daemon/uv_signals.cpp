#include "daemon/uv_signals.hpp"

#include <pthread.h>

namespace faultline {
namespace {

void change_mask(int how, std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals)
    sigaddset(&set, s);
  // Fails only for an invalid `how`.
  pthread_sigmask(how, &set, nullptr);
}

}  // namespace

void hold_signals(std::initializer_list<int> signals) {
  change_mask(SIG_BLOCK, signals);
}

void release_signals(std::initializer_list<int> signals) {
  change_mask(SIG_UNBLOCK, signals);
}

UvSignals::~UvSignals() {
  for (Handle* h : handles_) {
    uv_signal_stop(&h->signal);
    uv_close(reinterpret_cast<uv_handle_t*>(&h->signal),
             [](uv_handle_t* handle) { delete static_cast<Handle*>(handle->data); });
  }
}

void UvSignals::on(int signum, std::function<void()> fn) {
  auto* h = new Handle{{}, std::move(fn)};
  uv_signal_init(loop_, &h->signal);
  h->signal.data = h;
  uv_signal_start(
      &h->signal, [](uv_signal_t* s, int) { static_cast<Handle*>(s->data)->fn(); }, signum);
  handles_.push_back(h);
}

}  // namespace faultline
