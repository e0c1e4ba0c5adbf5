// NeverReadingServer: a listener that accepts every connection and then neither reads nor
// writes, holding thousands of connections with one thread: the "accepts and never reads"
// hostile server.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/stop_signal.hpp"
#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// Listens on 127.0.0.1 (or `bind_address`) as soon as the constructor returns, with a backlog
// of SOMAXCONN and receive buffers shrunk to the minimum, so a client that sends more than a
// few KiB blocks as well. Accepted connections stay open, unread, until the destructor, which
// stops the thread and closes them all. Each connection costs this process one descriptor:
// raise RLIMIT_NOFILE for thousands. Construction throws std::system_error.
class NeverReadingServer {
 public:
  explicit NeverReadingServer(const std::string& bind_address = "127.0.0.1");
  ~NeverReadingServer();
  NeverReadingServer(const NeverReadingServer&) = delete;
  NeverReadingServer& operator=(const NeverReadingServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/".
  std::string url() const;
  // Connections accepted and held so far. Thread-safe.
  int connections() const { return connections_.load(); }

 private:
  void accept_loop();

  std::string bind_address_;
  UniqueFd listener_;
  std::uint16_t port_ = 0;
  StopSignal stop_;
  std::atomic<int> connections_{0};
  std::vector<UniqueFd> held_;  // touched only by the thread until it is joined
  std::thread thread_;
};

}  // namespace faultline::testing
