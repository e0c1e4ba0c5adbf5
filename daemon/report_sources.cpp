#include "daemon/report_sources.hpp"

#include <map>

#include "daemon/config_loader.hpp"

namespace faultline {

std::optional<std::string> cluster_instance(const ClusterConfig& cluster) {
  const std::string shard = "shard " + std::to_string(cluster.shard);
  if (cluster.vantage)
    return cluster.shards > 1 ? *cluster.vantage + " " + shard : *cluster.vantage;
  if (cluster.shards > 1) return shard;
  return std::nullopt;
}

std::optional<std::vector<HistorySource>> report_sources(const std::vector<std::string>& dbs,
                                                         const std::vector<std::string>& configs,
                                                         const std::string& default_path,
                                                         std::ostream& err) {
  std::vector<HistorySource> sources;
  for (const std::string& db : dbs)
    sources.push_back({db, db});
  for (const std::string& file : configs) {
    // Only read: whether the daemon could write there is not the report's concern.
    ConfigLoad load = load_config(file, StorageUse::none);
    if (!load.config) {
      for (const Diagnostic& e : load.errors)
        err << e.to_string() << "\n";
      err << "faultline report: cannot take storage.path from " << file << "\n";
      return std::nullopt;
    }
    const std::string& path = load.config->storage.path;
    sources.push_back({cluster_instance(load.config->cluster).value_or(path), path});
  }
  if (sources.empty()) sources.push_back({default_path, default_path});
  // Two files by one name (two configs without a cluster section, say) could not be told
  // apart in the report; their paths can.
  std::map<std::string, int> uses;
  for (const HistorySource& s : sources)
    ++uses[s.instance];
  for (HistorySource& s : sources) {
    if (uses[s.instance] > 1) s.instance = s.path;
  }
  return sources;
}

}  // namespace faultline
