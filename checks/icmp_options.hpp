// What an icmp:// probe sends: how many echo requests, how far apart, and how many answers make
// it a success (README "ICMP targets").
#pragma once

#include <chrono>

namespace faultline {

// Limits of the options below, checked where they are read (config and `faultline check`).
inline constexpr int kMaxIcmpCount = 100;
inline constexpr std::chrono::milliseconds kMinPacketInterval{10};

struct IcmpOptions {
  int count = 3;                                   // echo requests per probe, 1..kMaxIcmpCount
  std::chrono::milliseconds packet_interval{200};  // between two requests of one probe
  int min_replies = 1;                             // answers needed for `ok`, 1..count

  bool operator==(const IcmpOptions&) const = default;
};

}  // namespace faultline
