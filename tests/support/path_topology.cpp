#include "tests/support/path_topology.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace faultline::testing {
namespace {

// A new network namespace, held by the returned descriptor; the caller stays where it was.
UniqueFd new_namespace(int home) {
  if (unshare(CLONE_NEWNET) != 0) return UniqueFd{};
  UniqueFd made(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (setns(home, CLONE_NEWNET) != 0) return UniqueFd{};
  return made;
}

// A dual-stack listener on [::]:port made inside namespace `ns`.
UniqueFd listen_in(int ns, int home, int port) {
  if (setns(ns, CLONE_NEWNET) != 0) return UniqueFd{};
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int off = 0;
  const int on = 1;
  setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) == 0 &&
                  ::listen(fd.get(), 128) == 0;
  if (setns(home, CLONE_NEWNET) != 0 || !ok) return UniqueFd{};
  return fd;
}

constexpr const char* kQuietRouter =
    "ip link set lo up; sysctl -qw net.ipv4.ip_forward=1; "
    "sysctl -qw net.ipv6.conf.all.forwarding=1; sysctl -qw net.ipv4.icmp_ratemask=0; "
    "sysctl -qw net.ipv6.icmp.ratelimit=0; ";

}  // namespace

std::string PathTopology::path(Node node) const {
  const UniqueFd* fds[] = {&client_, &router1_, &router2_, &server_};
  return "/proc/" + std::to_string(getpid()) + "/fd/" +
         std::to_string(fds[static_cast<int>(node)]->get());
}

bool PathTopology::run(Node node, const std::string& script) const {
  std::string quoted;
  for (char c : script) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  const std::string command = "nsenter --net=" + path(node) + " /bin/sh -ec '" + quoted + "'";
  const int status = std::system(command.c_str());
  if (status != 0) std::fprintf(stderr, "FAILED (%d): %s\n", status, script.c_str());
  return status == 0;
}

std::string PathTopology::nft_rule(const std::string& chain, const std::string& rule) {
  return "nft add table inet fault; nft add chain inet fault " + chain + " '{ type filter hook " +
         chain + " priority 0; }'; nft add rule inet fault " + chain + " " + rule;
}

std::string PathTopology::build() {
  client_.reset(::open("/proc/self/ns/net", O_RDONLY));
  router1_ = new_namespace(client_.get());
  router2_ = new_namespace(client_.get());
  server_ = new_namespace(client_.get());
  if (!client_ || !router1_ || !router2_ || !server_) return "cannot make the namespaces";
  const bool linked =
      run(Node::client, "ip link add c0 type veth peer name r1a netns " + path(Node::router1)) &&
      run(Node::router1, "ip link add r1b type veth peer name r2a netns " + path(Node::router2)) &&
      run(Node::router2, "ip link add r2b type veth peer name s0 netns " + path(Node::server));
  if (!linked) return "cannot link the namespaces";
  const bool addressed =
      run(Node::client,
          "sysctl -qw net.ipv4.ping_group_range='0 2147483647'; "
          "ip addr add 10.31.1.1/24 dev c0; ip -6 addr add fd31:1::1/64 dev c0 nodad; "
          "ip link set c0 up; ip route add default via 10.31.1.2; "
          "ip -6 route add default via fd31:1::2") &&
      run(Node::router1, std::string(kQuietRouter) +
                             "ip addr add 10.31.1.2/24 dev r1a; ip -6 addr add fd31:1::2/64 dev "
                             "r1a nodad; ip addr add 10.31.2.1/24 dev r1b; "
                             "ip -6 addr add fd31:2::1/64 dev r1b nodad; ip link set r1a up; "
                             "ip link set r1b up; ip route add 10.31.3.0/24 via 10.31.2.2; "
                             "ip -6 route add fd31:3::/64 via fd31:2::2") &&
      run(Node::router2, std::string(kQuietRouter) +
                             "ip addr add 10.31.2.2/24 dev r2a; ip -6 addr add fd31:2::2/64 dev "
                             "r2a nodad; ip addr add 10.31.3.1/24 dev r2b; "
                             "ip -6 addr add fd31:3::1/64 dev r2b nodad; ip link set r2a up; "
                             "ip link set r2b up; ip route add 10.31.1.0/24 via 10.31.2.1; "
                             "ip -6 route add fd31:1::/64 via fd31:2::1") &&
      run(Node::server,
          "ip link set lo up; sysctl -qw net.ipv4.icmp_ratemask=0; "
          "sysctl -qw net.ipv6.icmp.ratelimit=0; ip addr add 10.31.3.2/24 dev s0; "
          "ip -6 addr add fd31:3::2/64 dev s0 nodad; ip link set s0 up; "
          "ip route add default via 10.31.3.1; ip -6 route add default via fd31:3::1");
  if (!addressed) return "cannot address the namespaces";
  listener_ = listen_in(server_.get(), client_.get(), kServerPort);
  if (!listener_) return "cannot listen in the server's namespace";
  return {};
}

}  // namespace faultline::testing
