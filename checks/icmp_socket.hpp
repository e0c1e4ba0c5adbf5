// The unprivileged ping socket (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and its ICMPv6 twin)
// on the libuv loop: echo requests out, echo replies and ICMP errors in. No CAP_NET_RAW: the
// kernel allows it to the groups of net.ipv4.ping_group_range (for both families), picks the
// echo identifier itself and hands this socket only the replies to it. With IP_RECVERR /
// IPV6_RECVERR on, an ICMP error about one of our echoes (destination unreachable, time
// exceeded) is queued on the socket's error queue with its type, code and the address of the
// router that sent it (SO_EE_OFFENDER), so a hop-limited echo (set_hop_limit) can trace a path.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

namespace faultline {

// An address to send to, as the socket API takes it.
struct IcmpAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
};

// Parses a numeric IPv4 or IPv6 address ("192.0.2.1", "2001:db8::1"); false if it is not one.
bool icmp_address_from_text(const std::string& text, IcmpAddress& out);

// The numeric text of `address` ("192.0.2.1", "2001:db8::1"); "" for an empty one.
std::string icmp_address_text(const IcmpAddress& address);

// An echo reply to one of our requests.
struct IcmpEchoReply {
  std::uint16_t sequence = 0;
  std::string from;  // numeric address of the host that answered
  std::chrono::steady_clock::time_point received_at;
};

// An ICMP error about one of our requests, from the socket's error queue.
struct IcmpErrorReport {
  std::uint16_t sequence = 0;  // of the echo request the error is about
  int family = AF_INET;        // AF_INET: ICMP types; AF_INET6: ICMPv6 types
  int type = 0;                // 3 / 1: destination unreachable; 11 / 3: time exceeded
  int code = 0;
  int sys_errno = 0;     // what the kernel makes of it (EHOSTUNREACH, ENETUNREACH, ...)
  std::string offender;  // numeric address of the router (or host) that sent it; "" if unknown
  std::chrono::steady_clock::time_point received_at;
};

// What one read of the socket brought.
using IcmpMessage = std::variant<IcmpEchoReply, IcmpErrorReport>;

class IcmpSocket {
 public:
  // Called on the loop thread for each reply or error that arrives; may destroy the socket.
  using OnMessage = std::function<void(const IcmpMessage&)>;

  explicit IcmpSocket(uv_loop_t* loop);
  // Stops polling and closes the socket; no callback after this.
  ~IcmpSocket();
  IcmpSocket(const IcmpSocket&) = delete;
  IcmpSocket& operator=(const IcmpSocket&) = delete;

  // Opens a non-blocking ping socket of `family` (AF_INET, AF_INET6) with the error queue on
  // and starts polling it, calling `on_message` for what arrives. Returns 0 or the errno of
  // the failure: EACCES when this process's groups are outside net.ipv4.ping_group_range,
  // EMFILE / ENFILE when out of descriptors, EAFNOSUPPORT without IPv6.
  int open(int family, OnMessage on_message);

  // Limits the hop count (TTL / hop limit) of the requests sent from now on; the router where
  // it runs out answers time exceeded. Returns 0 or errno.
  int set_hop_limit(int hops);

  // Sends one echo request with `sequence` and `payload_bytes` bytes of data to `to`, whose
  // family must be the socket's. Returns 0 or the errno of sendto (EHOSTUNREACH for an
  // `unreachable` route of this host, EPERM when this host's firewall drops it, ...).
  int send_echo(const IcmpAddress& to, std::uint16_t sequence, std::size_t payload_bytes = 56);

 private:
  struct Handle;
  static void on_poll(uv_poll_t* poll, int status, int events);
  void drain();

  uv_loop_t* loop_;
  Handle* handle_ = nullptr;  // null until open() succeeds
  int family_ = AF_INET;
};

}  // namespace faultline
