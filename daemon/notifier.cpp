#include "daemon/notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>

namespace faultline {

void SystemdNotifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void SystemdNotifier::reloading() {
  // MONOTONIC_USEC lets systemd (253+, Type=notify-reload) match this to the reload it asked
  // for; older versions ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
                             static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", static_cast<unsigned long long>(usec));
}

void SystemdNotifier::stopping() {
  sd_notify(0, "STOPPING=1");
}

void SystemdNotifier::watchdog() {
  sd_notify(0, "WATCHDOG=1");
}

void SystemdNotifier::status(const std::string& text) {
  sd_notifyf(0, "STATUS=%s", text.c_str());
}

std::optional<std::chrono::milliseconds> SystemdNotifier::watchdog_period() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::uint64_t>(1, usec / 2000));
}

}  // namespace faultline
