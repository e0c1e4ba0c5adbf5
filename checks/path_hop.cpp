#include "checks/path_hop.hpp"

#include <sys/socket.h>

#include <array>
#include <utility>

namespace faultline {

std::string_view to_string(HopReply reply) {
  switch (reply) {
    case HopReply::none:
      return "none";
    case HopReply::time_exceeded:
      return "time_exceeded";
    case HopReply::unreachable:
      return "unreachable";
    case HopReply::syn_ack:
      return "syn_ack";
    case HopReply::rst:
      return "rst";
    case HopReply::echo_reply:
      return "echo_reply";
  }
  return "none";
}

std::string unreachable_code_name(int family, int code) {
  // RFC 792 / RFC 1812 and RFC 4443 codes under the names `nft ... reject with` takes.
  static constexpr std::array<std::pair<int, std::string_view>, 7> kV4{{
      {0, "net-unreachable"},
      {1, "host-unreachable"},
      {2, "prot-unreachable"},
      {3, "port-unreachable"},
      {9, "net-prohibited"},
      {10, "host-prohibited"},
      {13, "admin-prohibited"},
  }};
  static constexpr std::array<std::pair<int, std::string_view>, 6> kV6{{
      {0, "no-route"},
      {1, "admin-prohibited"},
      {3, "addr-unreachable"},
      {4, "port-unreachable"},
      {5, "policy-fail"},
      {6, "reject-route"},
  }};
  if (family == AF_INET6) {
    for (const auto& [number, name] : kV6)
      if (number == code) return std::string(name);
  } else {
    for (const auto& [number, name] : kV4)
      if (number == code) return std::string(name);
  }
  return "code-" + std::to_string(code);
}

std::string unreachable_code_words(std::string_view code) {
  std::string words(code);
  for (char& c : words)
    if (c == '-') c = ' ';
  return words;
}

bool path_settled(const std::vector<PathHop>& hops, const std::vector<int>& pending,
                  bool (*terminal)(const PathHop&)) {
  for (std::size_t i = 0; i < hops.size(); ++i) {
    if (terminal(hops[i])) return true;
    if (pending[i] > 0 && !hops[i].answered_any()) return false;
  }
  for (int waiting : pending)
    if (waiting > 0) return false;
  return true;
}

}  // namespace faultline
