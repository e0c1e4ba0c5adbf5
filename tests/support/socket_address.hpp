// SocketAddress and the few socket calls every fixture repeats: build an address from a numeric
// literal, bind to it, and read back the port the kernel chose.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// An IPv4 or IPv6 socket address ready for bind()/connect().
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Builds the address for a numeric literal ("127.0.0.1", "::1"; no names, so no DNS) and a
// port. Throws std::invalid_argument for anything else.
SocketAddress make_socket_address(const std::string& ip, std::uint16_t port);

// A close-on-exec socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to ip:port; port 0 lets the
// kernel pick. IPv6 sockets are IPV6_V6ONLY. Throws std::system_error (or invalid_argument).
UniqueFd bind_socket(const std::string& ip, std::uint16_t port, int type);

// The local port `fd` is bound to. Throws std::system_error.
std::uint16_t local_port(int fd);

// "127.0.0.1:8080" or "[::1]:8080": the host:port part of a URL.
std::string authority(const std::string& ip, std::uint16_t port);

}  // namespace faultline::testing
