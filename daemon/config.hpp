// The validated configuration: what `faultline run` monitors and how. Built only by
// load_config() (config_loader.hpp), so every value here has passed validation.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/target_config.hpp"
#include "daemon/target_list.hpp"

namespace faultline {

struct RetentionConfig {
  std::chrono::milliseconds failures = std::chrono::days(90);
  std::chrono::milliseconds rollups = std::chrono::days(400);

  bool operator==(const RetentionConfig&) const = default;
};

struct StorageConfig {
  std::string path;  // absolute after loading
  RetentionConfig retention;
  bool record_successes = false;

  bool operator==(const StorageConfig&) const = default;
};

struct BasicAuthConfig {
  std::string username;
  std::string password_file;  // absolute after loading

  bool operator==(const BasicAuthConfig&) const = default;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9469";
  bool histograms = false;
  std::optional<BasicAuthConfig> basic_auth;

  bool operator==(const MetricsConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";

  bool operator==(const LogConfig&) const = default;
};

struct EngineConfig {
  // Probes allowed to run at once; nullopt means "size it from RLIMIT_NOFILE at start".
  std::optional<int> max_in_flight;
  // Path traces (issue 20): a target that goes down with a connect timeout or unreachable is
  // traced then, and again at most every `trace_interval` while it stays down; at most
  // `max_concurrent_traces` run at once (0: no traces).
  std::chrono::milliseconds trace_interval{600'000};
  int max_concurrent_traces = 4;

  bool operator==(const EngineConfig&) const = default;
};

// `cluster:`: this instance's place in a fleet running the same config.
struct ClusterConfig {
  int shard = 0;   // 0 <= shard < shards
  int shards = 1;  // instances the targets are spread over (daemon/shard.hpp)
  // Label value put on every exported series as `vantage`, so Prometheus can tell instances
  // probing the same targets from different places apart; nullopt exports no such label.
  std::optional<std::string> vantage;

  bool operator==(const ClusterConfig&) const = default;
};

struct Config {
  std::string path;  // the file this was loaded from, absolute
  ClusterConfig cluster;
  StorageConfig storage;
  MetricsConfig metrics;
  LogConfig log;
  EngineConfig engine;
  TargetList targets;
};

// The storage path used when the config names none: $STATE_DIRECTORY (set by systemd's
// StateDirectory=) or /var/lib/faultline, plus "faultline.db".
std::string default_storage_path();

}  // namespace faultline
