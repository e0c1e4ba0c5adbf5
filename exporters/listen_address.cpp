#include "exporters/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "checks/printable.hpp"
#include "checks/target_url.hpp"

namespace faultline {

std::string ListenAddress::to_string() const {
  return bracket_host(host) + ":" + std::to_string(port);
}

Expected<ListenAddress> parse_listen_address(std::string_view text) {
  const std::string input(text);
  const auto wrong = [&](const std::string& why) {
    return unexpected(quote(input) + " is not IPv4:PORT or [IPv6]:PORT (" + why + ")");
  };
  ListenAddress a;
  std::string port;
  if (input.starts_with('[')) {
    auto close = input.find("]:");
    if (close == std::string::npos) return wrong("no ']:' after the IPv6 address");
    a.host = input.substr(1, close - 1);
    port = input.substr(close + 2);
    a.ipv6 = true;
  } else {
    auto colon = input.rfind(':');
    if (colon == std::string::npos) return wrong("no port");
    a.host = input.substr(0, colon);
    port = input.substr(colon + 1);
  }
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1) {
    return wrong(quote(a.host) + " is not a numeric " + (a.ipv6 ? "IPv6" : "IPv4") + " address");
  }
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) > 65535) return wrong("the port must be 0..65535");
  a.port = static_cast<std::uint16_t>(std::stoi(port));
  return a;
}

namespace {

// The socket address of `address`; `len` receives its size.
sockaddr_storage to_sockaddr(const ListenAddress& address, socklen_t& len) {
  sockaddr_storage storage{};
  if (address.ipv6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(address.port);
    inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(address.port);
    inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr);
    len = sizeof(sockaddr_in);
  }
  return storage;
}

}  // namespace

std::string listen_failure(const ListenAddress& address) {
  socklen_t len = 0;
  sockaddr_storage storage = to_sockaddr(address, len);
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  // The same options civetweb sets, so this socket fails exactly where civetweb's did: with
  // SO_REUSEADDR a port held only by TIME_WAIT connections is free, one being listened on is not.
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (address.ipv6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  std::string failure;
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0 || listen(fd, 1) != 0) {
    failure = std::strerror(errno);
  }
  close(fd);
  return failure;
}

bool knock(const ListenAddress& address) {
  socklen_t len = 0;
  sockaddr_storage storage = to_sockaddr(address, len);
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&storage), len) == 0;
  close(fd);
  return connected;
}

}  // namespace faultline
