// What the kernel knows about a TCP socket at the moment we give it up: did the peer reset it,
// close it in order, or is it still open? This is the ground truth behind "reset" versus
// "closed", read from TCP_INFO instead of guessed from a library's error text.
#pragma once

#include <cstdint>

namespace faultline {

enum class SocketEnd : std::uint8_t {
  unknown,      // TCP_INFO unavailable (not a TCP socket, or already closed)
  connecting,   // the handshake never completed (SYN sent, nothing back)
  open,         // established, neither side closed
  peer_closed,  // the peer sent FIN (orderly close) and we had not closed yet
  peer_reset,   // the socket was reset (RST received) after it had been established, or a
                // connect was refused (RST answering our SYN)
  local_closed  // we started closing first
};

struct SocketSnapshot {
  SocketEnd end = SocketEnd::unknown;
  std::uint64_t bytes_received = 0;  // payload bytes the peer sent us (tcpi_bytes_received)
  std::uint64_t bytes_acked = 0;     // payload bytes of ours the peer acknowledged
  std::uint32_t unacked = 0;         // segments of ours still waiting for an ACK
};

// Reads TCP_INFO of `fd`. Never fails: problems give SocketEnd::unknown.
SocketSnapshot snapshot_socket(int fd);

}  // namespace faultline
