// Which targets one instance of a fleet probes: rendezvous (highest random weight) hashing of
// the target names onto `cluster.shards` shards. Every instance computes the same answer from
// the same config without talking to the others, so each target is probed by exactly one shard,
// and a change from N to N+1 shards moves only the ~1/(N+1) of the targets the new shard wins.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"

namespace faultline {

// The weight of `name` on `shard`: a 64-bit hash of both (FNV-1a of the name, mixed with the
// shard number through the splitmix64 finaliser). A contract between instances: every faultline
// version must compute the same weights, or a mixed fleet would probe some targets twice and
// others never.
std::uint64_t shard_weight(std::string_view name, int shard);

// The shard in [0, shards) with the highest weight for `name` (the lowest such shard on a tie).
// `shards` must be at least 1.
int shard_of(std::string_view name, int shards);

// The targets `cluster.shard` owns, in config order. All of them when cluster.shards is 1.
TargetList owned_targets(TargetList targets, const ClusterConfig& cluster);

}  // namespace faultline
