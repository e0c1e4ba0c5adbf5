// The sections of a config besides `defaults:` and `targets:`, one reader each. Every reader
// leaves the documented default in place for a key that is absent or has an error, and reports
// each problem to the ConfigReader.
#pragma once

#include <yaml-cpp/yaml.h>

#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"

namespace faultline {

// Where `storage.path` came from, for the messages of later checks of that path.
struct StoragePathSource {
  bool written = false;  // false: the default
  bool valid = true;     // false: written with an error, so out.path is not what was meant
  YAML::Mark mark = YAML::Mark::null_mark();
};

// `storage:`. Paths resolve against the config's folder.
StoragePathSource read_storage(ConfigReader& r, const YAML::Node& section, StorageConfig& out);

// `metrics:`. Warns about a non-loopback `listen` without `basic_auth`.
void read_metrics(ConfigReader& r, const YAML::Node& section, MetricsConfig& out);

// `log:`: level names as logging.hpp lists them ("warning" is stored as "warn").
void read_log(ConfigReader& r, const YAML::Node& section, LogConfig& out);

// `engine:`.
void read_engine(ConfigReader& r, const YAML::Node& section, EngineConfig& out);

// `cluster:`: shard below shards, vantage a usable label value.
void read_cluster(ConfigReader& r, const YAML::Node& section, ClusterConfig& out);

}  // namespace faultline
