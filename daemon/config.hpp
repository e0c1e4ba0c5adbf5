// The validated configuration: what `faultline run` monitors and how. Built only by
// load_config() (config_loader.hpp), so every value here has passed validation.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checks/probe_spec.hpp"
#include "sinks/target_info.hpp"

namespace faultline {

// Where something was written in the config file; 1-based like a compiler's messages.
struct SourcePos {
  int line = 1;
  int column = 1;
};

struct IdleProbeConfig {
  std::vector<std::chrono::milliseconds> ladder;  // ascending, no duplicates
  bool keepalive_check = false;

  bool operator==(const IdleProbeConfig&) const = default;
};

struct TargetConfig {
  std::string name;
  ProbeSpec probe;
  std::chrono::milliseconds interval{30'000};
  int failure_threshold = 2;
  int success_threshold = 1;
  Labels labels;
  std::optional<IdleProbeConfig> idle_probe;
  SourcePos pos;  // the target's entry in the file, for messages
  // The files its credentials were read from (basic_auth.password_file, bearer_token_file),
  // for the warning about files others can read; the credential itself is in `probe`.
  std::vector<std::string> credential_files;

  // Equal when probing and scheduling would be identical; the position is not compared, so
  // moving a target within the file does not restart it on reload.
  bool operator==(const TargetConfig& o) const {
    return name == o.name && probe == o.probe && interval == o.interval &&
           failure_threshold == o.failure_threshold && success_threshold == o.success_threshold &&
           labels == o.labels && idle_probe == o.idle_probe;
  }
};

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
  std::vector<TargetConfig> targets;
};

// The storage path used when the config names none: $STATE_DIRECTORY (set by systemd's
// StateDirectory=) or /var/lib/faultline, plus "faultline.db".
std::string default_storage_path();

}  // namespace faultline
