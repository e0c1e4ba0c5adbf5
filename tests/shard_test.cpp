// Rendezvous hashing of targets onto shards: a fleet of instances with the same config probes
// every target exactly once, evenly, and a resize moves only what the new shard takes.
#include "daemon/shard.hpp"

#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

using namespace faultline;

namespace {

// Sequential names: the worst case for a weak string hash.
std::vector<TargetConfig> numbered_targets(int n) {
  std::vector<TargetConfig> targets(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    targets[static_cast<std::size_t>(i)].name = "web-" + std::to_string(i);
  return targets;
}

ClusterConfig shard(int i, int n) {
  ClusterConfig c;
  c.shard = i;
  c.shards = n;
  return c;
}

}  // namespace

TEST_CASE("shard: three shard configs cover 10,000 targets exactly once, evenly") {
  const auto targets = numbered_targets(10'000);
  std::set<std::string> seen;
  std::size_t total = 0;
  std::array<std::size_t, 3> counts{};
  for (int i = 0; i < 3; ++i) {
    const auto owned = owned_targets(targets, shard(i, 3));
    counts[static_cast<std::size_t>(i)] = owned.size();
    total += owned.size();
    for (const TargetConfig& t : owned) {
      CHECK_MESSAGE(seen.insert(t.name).second, t.name << " is owned by two shards");
      CHECK(shard_of(t.name, 3) == i);
    }
  }
  MESSAGE("10,000 targets on 3 shards: " << counts[0] << ", " << counts[1] << ", " << counts[2]);
  CHECK(total == targets.size());
  CHECK(seen.size() == targets.size());
  // 3,333 expected each; the standard deviation is 47, so +-10 % cannot fail by chance.
  for (std::size_t c : counts) {
    CHECK(c > 3000);
    CHECK(c < 3667);
  }
}

TEST_CASE("shard: growing from 3 to 4 shards moves about a quarter, all of it to the new shard") {
  const auto targets = numbered_targets(10'000);
  std::size_t moved = 0;
  for (const TargetConfig& t : targets) {
    const int before = shard_of(t.name, 3);
    const int after = shard_of(t.name, 4);
    if (before != after) {
      ++moved;
      CHECK_MESSAGE(after == 3, t.name << " moved from shard " << before << " to " << after);
    }
  }
  const double fraction = static_cast<double>(moved) / static_cast<double>(targets.size());
  MESSAGE("3 -> 4 shards moved " << moved << " of 10,000 targets (" << fraction * 100 << " %)");
  CHECK(fraction > 0.20);
  CHECK(fraction < 0.30);
}

TEST_CASE("shard: shrinking from 4 to 3 moves only the removed shard's targets") {
  for (const TargetConfig& t : numbered_targets(2'000)) {
    const int before = shard_of(t.name, 4);
    if (before != 3) CHECK(shard_of(t.name, 3) == before);
  }
}

TEST_CASE("shard: one shard owns everything, in config order") {
  const auto targets = numbered_targets(5);
  const auto owned = owned_targets(targets, ClusterConfig{});
  REQUIRE(owned.size() == 5);
  CHECK(owned[0].name == "web-0");
  CHECK(owned[4].name == "web-4");
  CHECK(shard_of("anything", 1) == 0);
}

// The weights are a contract between the instances of a fleet, which may run different
// faultline versions during an upgrade: a changed hash would probe some targets twice and
// others never. These values pin it.
TEST_CASE("shard: weights are the same in every build") {
  // Computed with an independent implementation of the documented hash (FNV-1a, splitmix64).
  CHECK(shard_weight("api", 0) == 0x70ebf3921b442b2aULL);
  CHECK(shard_weight("api", 1) == 0xd8f37d539d977cd8ULL);
  CHECK(shard_weight("", 0) == 0x96aba4243c357004ULL);
  CHECK(shard_of("api", 2) == 1);
  CHECK(shard_of("api", 3) == 1);
  CHECK(shard_of("db", 3) == 0);
  CHECK(shard_of("web-1", 3) == 0);
}
