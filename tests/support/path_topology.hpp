// PathTopology: a four-namespace path for path-trace tests, built from inside a run_in_netns
// child. The child's own namespace is the client; three more namespaces (router 1, router 2,
// the server) are made with unshare(CLONE_NEWNET) and held by descriptors, so they vanish with
// the child. Joined by veth pairs on private addresses:
//
//   client 10.31.1.1 | fd31:1::1
//     -- router1 10.31.1.2 | fd31:1::2 ... 10.31.2.1 | fd31:2::1
//     -- router2 10.31.2.2 | fd31:2::2 ... 10.31.3.1 | fd31:3::1
//     -- server  10.31.3.2 | fd31:3::2, listening on kServerPort (both families)
//
// Routers forward and do not rate-limit their ICMP; the client may open ping sockets. Faults
// are placed afterwards with run() ("nft ...", "ip route ...") in the namespace that has them.
#pragma once

#include <string>

#include "tests/support/unique_fd.hpp"

namespace faultline::testing {

class PathTopology {
 public:
  enum class Node { client, router1, router2, server };

  static constexpr int kServerPort = 8443;
  static constexpr const char* kRouter1 = "10.31.1.2";  // router 1 as the client sees it
  static constexpr const char* kRouter2 = "10.31.2.2";
  static constexpr const char* kServer = "10.31.3.2";
  static constexpr const char* kRouter1v6 = "fd31:1::2";
  static constexpr const char* kRouter2v6 = "fd31:2::2";
  static constexpr const char* kServerV6 = "fd31:3::2";

  // Builds the namespaces, links, addresses, routes and the server's listener. Returns "" or
  // what failed (with the command's output on stderr). Call once, in a run_in_netns child.
  std::string build();

  // Runs `script` with /bin/sh -ec in `node`'s namespace; false if it exits non-zero.
  bool run(Node node, const std::string& script) const;

  // "nft" lines that make `node` filter `chain` ("input", "output", "forward") with `rule`
  // ("tcp dport 8443 drop"): for run().
  static std::string nft_rule(const std::string& chain, const std::string& rule);

 private:
  std::string path(Node node) const;

  UniqueFd client_;
  UniqueFd router1_;
  UniqueFd router2_;
  UniqueFd server_;
  UniqueFd listener_;
};

}  // namespace faultline::testing
