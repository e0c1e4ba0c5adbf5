#include "tests/support/stop_signal.hpp"

#include <poll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace faultline::testing {

StopSignal::StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

void StopSignal::fire() {
  // Nobody ever reads the counter, so the fd stays readable for every later poll.
  fired_.store(true, std::memory_order_relaxed);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

WaitResult wait_for(int fd, short events, const StopSignal& stop,
                    std::optional<std::chrono::milliseconds> timeout) {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    pollfd fds[2] = {{stop.fd(), POLLIN, 0}, {fd, events, 0}};
    int n = ::poll(fds, fd >= 0 ? 2 : 1, deadline ? remaining_ms(*deadline) : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return WaitResult::stopped;  // poll itself failing means our fds are gone: give up
    }
    if (fds[0].revents != 0) return WaitResult::stopped;
    if (n > 0) return WaitResult::ready;
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return WaitResult::timed_out;
  }
}

bool sleep_unless_stopped(std::chrono::milliseconds duration, const StopSignal& stop) {
  return wait_for(-1, 0, stop, duration) != WaitResult::stopped;
}

}  // namespace faultline::testing
