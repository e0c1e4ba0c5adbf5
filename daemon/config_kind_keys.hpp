// Target keys that belong to some kinds of target only, and whose meaning may differ by kind:
// `expect` is a list of records on dns:// targets and a regex on tcp:// and tls:// ones. They
// are kept as written until the target's URL is known, then read by its scheme (one table,
// kKindKeyRules in the .cpp); a key written on a target it does not fit is an error at the key.
// A new kind's keys are rows of that table (and words of kKindKeys).
#pragma once

#include <yaml-cpp/yaml.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks/probe_spec.hpp"
#include "daemon/config_reader.hpp"

namespace faultline {

// The target keys read here.
inline constexpr std::string_view kKindKeys[] = {
    "send", "expect", "count", "packet_interval", "min_replies", "starttls"};

// Whether `key` is one of kKindKeys.
bool is_kind_key(std::string_view key);

// A kind key as written in a target.
struct KindKey {
  std::string key;
  YAML::Node value;
  YAML::Mark key_mark;
};

// Reads `keys`, written on the target `name` whose URL is probe.url, into `probe`; a key that
// does not fit the URL's scheme, or a bad value, is reported to `r`.
void read_kind_keys(ConfigReader& r, std::span<const KindKey> keys, const std::string& name,
                    ProbeSpec& probe);

// Whether targets of `scheme` may carry `idle_probe` (the idle-connection experiment needs a
// connection libcurl makes: http, https, tcp and tls).
bool takes_idle_probe(Scheme scheme);

}  // namespace faultline
