// FakeDnsServer: a real UDP DNS server on loopback whose answers each test scripts per name,
// so every DNS failure class can be produced without the internet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace faultline::testing {

// Answers A and AAAA questions from per-name rules on its own thread. Names match without
// regard to case or a trailing dot; the last rule set for a name wins, except that a() and
// aaaa() add to an earlier a()/aaaa() of the same name. A name with addresses of only one
// family answers the other family with NOERROR and no records, like a real zone. Names with no
// rule get NXDOMAIN; malformed packets and responses are ignored. Only UDP: no truncation,
// no TCP, no EDNS in answers. The rule setters are thread-safe and may be called while
// serving. The destructor stops and joins the thread promptly.
class FakeDnsServer {
 public:
  // Binds UDP address:port ("127.0.0.1" or "::1"; port 0 lets the kernel pick, 53 is for a
  // network namespace of the test's own). Throws std::system_error when binding fails.
  explicit FakeDnsServer(const std::string& address = "127.0.0.1", std::uint16_t port = 0);
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  std::uint16_t port() const;

  // Adds an A (or AAAA) record for `name`. Throws std::invalid_argument for a bad literal.
  FakeDnsServer& a(std::string_view name, std::string_view ipv4);
  FakeDnsServer& aaaa(std::string_view name, std::string_view ipv6);
  // NXDOMAIN for every question about `name`.
  FakeDnsServer& nxdomain(std::string_view name);
  // NOERROR with no records: the name exists but has no address.
  FakeDnsServer& nodata(std::string_view name);
  // SERVFAIL: the resolver should treat this as temporary.
  FakeDnsServer& servfail(std::string_view name);
  // Reads the question and never answers, so the client times out.
  FakeDnsServer& drop(std::string_view name);

  // Queries received (parsed ones, answered or dropped), in all and for one name.
  int queries() const;
  int queries_for(std::string_view name) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faultline::testing
