#include "tests/support/full_backlog_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "tests/support/socket_address.hpp"

namespace faultline::testing {

namespace {

// Loopback handshakes take microseconds; this only bounds a machine under heavy load.
constexpr int kFillTimeoutMs = 5000;

tcp_info listener_info(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    throw std::system_error(errno, std::generic_category(), "getsockopt TCP_INFO");
  return info;
}

}  // namespace

FullBacklogListener::FullBacklogListener(const std::string& address) {
  std::ifstream sysctl("/proc/sys/net/ipv4/tcp_abort_on_overflow");
  int abort_on_overflow = 0;
  if (sysctl >> abort_on_overflow && abort_on_overflow != 0)
    throw std::runtime_error(
        "net.ipv4.tcp_abort_on_overflow is not 0: a full backlog would reset, not time out");

  listener_ = bind_socket(address, 0, SOCK_STREAM);
  if (::listen(listener_.get(), 0) != 0)
    throw std::system_error(errno, std::generic_category(), "listen");
  port_ = local_port(listener_.get());

  SocketAddress addr = make_socket_address(address, port_);
  filler_.reset(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!filler_) throw std::system_error(errno, std::generic_category(), "socket");
  if (::connect(filler_.get(), addr.get(), addr.length) != 0 && errno != EINPROGRESS)
    throw std::system_error(errno, std::generic_category(), "connect to own listener");

  // The client side completes on the SYN-ACK; the server side joins the accept queue when our
  // ACK is processed, so wait for what the kernel says about the queue rather than for connect.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kFillTimeoutMs);
  while (accept_queue_length() <= accept_queue_limit()) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("the accept queue of port " + std::to_string(port_) +
                               " did not fill up");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// For a listening socket Linux reports the accept queue in the fields otherwise used for
// unacknowledged and SACKed segments.
int FullBacklogListener::accept_queue_length() const {
  return static_cast<int>(listener_info(listener_.get()).tcpi_unacked);
}

int FullBacklogListener::accept_queue_limit() const {
  return static_cast<int>(listener_info(listener_.get()).tcpi_sacked);
}

}  // namespace faultline::testing
