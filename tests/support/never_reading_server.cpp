#include "tests/support/never_reading_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "tests/support/socket_address.hpp"

namespace faultline::testing {

NeverReadingServer::NeverReadingServer(const std::string& bind_address)
    : bind_address_(bind_address), listener_(bind_socket(bind_address, 0, SOCK_STREAM)) {
  // Set on the listener so accepted sockets inherit it before the handshake sizes the window.
  int smallest = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest);
  ::fcntl(listener_.get(), F_SETFL, ::fcntl(listener_.get(), F_GETFL) | O_NONBLOCK);
  if (::listen(listener_.get(), SOMAXCONN) != 0)
    throw std::system_error(errno, std::generic_category(), "listen");
  port_ = local_port(listener_.get());
  thread_ = std::thread([this] { accept_loop(); });
}

NeverReadingServer::~NeverReadingServer() {
  stop_.fire();
  thread_.join();
}

std::string NeverReadingServer::url() const {
  return "http://" + authority(bind_address_, port_) + "/";
}

void NeverReadingServer::accept_loop() {
  while (wait_for(listener_.get(), POLLIN, stop_) == WaitResult::ready) {
    for (;;) {
      UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection) {
        // Out of descriptors: the queue stays readable, so wait instead of spinning on poll.
        if (errno == EMFILE || errno == ENFILE)
          sleep_unless_stopped(std::chrono::milliseconds(10), stop_);
        break;  // EAGAIN: the queue is drained
      }
      held_.push_back(std::move(connection));
      connections_.fetch_add(1);
    }
  }
}

}  // namespace faultline::testing
