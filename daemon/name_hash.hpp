// The one hash of target names. Schedule phases and shard ownership both derive from it, and
// shard ownership is a contract between faultline versions (shard.hpp), so these functions
// never change their results.
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline {

// 64-bit FNV-1a of `s`.
std::uint64_t fnv1a64(std::string_view s);

// The splitmix64 finaliser: spreads every input bit over the whole word.
std::uint64_t splitmix64_mix(std::uint64_t x);

// fnv1a64 then splitmix64_mix: FNV alone leaves sequential names ("web-1", "web-2") clustered
// in the low bits that a modulo keeps.
inline std::uint64_t name_hash(std::string_view name) {
  return splitmix64_mix(fnv1a64(name));
}

}  // namespace faultline
