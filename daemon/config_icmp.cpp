#include "daemon/config_icmp.hpp"

#include "daemon/duration.hpp"

namespace faultline {

void read_icmp_count(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  if (auto n = r.integer(v, "count", 1, kMaxIcmpCount)) probe.icmp.count = *n;
}

void read_icmp_packet_interval(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  if (auto d = r.duration(v, "packet_interval", kMinPacketInterval)) {
    probe.icmp.packet_interval = *d;
  }
}

void read_icmp_min_replies(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe) {
  if (auto n = r.integer(v, "min_replies", 1, kMaxIcmpCount)) probe.icmp.min_replies = *n;
}

std::optional<std::string> icmp_options_problem(const IcmpOptions& icmp,
                                                std::chrono::milliseconds timeout,
                                                std::string_view count_word,
                                                std::string_view interval_word,
                                                std::string_view min_word) {
  if (icmp.min_replies > icmp.count) {
    return std::string(min_word) + " " + std::to_string(icmp.min_replies) + " is more than the " +
           std::to_string(icmp.count) + " requests of " + std::string(count_word);
  }
  const auto last_send = icmp.packet_interval * (icmp.count - 1);
  if (icmp.count > 1 && last_send >= timeout) {
    return std::to_string(icmp.count) + " requests " + format_duration(icmp.packet_interval) +
           " apart (" + std::string(count_word) + ", " + std::string(interval_word) + ") need " +
           format_duration(last_send) + " before the last leaves, which the timeout " +
           format_duration(timeout) + " does not allow: lower one or raise the timeout";
  }
  return std::nullopt;
}

}  // namespace faultline
