// The address the metrics endpoint listens on (`metrics.listen`): one numeric IP and a port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

struct ListenAddress {
  std::string host;  // an IP literal, without brackets for IPv6
  std::uint16_t port = 0;
  bool ipv6 = false;

  // "127.0.0.1:9469" or "[::1]:9469": how messages print it, and the one form of civetweb's
  // `listening_ports` syntax that means "exactly this address, plain HTTP".
  std::string to_string() const;
};

// Parses IPv4:PORT or [IPv6]:PORT. PORT is 0..65535, 0 meaning "any free port" (tests use it).
// Host names are rejected: resolving one would block, and it may name several addresses. So is
// the rest of civetweb's syntax ("9469" for every interface, "9469s" for TLS, lists), which
// this string is handed to. The error says what is wrong with the text.
Expected<ListenAddress> parse_listen_address(std::string_view text);

// Why listening on `address` fails now, as strerror text ("Address already in use"), or an
// empty string when a fresh socket can bind and listen there. Used to explain a failure that
// civetweb reports only as "null context".
std::string listen_failure(const ListenAddress& address);

// Opens a TCP connection to `address` and closes it at once; false if it could not connect.
// Wakes a server blocked in poll() on its listening socket.
bool knock(const ListenAddress& address);

}  // namespace faultline
