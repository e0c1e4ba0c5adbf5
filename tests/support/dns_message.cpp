#include "tests/support/dns_message.hpp"

#include <cctype>

namespace faultline::testing {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kOpcodeMask = 0x7800;
constexpr std::uint16_t kFlagAa = 0x0400;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;
constexpr std::uint16_t kFlagRa = 0x0080;

std::uint16_t read16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

}  // namespace

std::optional<DnsQuestion> parse_dns_query(std::span<const std::uint8_t> m) {
  if (m.size() < kHeaderSize) return std::nullopt;
  DnsQuestion q;
  q.id = read16(m, 0);
  q.flags = read16(m, 2);
  if ((q.flags & kFlagQr) != 0 || read16(m, 4) != 1) return std::nullopt;
  std::size_t at = kHeaderSize;
  for (;;) {
    if (at >= m.size()) return std::nullopt;
    std::uint8_t length = m[at++];
    if (length == 0) break;
    // 0xC0 marks a compression pointer, which has no business in a lone question.
    if (length > 63 || at + length > m.size() || q.name.size() + length > 253) return std::nullopt;
    if (!q.name.empty()) q.name += '.';
    for (std::size_t i = 0; i < length; ++i)
      q.name += static_cast<char>(std::tolower(m[at + i]));
    at += length;
  }
  if (at + 4 > m.size()) return std::nullopt;
  q.type = read16(m, at);
  q.klass = read16(m, at + 2);
  q.end = at + 4;
  return q;
}

std::vector<std::uint8_t> encode_dns_name(std::string_view name) {
  std::vector<std::uint8_t> out;
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
  return out;
}

std::vector<std::uint8_t> encode_dns_response(std::span<const std::uint8_t> query,
                                              const DnsQuestion& q, std::uint8_t rcode,
                                              const std::vector<DnsRecord>& records,
                                              bool truncated) {
  std::vector<std::uint8_t> out;
  put16(out, q.id);
  put16(out, static_cast<std::uint16_t>(kFlagQr | (q.flags & kOpcodeMask) | kFlagAa |
                                        (truncated ? kFlagTc : 0) | (q.flags & kFlagRd) | kFlagRa |
                                        (rcode & 0x0f)));
  put16(out, 1);  // QDCOUNT
  put16(out, static_cast<std::uint16_t>(records.size()));
  put16(out, 0);  // NSCOUNT
  put16(out, 0);  // ARCOUNT: an EDNS OPT record in the query is not echoed
  out.insert(out.end(), query.begin() + kHeaderSize, query.begin() + q.end);
  for (const DnsRecord& r : records) {
    put16(out, 0xC000 | kHeaderSize);  // the owner name: a pointer to the question's name
    put16(out, r.type);
    put16(out, kDnsClassIn);
    put16(out, static_cast<std::uint16_t>(r.ttl >> 16));
    put16(out, static_cast<std::uint16_t>(r.ttl & 0xffff));
    put16(out, static_cast<std::uint16_t>(r.rdata.size()));
    out.insert(out.end(), r.rdata.begin(), r.rdata.end());
  }
  return out;
}

}  // namespace faultline::testing
