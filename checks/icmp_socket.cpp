#include "checks/icmp_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace faultline {
namespace {

constexpr std::size_t kEchoHeaderBytes = 8;  // type, code, checksum, identifier, sequence

// The sequence number of an ICMP echo header (request or reply) at `bytes`.
std::uint16_t sequence_of(const unsigned char* bytes) {
  return static_cast<std::uint16_t>((bytes[6] << 8) | bytes[7]);
}

std::string sockaddr_text(const sockaddr* sa) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size())) return text.data();
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text.data(), text.size())) return text.data();
  }
  return {};
}

// The error report of one control message, if it is an ICMP error's.
bool read_extended_error(const cmsghdr* c, IcmpErrorReport& out) {
  const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
  const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
  if (!v4 && !v6) return false;
  const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
  if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) return false;
  out.family = ee->ee_origin == SO_EE_ORIGIN_ICMP ? AF_INET : AF_INET6;
  out.type = ee->ee_type;
  out.code = ee->ee_code;
  out.sys_errno = static_cast<int>(ee->ee_errno);
  out.offender = sockaddr_text(SO_EE_OFFENDER(ee));
  return true;
}

}  // namespace

bool icmp_address_from_text(const std::string& text, IcmpAddress& out) {
  out = IcmpAddress{};
  auto* in = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    out.length = sizeof(sockaddr_in);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    out.length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string icmp_address_text(const IcmpAddress& address) {
  if (address.length == 0) return {};
  return sockaddr_text(reinterpret_cast<const sockaddr*>(&address.storage));
}

struct IcmpSocket::Handle {
  uv_poll_t poll;
  int fd = -1;
  int family = AF_INET;
  IcmpSocket* owner = nullptr;  // null once the socket is destroyed
  OnMessage on_message;
};

IcmpSocket::IcmpSocket(uv_loop_t* loop) : loop_(loop) {}

IcmpSocket::~IcmpSocket() {
  if (handle_ == nullptr) return;
  // on_message stays until the handle is freed: this may run inside it.
  handle_->owner = nullptr;
  uv_poll_stop(&handle_->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), [](uv_handle_t* h) {
    auto* handle = static_cast<Handle*>(h->data);
    ::close(handle->fd);
    delete handle;
  });
}

int IcmpSocket::open(int family, OnMessage on_message) {
  const int protocol = family == AF_INET6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return errno;
  const int on = 1;
  const int rc = family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on)
                                    : setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    return err;
  }
  auto* handle = new Handle;
  handle->fd = fd;
  handle->family = family;
  handle->owner = this;
  handle->on_message = std::move(on_message);
  handle->poll.data = handle;
  const int init = uv_poll_init(loop_, &handle->poll, fd);
  if (init != 0) {
    ::close(fd);
    delete handle;
    return -init;
  }
  handle_ = handle;
  family_ = family;
  uv_poll_start(&handle->poll, UV_READABLE, &IcmpSocket::on_poll);
  return 0;
}

int IcmpSocket::set_hop_limit(int hops) {
  if (handle_ == nullptr) return EBADF;
  const int rc = family_ == AF_INET6
                     ? setsockopt(handle_->fd, SOL_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops)
                     : setsockopt(handle_->fd, SOL_IP, IP_TTL, &hops, sizeof hops);
  return rc == 0 ? 0 : errno;
}

int IcmpSocket::send_echo(const IcmpAddress& to, std::uint16_t sequence,
                          std::size_t payload_bytes) {
  if (handle_ == nullptr) return EBADF;
  if (to.family() != family_) return EAFNOSUPPORT;
  std::array<unsigned char, 1024> packet{};
  const std::size_t size = kEchoHeaderBytes + std::min(payload_bytes, packet.size() - 8);
  // The kernel fills in the identifier (the socket's own) and the checksum.
  packet[0] = family_ == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  packet[6] = static_cast<unsigned char>(sequence >> 8);
  packet[7] = static_cast<unsigned char>(sequence & 0xff);
  for (std::size_t i = kEchoHeaderBytes; i < size; ++i)
    packet[i] = static_cast<unsigned char>(i);
  const ssize_t n = ::sendto(handle_->fd, packet.data(), size, 0,
                             reinterpret_cast<const sockaddr*>(&to.storage), to.length);
  return n < 0 ? errno : 0;
}

void IcmpSocket::on_poll(uv_poll_t* poll, int status, int /*events*/) {
  auto* handle = static_cast<Handle*>(poll->data);
  if (handle->owner == nullptr) return;
  IcmpSocket* self = handle->owner;
  self->drain();
  // libuv stops polling a descriptor that reported POLLERR (a queued ICMP error) and says
  // UV_EBADF; the error queue is empty now, so polling resumes.
  if (status < 0 && handle->owner != nullptr) {
    uv_poll_start(&handle->poll, UV_READABLE, &IcmpSocket::on_poll);
  }
}

// Reads everything queued: errors first (while one is pending, an ordinary read would return
// its errno instead of data), then replies. A callback may destroy this socket: the loop then
// stops, as `handle` outlives the owner until the loop closes it.
void IcmpSocket::drain() {
  Handle* handle = handle_;
  const auto alive = [handle] { return handle->owner != nullptr; };
  std::array<unsigned char, 2048> data{};
  std::array<char, 512> control{};
  sockaddr_storage from{};
  iovec iov{data.data(), data.size()};
  for (int flags : {int{MSG_ERRQUEUE}, 0}) {
    while (alive()) {
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = flags == MSG_ERRQUEUE ? control.size() : 0;
      const ssize_t n = ::recvmsg(handle->fd, &msg, flags | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        // A pending socket error without a queued report (nothing to learn): clear it.
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(handle->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        break;
      }
      const auto now = std::chrono::steady_clock::now();
      if (static_cast<std::size_t>(n) < kEchoHeaderBytes) continue;
      if (flags == MSG_ERRQUEUE) {
        IcmpErrorReport report;
        bool found = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr && !found; c = CMSG_NXTHDR(&msg, c))
          found = read_extended_error(c, report);
        if (!found) continue;
        report.sequence = sequence_of(data.data());
        report.received_at = now;
        handle->on_message(report);
        continue;
      }
      const bool reply =
          handle->family == AF_INET6 ? data[0] == ICMP6_ECHO_REPLY : data[0] == ICMP_ECHOREPLY;
      if (!reply) continue;
      IcmpEchoReply echo;
      echo.sequence = sequence_of(data.data());
      echo.from = sockaddr_text(reinterpret_cast<const sockaddr*>(&from));
      echo.received_at = now;
      handle->on_message(echo);
    }
  }
}

}  // namespace faultline
