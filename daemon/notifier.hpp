// The systemd notify protocol (sd_notify(3)), behind an interface so the daemon's use of it is
// observable in tests. Without NOTIFY_SOCKET every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace faultline {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void ready(const std::string& status) = 0;  // READY=1
  virtual void reloading() = 0;                       // RELOADING=1
  virtual void stopping() = 0;                        // STOPPING=1
  virtual void watchdog() = 0;                        // WATCHDOG=1
  virtual void status(const std::string& text) = 0;   // STATUS=...
  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC), when systemd asked for it.
  virtual std::optional<std::chrono::milliseconds> watchdog_period() const = 0;
};

class SystemdNotifier final : public Notifier {
 public:
  void ready(const std::string& status) override;
  void reloading() override;
  void stopping() override;
  void watchdog() override;
  void status(const std::string& text) override;
  std::optional<std::chrono::milliseconds> watchdog_period() const override;
};

}  // namespace faultline
