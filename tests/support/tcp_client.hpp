// A plain blocking TCP client for tests that need to see exactly what a fixture does on the
// wire (a RST, a FIN, silence) without going through the probe engine.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

// How a connect attempt ended.
struct TcpConnect {
  UniqueFd fd;             // the connected (blocking) socket when error == 0 and !timed_out
  int error = 0;           // the errno connect failed with (ECONNREFUSED, ...), or 0
  bool timed_out = false;  // the handshake did not finish within the timeout
};

// Connects to ip:port ("127.0.0.1", "::1"), waiting at most `timeout` for the handshake.
TcpConnect connect_tcp(const std::string& ip, std::uint16_t port,
                       std::chrono::milliseconds timeout);

// Sends all of `data` (MSG_NOSIGNAL); returns 0 or the errno that stopped it.
int send_all(int fd, std::string_view data);

// What a read until the end returned.
struct Received {
  std::string data;        // every byte read before the end
  int error = 0;           // the errno that ended reading (ECONNRESET, ...), or 0
  bool eof = false;        // recv() returned 0: the peer sent FIN
  bool timed_out = false;  // nothing more arrived within the timeout
};

// Reads until EOF, an error, `limit` bytes, or `timeout` without any new byte.
Received receive_until_end(int fd, std::chrono::milliseconds timeout,
                           std::size_t limit = std::size_t{16} << 20);

}  // namespace faultline::testing
