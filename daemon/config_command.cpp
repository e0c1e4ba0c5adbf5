#include "daemon/config_command.hpp"

#include <iostream>
#include <optional>

#include "daemon/config_loader.hpp"
#include "daemon/secret_exposure.hpp"
#include "daemon/shard.hpp"
#include "exporters/listen_address.hpp"

namespace faultline {
namespace {

// The daemon would fail to start on an address taken now, unless what holds it is this very
// faultline, already running (so a warning, not an error).
std::optional<std::string> listen_warning(const MetricsConfig& metrics) {
  auto address = parse_listen_address(metrics.listen);
  if (!address || address->port == 0) return std::nullopt;
  const std::string failure = listen_failure(*address);
  if (failure.empty()) return std::nullopt;
  return "metrics.listen " + address->to_string() + " cannot be listened on now (" + failure +
         "); faultline run will not start unless what holds it is this faultline, already "
         "running (`ss -ltnp` names the process)";
}

void print_ok(const std::string& path, const Config& config) {
  std::cout << path << ": ok, " << config.targets.size()
            << (config.targets.size() == 1 ? " target" : " targets");
  if (config.cluster.shards > 1) {
    std::cout << " (shard " << config.cluster.shard << " of " << config.cluster.shards << " probes "
              << owned_targets(config.targets, config.cluster).size() << ")";
  }
  std::cout << '\n';
}

}  // namespace

int run_config_check(const std::string& path) {
  ConfigLoad load = load_config(path);
  for (const Diagnostic& w : load.warnings) {
    std::cerr << w.file << ':' << w.line << ':' << w.column << ": warning: " << w.message << '\n';
  }
  for (const Diagnostic& e : load.errors)
    std::cerr << e.to_string() << '\n';
  if (!load.config) {
    std::cerr << path << ": " << load.errors.size()
              << (load.errors.size() == 1 ? " error" : " errors") << '\n';
    return 1;
  }
  const Config& config = *load.config;
  for (const std::string& w : secret_exposure_warnings(config))
    std::cerr << path << ": warning: " << w << '\n';
  if (auto w = listen_warning(config.metrics)) std::cerr << path << ": warning: " << *w << '\n';
  print_ok(path, config);
  return 0;
}

}  // namespace faultline
