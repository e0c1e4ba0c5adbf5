// The keys of icmp:// targets (count, packet_interval, min_replies), read by the rows of
// config_kind_keys.cpp, and the check of the three together against the probe's timeout that
// the config and `faultline check` share.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <optional>
#include <string>

#include "checks/probe_spec.hpp"
#include "daemon/config_reader.hpp"

namespace faultline {

// `count`: echo requests per probe, 1..kMaxIcmpCount.
void read_icmp_count(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe);
// `packet_interval`: a duration of at least kMinPacketInterval.
void read_icmp_packet_interval(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe);
// `min_replies`: 1..kMaxIcmpCount (against count: icmp_options_problem()).
void read_icmp_min_replies(ConfigReader& r, const YAML::Node& v, ProbeSpec& probe);

// Why `icmp` cannot work within `timeout`, or nullopt: min_replies above count, or the last
// request leaving at or after the deadline ((count - 1) * packet_interval >= timeout). The
// words name the options as `count_word`, `interval_word` and `min_word` ("count" /
// "--count").
std::optional<std::string> icmp_options_problem(const IcmpOptions& icmp,
                                                std::chrono::milliseconds timeout,
                                                std::string_view count_word,
                                                std::string_view interval_word,
                                                std::string_view min_word);

}  // namespace faultline
