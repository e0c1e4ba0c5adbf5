// What an icmp:// probe measured, whether or not it succeeded (ProbeResult::icmp).
#pragma once

#include <optional>
#include <string>

namespace faultline {

struct IcmpStats {
  std::string address;  // the numeric address pinged (also ProbeResult::remote_addr)
  int sent = 0;         // echo requests the kernel accepted
  int received = 0;     // echo replies to them that arrived before the deadline
  int errors = 0;       // ICMP errors (unreachable, time exceeded) about them
  // Round-trip times of the replies, in milliseconds; none without a reply.
  std::optional<double> min_ms;
  std::optional<double> avg_ms;
  std::optional<double> max_ms;

  // The share of sent requests that got no reply, 0..1; 1 when nothing was sent.
  double loss_ratio() const {
    return sent == 0 ? 1.0 : static_cast<double>(sent - received) / sent;
  }

  bool operator==(const IcmpStats&) const = default;
};

}  // namespace faultline
