#include "checks/path_tcp_probes.hpp"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

std::string offender_text(const sock_extended_err* ee) {
  const sockaddr* sa = SO_EE_OFFENDER(ee);
  IcmpAddress a;
  if (sa->sa_family == AF_INET) {
    std::copy_n(reinterpret_cast<const char*>(sa), sizeof(sockaddr_in),
                reinterpret_cast<char*>(&a.storage));
    a.length = sizeof(sockaddr_in);
  } else if (sa->sa_family == AF_INET6) {
    std::copy_n(reinterpret_cast<const char*>(sa), sizeof(sockaddr_in6),
                reinterpret_cast<char*>(&a.storage));
    a.length = sizeof(sockaddr_in6);
  }
  return icmp_address_text(a);
}

// What an ICMP error from the socket's error queue says about the SYN.
struct IcmpAnswer {
  HopReply reply = HopReply::none;
  std::string address;
  std::string code;
};

// Reads the socket's error queue; `reply` stays none when it holds no ICMP error.
IcmpAnswer read_error_queue(int fd) {
  IcmpAnswer out;
  std::array<unsigned char, 512> data{};
  std::array<char, 512> control{};
  for (;;) {
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return out;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
      const bool icmp4 = ee->ee_origin == SO_EE_ORIGIN_ICMP;
      if (!icmp4 && ee->ee_origin != SO_EE_ORIGIN_ICMP6) continue;
      const bool exceeded = icmp4 ? ee->ee_type == 11 : ee->ee_type == 3;
      const bool unreachable = icmp4 ? ee->ee_type == 3 : ee->ee_type == 1;
      if (!exceeded && !unreachable) continue;
      // The first error is the answer to the SYN; later ones (retransmissions) add nothing.
      if (out.reply != HopReply::none) continue;
      out.reply = exceeded ? HopReply::time_exceeded : HopReply::unreachable;
      out.address = offender_text(ee);
      if (unreachable) out.code = unreachable_code_name(icmp4 ? AF_INET : AF_INET6, ee->ee_code);
    }
  }
}

int set_hops(int fd, int family, int ttl) {
  const int on = 1;
  const bool v6 = family == AF_INET6;
  const int rc1 = v6 ? setsockopt(fd, SOL_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl)
                     : setsockopt(fd, SOL_IP, IP_TTL, &ttl, sizeof ttl);
  const int rc2 = v6 ? setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on)
                     : setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  return rc1 == 0 && rc2 == 0 ? 0 : errno;
}

bool terminal(const PathHop& hop) {
  return hop.reply == HopReply::syn_ack || hop.reply == HopReply::rst ||
         hop.reply == HopReply::unreachable;
}

}  // namespace

struct PathTcpProbes::Probe {
  uv_poll_t poll;
  int fd = -1;
  int ttl = 0;
  std::size_t slot = 0;  // in open_
  PathTcpProbes* owner = nullptr;
  Clock::time_point sent_at;
};

PathTcpProbes::PathTcpProbes(uv_loop_t* loop, std::function<void()> on_change)
    : loop_(loop), on_change_(std::move(on_change)) {}

PathTcpProbes::~PathTcpProbes() {
  for (Probe* probe : open_)
    if (probe != nullptr) close(probe);
}

int PathTcpProbes::start(const IcmpAddress& to, int max_hops, int probes) {
  target_ = icmp_address_text(to);
  hops_.resize(static_cast<std::size_t>(max_hops));
  pending_.assign(static_cast<std::size_t>(max_hops), 0);
  for (int ttl = 1; ttl <= max_hops; ++ttl) {
    hops_[static_cast<std::size_t>(ttl - 1)].ttl = ttl;
    for (int n = 0; n < probes; ++n) {
      const int fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return errno;
      if (const int err = set_hops(fd, to.family(), ttl); err != 0) {
        ::close(fd);
        return err;
      }
      PathHop& hop = hops_[static_cast<std::size_t>(ttl - 1)];
      ++hop.sent;
      const auto sent_at = Clock::now();
      const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&to.storage), to.length);
      const int err = rc == 0 ? 0 : errno;
      if (err != EINPROGRESS) {
        // Resolved at once: loopback's answer, or this host's own refusal (a route, a firewall)
        // which says nothing about the path.
        ::close(fd);
        if (err == 0) answer(ttl, HopReply::syn_ack, target_, {}, sent_at);
        if (err == ECONNREFUSED) answer(ttl, HopReply::rst, target_, {}, sent_at);
        continue;
      }
      auto* probe = new Probe;
      probe->fd = fd;
      probe->ttl = ttl;
      probe->owner = this;
      probe->sent_at = sent_at;
      probe->poll.data = probe;
      if (const int init = uv_poll_init(loop_, &probe->poll, fd); init != 0) {
        ::close(fd);
        delete probe;
        return -init;
      }
      probe->slot = open_.size();
      open_.push_back(probe);
      ++pending_[static_cast<std::size_t>(ttl - 1)];
      uv_poll_start(&probe->poll, UV_WRITABLE, &PathTcpProbes::on_poll);
    }
  }
  return 0;
}

bool PathTcpProbes::settled() const {
  return path_settled(hops_, pending_, terminal);
}

void PathTcpProbes::on_poll(uv_poll_t* poll, int status, int events) {
  auto* probe = static_cast<Probe*>(poll->data);
  if (probe->owner == nullptr) return;
  probe->owner->resolve(probe, status, events);
}

// libuv reports the POLLERR of a queued ICMP error as status UV_EBADF; a completed connect as
// writable. Either way the socket has said all it will: read it, then close it.
void PathTcpProbes::resolve(Probe* probe, int status, int events) {
  const IcmpAnswer icmp = read_error_queue(probe->fd);
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(probe->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  const int ttl = probe->ttl;
  const auto sent_at = probe->sent_at;
  const bool connected = status == 0 && (events & UV_WRITABLE) != 0 && err == 0;
  if (icmp.reply == HopReply::none && !connected && err == 0) return;  // nothing yet
  --pending_[static_cast<std::size_t>(ttl - 1)];
  close(probe);
  if (icmp.reply != HopReply::none) {
    answer(ttl, icmp.reply, icmp.address, icmp.code, sent_at);
  } else if (connected) {
    answer(ttl, HopReply::syn_ack, target_, {}, sent_at);
  } else if (err == ECONNREFUSED) {
    answer(ttl, HopReply::rst, target_, {}, sent_at);
  }
  // Last: it may destroy this.
  on_change_();
}

void PathTcpProbes::answer(int ttl, HopReply reply, const std::string& address, std::string code,
                           Clock::time_point sent_at) {
  PathHop& hop = hops_[static_cast<std::size_t>(ttl - 1)];
  ++hop.answered;
  if (hop.reply != HopReply::none) return;  // the first answer speaks for the hop
  hop.reply = reply;
  hop.address = address;
  hop.code = std::move(code);
  hop.rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count();
}

void PathTcpProbes::close(Probe* probe) {
  open_[probe->slot] = nullptr;
  probe->owner = nullptr;
  uv_poll_stop(&probe->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&probe->poll), [](uv_handle_t* h) {
    auto* p = static_cast<Probe*>(h->data);
    ::close(p->fd);
    delete p;
  });
}

}  // namespace faultline
