// The sliver of the DNS wire format (RFC 1035) FakeDnsServer needs: read the one question of
// a query, and build the answer that echoes it, with records of any type.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::testing {

inline constexpr std::uint16_t kDnsTypeA = 1;
inline constexpr std::uint16_t kDnsTypeNs = 2;
inline constexpr std::uint16_t kDnsTypeCname = 5;
inline constexpr std::uint16_t kDnsTypeSoa = 6;
inline constexpr std::uint16_t kDnsTypeMx = 15;
inline constexpr std::uint16_t kDnsTypeTxt = 16;
inline constexpr std::uint16_t kDnsTypeAaaa = 28;
inline constexpr std::uint16_t kDnsClassIn = 1;

inline constexpr std::uint8_t kDnsNoError = 0;
inline constexpr std::uint8_t kDnsServFail = 2;
inline constexpr std::uint8_t kDnsNxDomain = 3;
inline constexpr std::uint8_t kDnsRefused = 5;

// One answer record, owned by the question's name.
struct DnsRecord {
  std::uint16_t type = kDnsTypeA;
  std::uint32_t ttl = 60;
  std::vector<std::uint8_t> rdata;
};

// `name` ("mail.example.com") in wire form, uncompressed: length-prefixed labels and the root.
std::vector<std::uint8_t> encode_dns_name(std::string_view name);

// The question of a standard query.
struct DnsQuestion {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;  // as received; the answer copies opcode and RD from it
  std::string name;         // lower case, no trailing dot ("a.test"; "" for the root)
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::size_t end = 0;  // offset just past the question in the message
};

// Parses a query with exactly one question and no name compression in it. Returns nullopt for
// anything else (responses, truncated or malformed messages), which a server simply ignores.
std::optional<DnsQuestion> parse_dns_query(std::span<const std::uint8_t> message);

// The response to `query` (whose question `q` was parsed from it): same id, QR and AA set, RD
// copied, RA set, TC when `truncated`, `rcode`, the question echoed byte for byte (so 0x20
// case randomisation survives) and `records` as the answer section, each owned by the
// question's name.
std::vector<std::uint8_t> encode_dns_response(std::span<const std::uint8_t> query,
                                              const DnsQuestion& q, std::uint8_t rcode,
                                              const std::vector<DnsRecord>& records,
                                              bool truncated = false);

}  // namespace faultline::testing
