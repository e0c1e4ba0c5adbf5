#include "checks/socket_state.hpp"

// linux/tcp.h, not netinet/tcp.h: only the kernel header has tcpi_bytes_received, and the two
// cannot be included together.
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>

namespace faultline {
namespace {

// Kernel TCP states (include/net/tcp_states.h); not exported to user space under these names.
enum : std::uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kClosing = 11,
};

}  // namespace

SocketSnapshot snapshot_socket(int fd) {
  SocketSnapshot out;
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return out;
  switch (info.tcpi_state) {
    case kEstablished:
      out.end = SocketEnd::open;
      break;
    case kSynSent:
    case kSynRecv:
      out.end = SocketEnd::connecting;
      break;
    case kCloseWait:
      out.end = SocketEnd::peer_closed;
      break;
    // A socket that reached CLOSE without us closing it was reset (or refused), unless the
    // kernel says the RST came after the peer's FIN (tcp_reset() records EPIPE in CLOSE_WAIT):
    // then the peer closed in order and the RST only answered bytes we sent after its FIN,
    // such as the TLS close_notify libcurl sends on its way out. On loopback that RST is back
    // before the socket is closed, so without this every TLS "closed" would read as "reset".
    case kClose: {
      int err = 0;
      socklen_t err_len = sizeof err;
      const bool after_fin =
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err == EPIPE;
      out.end = after_fin ? SocketEnd::peer_closed : SocketEnd::peer_reset;
      break;
    }
    case kFinWait1:
    case kFinWait2:
    case kTimeWait:
    case kLastAck:
    case kClosing:
      out.end = SocketEnd::local_closed;
      break;
    default:
      out.end = SocketEnd::unknown;
      break;
  }
  out.unacked = info.tcpi_unacked;
  if (len >= offsetof(tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received)) {
    out.bytes_received = info.tcpi_bytes_received;
    out.bytes_acked = info.tcpi_bytes_acked;
  }
  return out;
}

}  // namespace faultline
