#include "daemon/shard.hpp"

#include "daemon/name_hash.hpp"

namespace faultline {

std::uint64_t shard_weight(std::string_view name, int shard) {
  // The shard number goes through the mixer before it meets the name's hash, so neighbouring
  // shards get unrelated weights; the final mix spreads FNV's weak low bits over the word.
  const auto seed = splitmix64_mix(static_cast<std::uint64_t>(shard) + 0x9e3779b97f4a7c15ULL);
  return splitmix64_mix(fnv1a64(name) ^ seed);
}

int shard_of(std::string_view name, int shards) {
  int best = 0;
  std::uint64_t best_weight = shard_weight(name, 0);
  for (int shard = 1; shard < shards; ++shard) {
    const std::uint64_t w = shard_weight(name, shard);
    if (w > best_weight) {
      best = shard;
      best_weight = w;
    }
  }
  return best;
}

TargetList owned_targets(TargetList targets, const ClusterConfig& cluster) {
  if (cluster.shards <= 1) return targets;
  targets.keep_if(
      [&](const TargetConfig& t) { return shard_of(t.name, cluster.shards) == cluster.shard; });
  return targets;
}

}  // namespace faultline
