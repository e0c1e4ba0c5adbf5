// Which history files `faultline report` reads, and the instance each one's rows go by when it
// reads several (the shards of a fleet, vantage points, or an instance's old file).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "storage/history_reader.hpp"

namespace faultline {

// The instance a config's history goes by: its `cluster.vantage`, with " shard N" when
// cluster.shards is above 1, or "shard N" alone; nullopt for a config that names neither.
std::optional<std::string> cluster_instance(const ClusterConfig& cluster);

// The sources for `--db` files (each goes by its path as given) or `-c` configs (each its
// storage.path, going by cluster_instance(), else by that path), in the order given; with
// neither, the one file at `default_path`. When two sources would go by the same name, each of
// them goes by its path instead. A config that does not load prints its diagnostics and
// "faultline report: cannot take storage.path from <config>" to `err` and yields nullopt.
std::optional<std::vector<HistorySource>> report_sources(const std::vector<std::string>& dbs,
                                                         const std::vector<std::string>& configs,
                                                         const std::string& default_path,
                                                         std::ostream& err);

}  // namespace faultline
