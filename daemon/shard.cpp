#include "daemon/shard.hpp"

namespace faultline {
namespace {

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::uint64_t shard_weight(std::string_view name, int shard) {
  // The shard number goes through the mixer before it meets the name's hash, so neighbouring
  // shards get unrelated weights; the final mix spreads FNV's weak low bits over the word.
  const auto seed = mix(static_cast<std::uint64_t>(shard) + 0x9e3779b97f4a7c15ULL);
  return mix(fnv1a(name) ^ seed);
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

std::vector<TargetConfig> owned_targets(std::vector<TargetConfig> targets,
                                        const ClusterConfig& cluster) {
  if (cluster.shards <= 1) return targets;
  std::erase_if(targets, [&](const TargetConfig& t) {
    return shard_of(t.name, cluster.shards) != cluster.shard;
  });
  return targets;
}

}  // namespace faultline
