// Which addresses of a target's name a probe may connect to (`ip_family:`).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string_view>

namespace faultline {

enum class IpFamily : std::uint8_t {
  any,   // every address, in the resolver's order (the default)
  ipv4,  // A records only
  ipv6,  // AAAA records only
};

// "any", "ipv4", "ipv6": the config's words.
constexpr std::string_view to_string(IpFamily f) {
  switch (f) {
    case IpFamily::ipv4:
      return "ipv4";
    case IpFamily::ipv6:
      return "ipv6";
    default:
      return "any";
  }
}

// Whether an address of `sa_family` (AF_INET, AF_INET6) may be used under `f`.
constexpr bool family_allows(IpFamily f, int sa_family) {
  switch (f) {
    case IpFamily::ipv4:
      return sa_family == AF_INET;
    case IpFamily::ipv6:
      return sa_family == AF_INET6;
    default:
      return sa_family == AF_INET || sa_family == AF_INET6;
  }
}

}  // namespace faultline
