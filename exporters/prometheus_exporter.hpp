// The Prometheus sink: per-target metrics (with the failure class as a label) and process
// metrics, streamed to each scrape of /metrics (exporters/metrics_server.hpp). The metric names
// and labels are a contract, listed in README.md ("Metrics") and used by
// etc/prometheus/faultline-rules.yml.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/expected.hpp"
#include "exporters/listen_address.hpp"
#include "sinks/process_stat.hpp"
#include "sinks/result_sink.hpp"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace faultline {

class MetricsServer;
class TargetMetrics;
class PathMetrics;

struct ExporterBasicAuth {
  std::string username;
  // Read once, by PrometheusExporter::start(). Leading and trailing whitespace (the newline an
  // editor adds) is not part of the password, as with Prometheus's own `password_file`, so one
  // file can serve both sides.
  std::string password_file;
};

struct ExporterOptions {
  // IPv4:PORT or [IPv6]:PORT (see parse_listen_address); port 0 picks a free port. IPv6
  // needs a civetweb built with it, which Debian 12's is not.
  std::string listen = "127.0.0.1:9469";
  // Adds faultline_probe_duration_seconds, one histogram (15 series) per target.
  bool histograms = false;
  // Without it /metrics is open to anyone who can reach `listen`.
  std::optional<ExporterBasicAuth> basic_auth;
  // The `version` label of faultline_build_info.
  std::string version = FAULTLINE_VERSION;
  // Labels put on every series, per-target and process alike, e.g. {{"vantage", "eu-west"}}
  // (cluster.vantage). A target label of the same name is left out, with a warning.
  Labels const_labels;
};

// Every method, the ResultSink ones included, is for the event-loop thread only and returns
// without blocking on I/O: it updates in-memory series that the HTTP server's own threads read
// when /metrics is scraped. A lock the loop shares with a scrape is held for a pointer swap or
// one histogram's copy, never while a scraper is written to (exporters/target_metrics.hpp).
// Per-target series carry `target` (the target's name) plus the target's configured labels.
class PrometheusExporter final : public ResultSink {
  // Keeps construction to start(); explicit so that `{}` cannot stand in for it.
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Starts serving /metrics on `options.listen`, with HTTP basic auth when
  // `options.basic_auth` is set. Errors: a malformed listen address; a constant label whose
  // name is not a Prometheus label name, is repeated or is one faultline sets itself (target,
  // class, phase, le, version); an unreadable or empty password file; an address that cannot be
  // listened on ("cannot serve metrics on 127.0.0.1:9469: Address already in use"). Nothing is left
  // running on error.
  static Expected<std::unique_ptr<PrometheusExporter>> start(const ExporterOptions& options);

  // For start() only (std::make_unique needs a public constructor).
  PrometheusExporter(PrivateTag, const ExporterOptions& options);
  // Stops the HTTP server (letting a scrape in progress finish) before the series go. Takes
  // milliseconds, not the two seconds civetweb alone would.
  ~PrometheusExporter() override;
  PrometheusExporter(const PrometheusExporter&) = delete;
  PrometheusExporter& operator=(const PrometheusExporter&) = delete;

  // The TCP port /metrics is served on: the one picked when `listen` asked for port 0.
  int port() const;

  // Replaces the target set. A target is matched to the previous set by name: if its
  // TargetInfo is equal it keeps its series (counters continue); otherwise (labels or URL
  // changed, or it is new) it starts over with fresh series under its new labels. Series of
  // targets no longer in the set are removed. Sets faultline_targets. Configured labels
  // Prometheus cannot take, or that faultline sets itself (target, class, phase, le; the
  // config loader rejects both), are left out with a warning in the log.
  void on_targets(const std::vector<const TargetInfo*>& targets) override;

  // Counts the probe under its class and sets the last-probe gauges: one pointer-hash lookup
  // and a few atomic stores, no lock unless histograms are on (bench/exporter_on_result_bench
  // measures it). Results for a target not in the current set are ignored.
  void on_result(const TargetInfo& target, const ProbeResult& result) override;

  // Sets faultline_target_up to 1 (up) or 0 (down); a change to `unknown` removes it, so the
  // series is absent while the daemon does not know.
  void on_state_change(const TargetInfo& target, const StateChange& change) override;
  // faultline_path_last_responding_hop / faultline_path_verdict (exporters/path_metrics.hpp).
  void on_path_trace(const TargetInfo& target, const PathTrace& trace) override;
  // faultline_idle_reset_detected / _threshold_seconds / faultline_idle_keepalive_verified.
  void on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                       std::int64_t at_ms) override;

  // Does nothing: every update is visible to the next scrape as soon as it is made.
  void flush(std::chrono::milliseconds budget) override;

  // Publishes the process's own numbers, whoever counts them (the scheduler, the store): a
  // name seen for the first time gets a family of its kind with the stat's help text and the
  // constant labels; later values update it. A gauge is set to the value; a counter advances by
  // the difference to the running total given last time (all of it when the total went down:
  // its source started over). A stat whose name is not a valid metric name or is one the
  // exporter publishes itself is left out, with a warning in the log the first time; one whose
  // kind differs from the first given under its name is left out. The per-target family names
  // (faultline_probes_total, ...) are not for stats.
  void publish(const ProcessStats& stats);
  // One probe's start delay against its schedule, into faultline_schedule_lag_seconds.
  void observe_schedule_lag(double seconds);
  // faultline_config_last_reload_successful = 1 and its timestamp = `unix_seconds`. start()
  // records the initial load as a success at the current time, since the daemon starts the
  // exporter only with a valid config.
  void config_reload_succeeded(std::int64_t unix_seconds);
  // faultline_config_last_reload_successful = 0; the success timestamp keeps its value.
  void config_reload_failed();

 private:
  struct ProcessMetrics;

  // Declared before server_ so the HTTP server, which reads them, stops first.
  std::shared_ptr<prometheus::Registry> registry_;  // the process metrics
  std::unique_ptr<ProcessMetrics> process_;
  std::shared_ptr<TargetMetrics> targets_;
  // faultline_path_* (issue 20).
  std::shared_ptr<PathMetrics> paths_;
  std::unique_ptr<MetricsServer> server_;
};

}  // namespace faultline
