// FullBacklogListener: a listening port whose accept queue is full, for "connect timed out"
// tests that must not depend on an unroutable address.
#pragma once

#include <cstdint>
#include <string>

#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// Listens with listen(fd, 0) and fills the accept queue with a connection of its own that it
// never accepts (with a backlog of 0 one is enough: the queue is full when it holds more than
// the backlog). From then on Linux drops every new SYN to this port (tcp_conn_request checks
// the accept queue regardless of SYN cookies), so a client's connect() neither completes nor
// is refused: it retransmits its SYN until its own deadline. Needs no thread.
//
// Requires net.ipv4.tcp_abort_on_overflow = 0 (the default): with 1, a handshake that does
// complete while the queue is full is answered with RST, which turns "timeout" into "reset".
// The constructor checks it (in the current network namespace) and throws std::runtime_error
// when it is not 0, or when the kernel does not report the queue full within seconds;
// std::system_error on socket errors.
class FullBacklogListener {
 public:
  explicit FullBacklogListener(const std::string& address = "127.0.0.1");
  FullBacklogListener(const FullBacklogListener&) = delete;
  FullBacklogListener& operator=(const FullBacklogListener&) = delete;

  std::uint16_t port() const { return port_; }

  // Connections waiting in the accept queue and the queue's limit, as the kernel reports them
  // (TCP_INFO of the listener); the queue is full when the first exceeds the second.
  int accept_queue_length() const;
  int accept_queue_limit() const;

 private:
  UniqueFd listener_;
  std::uint16_t port_ = 0;
  UniqueFd filler_;
};

}  // namespace faultline::testing
