#include "exporters/prometheus_exporter.hpp"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <exception>
#include <fstream>
#include <iterator>
#include <unordered_map>
#include <utility>

#include "checks/utc_time.hpp"
#include "exporters/metrics_server.hpp"
#include "exporters/own_labels.hpp"
#include "exporters/path_metrics.hpp"
#include "exporters/target_metrics.hpp"

namespace faultline {
namespace {

using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;

Expected<prometheus::Labels> constant_labels(const Labels& labels) {
  prometheus::Labels out;
  for (const auto& [name, value] : labels) {
    if (!prometheus::CheckLabelName(name)) {
      return unexpected("constant label '" + name + "' is not a Prometheus label name");
    }
    if (clashes_with_constant_label(name)) {
      return unexpected("constant label '" + name + "' is one faultline sets");
    }
    if (!out.emplace(name, value).second) {
      return unexpected("constant label '" + name + "' is given twice");
    }
  }
  return out;
}

// Schedule lag: well under a millisecond on an idle loop; seconds mean the loop is starved.
const Histogram::BucketBoundaries kLagBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};

Expected<std::string> read_password(const std::string& path) {
  std::ifstream in(path);
  if (!in) return unexpected("cannot read metrics password file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.back()))
    text.pop_back();
  std::size_t first = 0;
  while (first < text.size() && space(text[first]))
    ++first;
  text.erase(0, first);
  if (text.empty()) return unexpected("metrics password file " + path + " is empty");
  return text;
}

// One stat publish() took, by its name: its series (none when it was refused) and, for a
// counter, the running total it was last given.
struct PublishedStat {
  StatKind kind = StatKind::gauge;
  Gauge* gauge = nullptr;
  Counter* counter = nullptr;
  double last_total = 0;
};

// The series of a stat seen for the first time. Registered in `registry`, which throws on a
// name that is taken or not a metric name; then the stat is refused (no series).
PublishedStat register_stat(prometheus::Registry& registry, const prometheus::Labels& constant,
                            const ProcessStat& stat) {
  PublishedStat published{.kind = stat.kind};
  try {
    if (stat.kind == StatKind::gauge) {
      published.gauge = &prometheus::BuildGauge()
                             .Name(stat.name)
                             .Labels(constant)
                             .Help(stat.help)
                             .Register(registry)
                             .Add({});
    } else {
      published.counter = &prometheus::BuildCounter()
                               .Name(stat.name)
                               .Labels(constant)
                               .Help(stat.help)
                               .Register(registry)
                               .Add({});
    }
  } catch (const std::exception& e) {
    spdlog::warn("metrics: not publishing '{}': {}", stat.name, e.what());
  }
  return published;
}

double seconds_since_epoch() {
  return static_cast<double>(unix_now_ms()) / 1000.0;
}

}  // namespace

// The process metrics: one series each, registered once at start, and the stats publish() adds
// as they come. (The per-target series are in TargetMetrics.)
struct PrometheusExporter::ProcessMetrics {
  ProcessMetrics(prometheus::Registry& r, const std::string& version,
                 const prometheus::Labels& constant)
      : constant(constant),
        build_info(prometheus::BuildGauge()
                       .Name("faultline_build_info")
                       .Labels(constant)
                       .Help("Always 1; the faultline version as a label.")
                       .Register(r)
                       .Add({{"version", version}})),
        targets(prometheus::BuildGauge()
                    .Name("faultline_targets")
                    .Labels(constant)
                    .Help("Targets configured.")
                    .Register(r)
                    .Add({})),
        schedule_lag(prometheus::BuildHistogram()
                         .Name("faultline_schedule_lag_seconds")
                         .Labels(constant)
                         .Help("How late probes started against their schedule.")
                         .Register(r)
                         .Add({}, kLagBuckets)),
        reload_ok(prometheus::BuildGauge()
                      .Name("faultline_config_last_reload_successful")
                      .Labels(constant)
                      .Help("1 if the last config load or reload succeeded, 0 if it failed.")
                      .Register(r)
                      .Add({})),
        reload_time(prometheus::BuildGauge()
                        .Name("faultline_config_last_reload_success_timestamp_seconds")
                        .Labels(constant)
                        .Help("When the config was last loaded successfully.")
                        .Register(r)
                        .Add({})) {
    build_info.Set(1);
  }

  const prometheus::Labels constant;
  Gauge& build_info;
  Gauge& targets;
  Histogram& schedule_lag;
  Gauge& reload_ok;
  Gauge& reload_time;
  // The stats publish() was given, by name.
  std::unordered_map<std::string, PublishedStat> stats;
};

Expected<std::unique_ptr<PrometheusExporter>> PrometheusExporter::start(
    const ExporterOptions& options) {
  auto address = parse_listen_address(options.listen);
  if (!address) return unexpected("metrics.listen: " + address.error());
  if (auto labels = constant_labels(options.const_labels); !labels)
    return unexpected(labels.error());
  std::optional<std::string> password;
  if (options.basic_auth) {
    auto read = read_password(options.basic_auth->password_file);
    if (!read) return unexpected(read.error());
    password = std::move(*read);
  }

  auto exporter = std::make_unique<PrometheusExporter>(PrivateTag{}, options);
  std::optional<ScrapeCredentials> credentials;
  if (options.basic_auth) credentials = ScrapeCredentials{options.basic_auth->username, *password};
  // Raw pointers: the server stops (in the destructor) before any of them goes.
  auto server = MetricsServer::start(
      *address, std::move(credentials),
      [registry = exporter->registry_.get(), targets = exporter->targets_.get(),
       paths = exporter->paths_.get()](ExpositionWriter& out) {
        for (const prometheus::MetricFamily& f : registry->Collect())
          out.family(f);
        targets->write(out);
        paths->write(out);
      });
  if (!server) return unexpected(server.error());
  exporter->server_ = std::move(*server);
  return exporter;
}

PrometheusExporter::PrometheusExporter(PrivateTag, const ExporterOptions& options)
    // Throw: a stat given to publish() under a name taken by a process metric is refused
    // instead of sharing (and overwriting) its series.
    : registry_(
          std::make_shared<prometheus::Registry>(prometheus::Registry::InsertBehavior::Throw)),
      process_(std::make_unique<ProcessMetrics>(
          *registry_, options.version,
          // start() has checked them.
          prometheus::Labels(options.const_labels.begin(), options.const_labels.end()))),
      targets_(std::make_shared<TargetMetrics>(options.histograms, options.const_labels)),
      paths_(std::make_shared<PathMetrics>(options.const_labels)) {
  process_->reload_ok.Set(1);
  process_->reload_time.Set(seconds_since_epoch());
}

PrometheusExporter::~PrometheusExporter() = default;

int PrometheusExporter::port() const {
  return server_->port();
}

void PrometheusExporter::on_targets(const std::vector<const TargetInfo*>& targets) {
  targets_->set_targets(targets);
  paths_->set_targets(targets);
  process_->targets.Set(static_cast<double>(targets_->size()));
}

void PrometheusExporter::on_result(const TargetInfo& target, const ProbeResult& result) {
  targets_->record(target, result);
}

void PrometheusExporter::on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                                         std::int64_t) {
  targets_->set_idle_finding(target, finding);
}

void PrometheusExporter::on_state_change(const TargetInfo& target, const StateChange& change) {
  targets_->set_state(target, change.to);
}

void PrometheusExporter::on_path_trace(const TargetInfo& target, const PathTrace& trace) {
  paths_->record(target, trace);
}

void PrometheusExporter::flush(std::chrono::milliseconds) {}

void PrometheusExporter::publish(const ProcessStats& stats) {
  for (const ProcessStat& stat : stats) {
    auto [at, fresh] = process_->stats.try_emplace(stat.name);
    PublishedStat& published = at->second;
    if (fresh) published = register_stat(*registry_, process_->constant, stat);
    if (published.kind != stat.kind) continue;
    if (published.gauge != nullptr) published.gauge->Set(stat.value);
    if (published.counter != nullptr) {
      // prometheus-cpp counters only go up, so running totals become increments.
      const double total = stat.value;
      published.counter->Increment(total >= published.last_total ? total - published.last_total
                                                                 : total);
      published.last_total = total;
    }
  }
}

void PrometheusExporter::observe_schedule_lag(double seconds) {
  process_->schedule_lag.Observe(seconds);
}

void PrometheusExporter::config_reload_succeeded(std::int64_t unix_seconds) {
  process_->reload_ok.Set(1);
  process_->reload_time.Set(static_cast<double>(unix_seconds));
}

void PrometheusExporter::config_reload_failed() {
  process_->reload_ok.Set(0);
}

}  // namespace faultline
