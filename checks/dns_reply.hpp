// Reads a DNS answer message (RFC 1035) into what a dns:// probe reports: the response code,
// the records of the asked type in their textual form (dns_record_type.hpp) and the smallest
// TTL of the answer section. c-ares 1.18's ares_parse_*_reply give TTLs only for A and AAAA and
// have no CNAME reader, so the answer section is walked here, with c-ares' own name and string
// expansion (compression pointers, escaping) for every name and character-string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks/dns_record_type.hpp"
#include "checks/expected.hpp"

namespace faultline {

// The answer's response codes that a probe tells apart (RFC 1035, 4.1.1).
inline constexpr int kRcodeNoError = 0;
inline constexpr int kRcodeFormErr = 1;
inline constexpr int kRcodeServFail = 2;
inline constexpr int kRcodeNxDomain = 3;
inline constexpr int kRcodeNotImp = 4;
inline constexpr int kRcodeRefused = 5;

// At most this many records are kept from one answer; the rest are counted, not kept.
inline constexpr std::size_t kMaxDnsRecords = 64;

struct DnsReply {
  int rcode = kRcodeNoError;
  std::vector<std::string> records;      // of the asked type and class IN, in answer order
  std::size_t records_dropped = 0;       // past kMaxDnsRecords
  std::optional<std::uint32_t> min_ttl;  // over every record of the answer section
};

// Parses `message` for records of `type`; an error ("malformed answer: ...") when the message
// is cut short or a record of that type is malformed.
Expected<DnsReply> parse_dns_reply(std::span<const std::uint8_t> message, DnsType type);

// "NOERROR", "SERVFAIL", "NXDOMAIN", ...; "RCODE 9" for codes without a name here.
std::string rcode_name(int rcode);

}  // namespace faultline
