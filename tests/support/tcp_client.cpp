#include "tests/support/tcp_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "tests/support/socket_address.hpp"

namespace faultline::testing {

TcpConnect connect_tcp(const std::string& ip, std::uint16_t port,
                       std::chrono::milliseconds timeout) {
  TcpConnect result;
  SocketAddress addr = make_socket_address(ip, port);
  UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    result.error = errno;
    return result;
  }
  if (::connect(fd.get(), addr.get(), addr.length) != 0) {
    if (errno != EINPROGRESS) {
      result.error = errno;
      return result;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int n;
    while ((n = ::poll(&p, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
    }
    if (n == 0) {
      result.timed_out = true;
      return result;
    }
    socklen_t len = sizeof result.error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &result.error, &len);
    if (result.error != 0) return result;
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  result.fd = std::move(fd);
  return result;
}

int send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

Received receive_until_end(int fd, std::chrono::milliseconds timeout, std::size_t limit) {
  Received r;
  char buffer[16384];
  while (r.data.size() < limit) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      r.timed_out = true;
      break;
    }
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      r.data.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      r.eof = true;
      break;
    } else if (errno != EINTR && errno != EAGAIN) {
      r.error = errno;
      break;
    }
  }
  return r;
}

}  // namespace faultline::testing
