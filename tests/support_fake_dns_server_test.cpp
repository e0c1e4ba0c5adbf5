#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_dns_server.hpp"
#include "tests/support/socket_address.hpp"

using faultline::testing::bind_socket;
using faultline::testing::FakeDnsServer;
using faultline::testing::make_socket_address;
using faultline::testing::UniqueFd;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint16_t kA = 1;
constexpr std::uint16_t kAaaa = 28;

// A standard query, built by hand: id 0x4a2f, RD set, one question of class IN.
Bytes query(const std::string& name, std::uint16_t type) {
  Bytes q = {0x4a, 0x2f, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1});
  return q;
}

// Sends `q` and returns the reply, or nullopt after `timeout_ms` of silence.
std::optional<Bytes> ask(const FakeDnsServer& server, const Bytes& q, int timeout_ms = 1000) {
  UniqueFd fd = bind_socket("127.0.0.1", 0, SOCK_DGRAM);
  auto to = make_socket_address("127.0.0.1", server.port());
  REQUIRE(::sendto(fd.get(), q.data(), q.size(), 0, to.get(), to.length) ==
          static_cast<ssize_t>(q.size()));
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
  Bytes reply(4096);
  ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
  REQUIRE(n > 0);
  reply.resize(static_cast<std::size_t>(n));
  return reply;
}

int u16(const Bytes& m, std::size_t at) {
  return m.at(at) << 8 | m.at(at + 1);
}

struct Reply {
  int rcode;
  int answers;
  std::vector<Bytes> rdata;
};

// Checks the parts every reply shares (id, QR, RD, question echoed) and returns the rest.
Reply check_reply(const Bytes& q, const Bytes& r) {
  REQUIRE(r.size() >= q.size());
  CHECK(u16(r, 0) == 0x4a2f);
  CHECK((r[2] & 0x80) != 0);  // QR
  CHECK((r[2] & 0x01) != 0);  // RD copied
  CHECK(u16(r, 4) == 1);
  CHECK(Bytes(r.begin() + 12, r.begin() + static_cast<long>(q.size())) ==
        Bytes(q.begin() + 12, q.end()));
  Reply out{r[3] & 0x0f, u16(r, 6), {}};
  std::size_t at = q.size();
  for (int i = 0; i < out.answers; ++i) {
    CHECK(u16(r, at) == 0xC00C);  // owner: pointer to the question's name
    CHECK(u16(r, at + 2) == u16(q, q.size() - 4));
    std::size_t length = static_cast<std::size_t>(u16(r, at + 10));
    out.rdata.emplace_back(r.begin() + static_cast<long>(at + 12),
                           r.begin() + static_cast<long>(at + 12 + length));
    at += 12 + length;
  }
  CHECK(at == r.size());
  return out;
}

// As ask(), over TCP: the query and the reply each behind a two-byte length.
std::optional<Bytes> ask_tcp(const FakeDnsServer& server, const Bytes& q) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto to = make_socket_address("127.0.0.1", server.port());
  REQUIRE(::connect(fd.get(), to.get(), to.length) == 0);
  Bytes framed = {static_cast<std::uint8_t>(q.size() >> 8), static_cast<std::uint8_t>(q.size())};
  framed.insert(framed.end(), q.begin(), q.end());
  REQUIRE(::send(fd.get(), framed.data(), framed.size(), 0) == static_cast<ssize_t>(framed.size()));
  Bytes reply;
  std::uint8_t buffer[4096];
  pollfd p{fd.get(), POLLIN, 0};
  while (::poll(&p, 1, 1000) == 1) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.insert(reply.end(), buffer, buffer + n);
  }
  if (reply.size() < 2 || u16(reply, 0) != static_cast<int>(reply.size() - 2)) return std::nullopt;
  return Bytes(reply.begin() + 2, reply.end());
}

Reply ask_and_check(const FakeDnsServer& server, const std::string& name, std::uint16_t type) {
  Bytes q = query(name, type);
  auto r = ask(server, q);
  REQUIRE_MESSAGE(r.has_value(), "no reply for " << name);
  return check_reply(q, *r);
}

}  // namespace

TEST_CASE("FakeDnsServer: A and AAAA answers") {
  FakeDnsServer dns;
  dns.a("a.test", "127.0.0.1").a("a.test", "127.0.0.2").aaaa("six.test", "::1");

  Reply a = ask_and_check(dns, "a.test", kA);
  CHECK(a.rcode == 0);
  REQUIRE(a.answers == 2);
  CHECK(a.rdata[0] == Bytes{127, 0, 0, 1});
  CHECK(a.rdata[1] == Bytes{127, 0, 0, 2});

  Reply six = ask_and_check(dns, "six.test", kAaaa);
  CHECK(six.rcode == 0);
  REQUIRE(six.answers == 1);
  Bytes loopback6(16, 0);
  loopback6[15] = 1;
  CHECK(six.rdata[0] == loopback6);

  // The other family of a known name: NOERROR, no records.
  Reply none = ask_and_check(dns, "a.test", kAaaa);
  CHECK(none.rcode == 0);
  CHECK(none.answers == 0);
}

TEST_CASE("FakeDnsServer: names match regardless of case, and the question is echoed as sent") {
  FakeDnsServer dns;
  dns.a("Mixed.Test.", "127.0.0.1");
  Reply r = ask_and_check(dns, "mIxEd.tEsT", kA);  // check_reply compares the echo bytewise
  CHECK(r.rcode == 0);
  CHECK(r.answers == 1);
  CHECK(dns.queries_for("MIXED.test") == 1);
}

TEST_CASE("FakeDnsServer: nxdomain, nodata, servfail and unknown names") {
  FakeDnsServer dns;
  dns.nxdomain("nx.test").nodata("nodata.test").servfail("servfail.test");
  for (auto type : {kA, kAaaa}) {
    CHECK(ask_and_check(dns, "nx.test", type).rcode == 3);
    Reply nodata = ask_and_check(dns, "nodata.test", type);
    CHECK(nodata.rcode == 0);
    CHECK(nodata.answers == 0);
    CHECK(ask_and_check(dns, "servfail.test", type).rcode == 2);
    CHECK(ask_and_check(dns, "unknown.test", type).rcode == 3);
  }
  CHECK(dns.queries() == 8);
  CHECK(dns.queries_for("nx.test") == 2);
}

TEST_CASE("FakeDnsServer: drop never answers but counts the query") {
  FakeDnsServer dns;
  dns.drop("drop.test");
  CHECK_FALSE(ask(dns, query("drop.test", kA), 300).has_value());
  CHECK(dns.queries_for("drop.test") == 1);
}

TEST_CASE("FakeDnsServer: a later rule replaces an earlier one") {
  FakeDnsServer dns;
  dns.a("flip.test", "127.0.0.1");
  CHECK(ask_and_check(dns, "flip.test", kA).answers == 1);
  dns.servfail("flip.test");
  CHECK(ask_and_check(dns, "flip.test", kA).rcode == 2);
  dns.a("flip.test", "127.0.0.3");
  Reply r = ask_and_check(dns, "flip.test", kA);
  REQUIRE(r.answers == 1);
  CHECK(r.rdata[0] == Bytes{127, 0, 0, 3});
}

TEST_CASE("FakeDnsServer: malformed packets are ignored and the server keeps serving") {
  FakeDnsServer dns;
  dns.a("a.test", "127.0.0.1");
  CHECK_FALSE(ask(dns, Bytes{1, 2, 3}, 200).has_value());
  Bytes response = query("a.test", kA);
  response[2] |= 0x80;  // a response, not a query
  CHECK_FALSE(ask(dns, response, 200).has_value());
  CHECK(ask_and_check(dns, "a.test", kA).answers == 1);
  CHECK(dns.queries() == 1);
}

TEST_CASE("FakeDnsServer: refused, and a truncated UDP answer whose records come over TCP") {
  FakeDnsServer dns;
  dns.refused("refused.test").a("big.test", "127.0.0.9", 77).truncate_udp("big.test");
  CHECK(ask_and_check(dns, "refused.test", kA).rcode == 5);

  Bytes q = query("big.test", kA);
  auto udp = ask(dns, q);
  REQUIRE(udp);
  CHECK((udp->at(2) & 0x02) != 0);  // TC
  Reply cut = check_reply(q, *udp);
  CHECK(cut.answers == 0);

  auto tcp = ask_tcp(dns, q);
  REQUIRE(tcp);
  CHECK((tcp->at(2) & 0x02) == 0);
  Reply whole = check_reply(q, *tcp);
  REQUIRE(whole.answers == 1);
  CHECK(whole.rdata[0] == Bytes{127, 0, 0, 9});
  // TTL, the four bytes before the data length of the first record.
  CHECK(u16(*tcp, q.size() + 6) == 0);
  CHECK(u16(*tcp, q.size() + 8) == 77);
  CHECK(dns.tcp_queries() == 1);
  CHECK(dns.queries_for("big.test") == 2);
}

TEST_CASE("FakeDnsServer: MX, TXT, NS and SOA records carry their wire form") {
  constexpr std::uint16_t kMx = 15, kTxt = 16, kNs = 2, kSoa = 6;
  FakeDnsServer dns;
  dns.mx("z.test", 10, "mx.z.test").txt("z.test", {"ab", "c"}).ns("z.test", "ns.z.test");
  dns.soa("z.test", "ns.z.test", "h.z.test", 7);
  Reply mx = ask_and_check(dns, "z.test", kMx);
  REQUIRE(mx.answers == 1);
  CHECK(mx.rdata[0] == Bytes{0, 10, 2, 'm', 'x', 1, 'z', 4, 't', 'e', 's', 't', 0});
  Reply txt = ask_and_check(dns, "z.test", kTxt);
  REQUIRE(txt.answers == 1);
  CHECK(txt.rdata[0] == Bytes{2, 'a', 'b', 1, 'c'});
  Reply ns = ask_and_check(dns, "z.test", kNs);
  REQUIRE(ns.answers == 1);
  CHECK(ns.rdata[0] == Bytes{2, 'n', 's', 1, 'z', 4, 't', 'e', 's', 't', 0});
  Reply soa = ask_and_check(dns, "z.test", kSoa);
  REQUIRE(soa.answers == 1);
  CHECK(soa.rdata[0].size() == 11 + 10 + 20);
  CHECK(soa.rdata[0][24] == 7);  // the serial's last byte, after both names
}
