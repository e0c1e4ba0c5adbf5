// Signal handling on the event loop: libuv turns signals into loop callbacks, so handlers may
// do anything a loop callback may. Before the loop's watchers exist, signals are held instead:
// blocked, they wait pending rather than take their default action (SIGHUP and SIGTERM would
// end the process), and are delivered once unblocked.
#pragma once

#include <uv.h>

#include <csignal>
#include <functional>
#include <initializer_list>
#include <vector>

namespace faultline {

// The signals `faultline run` handles: SIGHUP (reload), SIGTERM and SIGINT (stop).
inline constexpr std::initializer_list<int> kDaemonSignals = {SIGHUP, SIGTERM, SIGINT};

// Blocks `signals` in the calling thread and so in every thread it starts from now on (threads
// inherit the mask): one sent to the process meanwhile stays pending and reaches no thread.
void hold_signals(std::initializer_list<int> signals);
// Unblocks `signals` in the calling thread only. One pending is delivered to it before this
// returns, so the handler (a UvSignals watcher) must be installed first.
void release_signals(std::initializer_list<int> signals);

class UvSignals {
 public:
  explicit UvSignals(uv_loop_t* loop) : loop_(loop) {}
  // Stops the watchers: a signal then takes its default action again unless it is held.
  ~UvSignals();
  UvSignals(const UvSignals&) = delete;
  UvSignals& operator=(const UvSignals&) = delete;

  // Calls `fn` on the loop thread each time `signum` arrives. libuv's handler takes the signal
  // on whichever thread it is delivered to and passes it to the loop through a pipe; a held
  // signal is delivered (and so handled) once the thread that holds it releases it.
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
