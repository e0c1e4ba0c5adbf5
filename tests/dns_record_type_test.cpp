#include "checks/dns_record_type.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "checks/dns_reply.hpp"

using namespace faultline;

TEST_CASE("dns record types: names, wire codes and their list") {
  for (DnsType t : {DnsType::a, DnsType::aaaa, DnsType::cname, DnsType::mx, DnsType::txt,
                    DnsType::ns, DnsType::soa}) {
    CHECK(dns_type_from_string(to_string(t)) == t);
    CHECK(std::string(dns_type_list()).find(to_string(t)) != std::string::npos);
  }
  CHECK(dns_type_from_string("mx") == DnsType::mx);
  CHECK(dns_type_from_string("aaaa") == DnsType::aaaa);
  CHECK_FALSE(dns_type_from_string("PTR"));
  CHECK(wire_code(DnsType::a) == 1);
  CHECK(wire_code(DnsType::aaaa) == 28);
  CHECK(wire_code(DnsType::mx) == 15);
  CHECK(wire_code(DnsType::soa) == 6);
}

TEST_CASE("dns record types: expect values normalise to the answer's textual form") {
  CHECK(*normalise_dns_value(DnsType::a, "192.0.2.1") == "192.0.2.1");
  CHECK(*normalise_dns_value(DnsType::aaaa, "2001:DB8:0:0::1") == "2001:db8::1");
  CHECK(*normalise_dns_value(DnsType::cname, "WWW.Example.com.") == "www.example.com");
  CHECK(*normalise_dns_value(DnsType::ns, "ns1.example.com") == "ns1.example.com");
  CHECK(*normalise_dns_value(DnsType::mx, "10  Mail.Example.com.") == "10 mail.example.com");
  CHECK(*normalise_dns_value(DnsType::txt, "v=spf1 -all") == "v=spf1 -all");
  CHECK(*normalise_dns_value(DnsType::soa,
                             "NS1.example.com. hostmaster.example.com 2024010101 7200 3600 "
                             "1209600 300") ==
        "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300");
  CHECK(normalise_dns_value(DnsType::a, "2001:db8::1").error() ==
        "'2001:db8::1' is not an IPv4 address");
  CHECK(normalise_dns_value(DnsType::aaaa, "192.0.2.1").error() ==
        "'192.0.2.1' is not an IPv6 address");
  CHECK(normalise_dns_value(DnsType::mx, "mail.example.com").error().find("PREFERENCE NAME") !=
        std::string::npos);
  CHECK(normalise_dns_value(DnsType::mx, "70000 mail.example.com").error().find("PREFERENCE") !=
        std::string::npos);
  CHECK_FALSE(normalise_dns_value(DnsType::cname, "a..b"));
  CHECK_FALSE(normalise_dns_value(DnsType::cname, "a b"));
  CHECK_FALSE(normalise_dns_value(DnsType::soa, "a b 1 2 3 4"));
}

TEST_CASE("dns replies: a message cut short is malformed, never read past its end") {
  // Header claiming one question and one answer, and nothing after it.
  const std::vector<std::uint8_t> header = {0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
  auto r = parse_dns_reply(header, DnsType::a);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("malformed") != std::string::npos);
  auto tiny = parse_dns_reply(std::vector<std::uint8_t>{0, 1, 0x81}, DnsType::a);
  CHECK_FALSE(tiny);
  // An A record whose data is 3 bytes long.
  std::vector<std::uint8_t> bad = {0, 1, 0x81, 0x80, 0, 0, 0, 1, 0,  0, 0, 0, 1, 'x',
                                   0, 0, 1,    0,    1, 0, 0, 0, 60, 0, 3, 1, 2, 3};
  auto short_a = parse_dns_reply(bad, DnsType::a);
  REQUIRE_FALSE(short_a);
  CHECK(short_a.error().find("A record") != std::string::npos);
  CHECK(rcode_name(3) == "NXDOMAIN");
  CHECK(rcode_name(9) == "RCODE 9");
}
