// FakeDnsServer: a real DNS server on loopback (UDP, and TCP on the same port) whose answers
// each test scripts per name, so every DNS failure class can be produced without the internet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::testing {

// Answers questions from per-name rules on its own thread. Names match without regard to case
// or a trailing dot. The record setters (a, aaaa, cname, mx, txt, ns, soa) add to the name's
// records; a question is answered with the name's records of its type, after the name's CNAME
// record if it has one and the question is not for CNAME (like a zone, minus following the
// chain); no records of the type is NOERROR without records. The mode setters (nxdomain,
// nodata, servfail, refused, drop) replace every earlier rule of the name; a record setter
// after one of them starts the name afresh. Names with no rule get NXDOMAIN; malformed packets
// and responses are ignored. No EDNS in answers. The rule setters are thread-safe and may be
// called while serving. The destructor stops and joins the thread promptly.
class FakeDnsServer {
 public:
  // Binds UDP and TCP address:port ("127.0.0.1" or "::1"; port 0 lets the kernel pick one free
  // for both, 53 is for a network namespace of the test's own). Throws std::system_error when
  // binding fails.
  explicit FakeDnsServer(const std::string& address = "127.0.0.1", std::uint16_t port = 0);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  std::uint16_t port() const;

  // Adds a record for `name` with `ttl` seconds. Throws std::invalid_argument for a bad
  // address literal.
  FakeDnsServer& a(std::string_view name, std::string_view ipv4, std::uint32_t ttl = 60);
  FakeDnsServer& aaaa(std::string_view name, std::string_view ipv6, std::uint32_t ttl = 60);
  FakeDnsServer& cname(std::string_view name, std::string_view target, std::uint32_t ttl = 60);
  FakeDnsServer& mx(std::string_view name, std::uint16_t preference, std::string_view exchange,
                    std::uint32_t ttl = 60);
  // One TXT record made of `strings` (each at most 255 bytes).
  FakeDnsServer& txt(std::string_view name, const std::vector<std::string>& strings,
                     std::uint32_t ttl = 60);
  FakeDnsServer& ns(std::string_view name, std::string_view host, std::uint32_t ttl = 60);
  FakeDnsServer& soa(std::string_view name, std::string_view mname, std::string_view rname,
                     std::uint32_t serial, std::uint32_t ttl = 60);
  // Over UDP, answers questions about `name` with TC set and no records, so the client must ask
  // again over TCP, where the name's records come whole. Keeps the name's records.
  FakeDnsServer& truncate_udp(std::string_view name);

  // NXDOMAIN for every question about `name`.
  FakeDnsServer& nxdomain(std::string_view name);
  // NOERROR with no records: the name exists but has no address.
  FakeDnsServer& nodata(std::string_view name);
  // SERVFAIL: the resolver should treat this as temporary.
  FakeDnsServer& servfail(std::string_view name);
  // REFUSED: the server will not answer questions about `name`.
  FakeDnsServer& refused(std::string_view name);
  // Reads the question and never answers, so the client times out.
  FakeDnsServer& drop(std::string_view name);

  // Queries received (parsed ones, answered or dropped), in all and for one name, and those
  // that came over TCP.
  int queries() const;
  int queries_for(std::string_view name) const;
  int tcp_queries() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faultline::testing
