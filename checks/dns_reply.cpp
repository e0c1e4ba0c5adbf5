#include "checks/dns_reply.hpp"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <memory>

namespace faultline {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kClassIn = 1;

struct AresStringDeleter {
  void operator()(void* p) const { ares_free_string(p); }
};

std::uint16_t read16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

std::uint32_t read32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Reads through one message; every read checks its bounds.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> m) : m_(m) {}

  // The name at `at` (compression pointers followed), and the bytes it takes there.
  std::optional<std::string> name(std::size_t& at) const {
    if (at >= m_.size()) return std::nullopt;
    char* raw = nullptr;
    long used = 0;
    if (ares_expand_name(m_.data() + at, m_.data(), static_cast<int>(m_.size()), &raw, &used) !=
        ARES_SUCCESS) {
      return std::nullopt;
    }
    std::unique_ptr<char, AresStringDeleter> owned(raw);
    at += static_cast<std::size_t>(used);
    return normalise_dns_name(owned.get());
  }

  // One character-string (a length byte and that many bytes) at `at`.
  std::optional<std::string> character_string(std::size_t& at) const {
    if (at >= m_.size()) return std::nullopt;
    unsigned char* raw = nullptr;
    long used = 0;
    if (ares_expand_string(m_.data() + at, m_.data(), static_cast<int>(m_.size()), &raw, &used) !=
        ARES_SUCCESS) {
      return std::nullopt;
    }
    std::unique_ptr<unsigned char, AresStringDeleter> owned(raw);
    at += static_cast<std::size_t>(used);
    // ares_expand_string NUL-terminates; the length byte said how long the string is.
    return std::string(reinterpret_cast<const char*>(owned.get()),
                       static_cast<std::size_t>(used - 1));
  }

  bool has(std::size_t at, std::size_t n) const { return at <= m_.size() && m_.size() - at >= n; }
  const std::uint8_t* at(std::size_t i) const { return m_.data() + i; }

 private:
  std::span<const std::uint8_t> m_;
};

std::optional<std::string> address_text(int family, const std::uint8_t* bytes) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, bytes, text.data(), text.size()) == nullptr) return std::nullopt;
  return std::string(text.data());
}

// The textual form of the record whose rdata spans [start, end).
std::optional<std::string> record_text(const Reader& r, DnsType type, std::size_t start,
                                       std::size_t end) {
  const std::size_t length = end - start;
  std::size_t at = start;
  switch (type) {
    case DnsType::a:
      return length == 4 ? address_text(AF_INET, r.at(start)) : std::nullopt;
    case DnsType::aaaa:
      return length == 16 ? address_text(AF_INET6, r.at(start)) : std::nullopt;
    case DnsType::cname:
    case DnsType::ns: {
      auto name = r.name(at);
      return name && at <= end ? name : std::nullopt;
    }
    case DnsType::mx: {
      if (length < 3) return std::nullopt;
      at += 2;
      auto exchange = r.name(at);
      if (!exchange || at > end) return std::nullopt;
      return std::to_string(read16(r.at(start))) + " " + *exchange;
    }
    case DnsType::txt: {
      std::string text;
      while (at < end) {
        auto piece = r.character_string(at);
        if (!piece || at > end) return std::nullopt;
        text += *piece;
      }
      return text;
    }
    case DnsType::soa: {
      auto mname = r.name(at);
      auto rname = mname ? r.name(at) : std::nullopt;
      if (!rname || at + 20 > end) return std::nullopt;
      std::string text = *mname + " " + *rname;
      for (int i = 0; i < 5; ++i, at += 4)
        text += " " + std::to_string(read32(r.at(at)));
      return text;
    }
  }
  return std::nullopt;
}

}  // namespace

Expected<DnsReply> parse_dns_reply(std::span<const std::uint8_t> message, DnsType type) {
  const Reader r(message);
  if (!r.has(0, kHeaderSize)) return unexpected("malformed answer: shorter than a DNS header");
  DnsReply reply;
  reply.rcode = message[3] & 0x0f;
  const std::uint16_t questions = read16(r.at(4));
  const std::uint16_t answers = read16(r.at(6));
  std::size_t at = kHeaderSize;
  for (std::uint16_t i = 0; i < questions; ++i) {
    if (!r.name(at) || !r.has(at, 4)) return unexpected("malformed answer: a cut question");
    at += 4;
  }
  for (std::uint16_t i = 0; i < answers; ++i) {
    if (!r.name(at) || !r.has(at, 10)) return unexpected("malformed answer: a cut record");
    const std::uint16_t rr_type = read16(r.at(at));
    const std::uint16_t rr_class = read16(r.at(at + 2));
    const std::uint32_t ttl = read32(r.at(at + 4));
    const std::uint16_t length = read16(r.at(at + 8));
    at += 10;
    if (!r.has(at, length)) return unexpected("malformed answer: a record's data is cut");
    reply.min_ttl = reply.min_ttl ? std::min(*reply.min_ttl, ttl) : ttl;
    if (rr_class == kClassIn && rr_type == wire_code(type)) {
      auto text = record_text(r, type, at, at + length);
      if (!text) {
        return unexpected("malformed answer: a " + std::string(to_string(type)) +
                          " record that does not parse");
      }
      if (reply.records.size() < kMaxDnsRecords) {
        reply.records.push_back(std::move(*text));
      } else {
        ++reply.records_dropped;
      }
    }
    at += length;
  }
  return reply;
}

std::string rcode_name(int rcode) {
  static constexpr std::array<const char*, 6> kNames = {"NOERROR",  "FORMERR", "SERVFAIL",
                                                        "NXDOMAIN", "NOTIMP",  "REFUSED"};
  if (rcode >= 0 && static_cast<std::size_t>(rcode) < kNames.size()) return kNames[rcode];
  return "RCODE " + std::to_string(rcode);
}

}  // namespace faultline
