// dns:// targets against a real DNS server on loopback (FakeDnsServer, UDP and TCP), addressed
// directly by the URL: each answer a server can give, in the taxonomy, with the records, TTL,
// server and transport the result carries.
#include <doctest/doctest.h>
#include <uv.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>

#include "checks/dns_prober.hpp"
#include "checks/probe_once.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/fake_dns_server.hpp"

using namespace faultline;
using namespace faultline::testing;
using std::chrono::milliseconds;

namespace {

std::shared_ptr<ProbeSpec> dns_spec(const FakeDnsServer& server, const std::string& question,
                                    milliseconds timeout = milliseconds(2000),
                                    const std::string& host = "127.0.0.1") {
  auto spec = std::make_shared<ProbeSpec>();
  const std::string url = "dns://" + host + ":" + std::to_string(server.port()) + "/" + question;
  auto parsed = parse_target_url(url);
  REQUIRE_MESSAGE(parsed, url << ": " << (parsed ? "" : parsed.error()));
  spec->url = *parsed;
  spec->timeout = timeout;
  return spec;
}

void check_class(const ProbeResult& r, FailureClass cls, Phase phase,
                 const std::string& detail = "") {
  INFO("got " << to_string(r.cls) << "/" << to_string(r.phase) << "/" << detail_text(r) << ": "
              << r.message);
  CHECK(r.cls == cls);
  CHECK(r.phase == phase);
  CHECK(detail_text(r) == detail);
}

}  // namespace

TEST_CASE("dns://: records of every type in their textual form, with TTL, server and time") {
  FakeDnsServer dns;
  dns.a("www.test", "192.0.2.10", 300).a("www.test", "192.0.2.11", 120);
  dns.aaaa("www.test", "2001:db8:0:0::1");
  dns.mx("mail.test", 20, "Backup.Mail.Test").mx("mail.test", 10, "mx1.mail.test.");
  dns.txt("txt.test", {"v=spf1 ", "-all"});
  dns.ns("zone.test", "NS1.zone.test");
  dns.soa("zone.test", "ns1.zone.test", "hostmaster.zone.test", 2024010101);
  // The fake puts a name's address records beside its CNAME instead of following the chain.
  dns.cname("alias.test", "www.test", 30).a("alias.test", "192.0.2.10", 300);
  const std::string server = "127.0.0.1:" + std::to_string(dns.port());

  struct Row {
    std::string question;
    std::vector<std::string> records;
    std::uint32_t ttl;
  };
  const std::vector<Row> rows = {
      {"www.test", {"192.0.2.10", "192.0.2.11"}, 120},
      {"WWW.test.?type=aaaa", {"2001:db8::1"}, 60},
      {"mail.test?type=MX", {"20 backup.mail.test", "10 mx1.mail.test"}, 60},
      {"txt.test?type=TXT", {"v=spf1 -all"}, 60},
      {"zone.test?type=NS", {"ns1.zone.test"}, 60},
      {"zone.test?type=SOA",
       {"ns1.zone.test hostmaster.zone.test 2024010101 7200 3600 1209600 300"},
       60},
      {"alias.test?type=CNAME", {"www.test"}, 30},
  };
  for (const Row& row : rows) {
    CAPTURE(row.question);
    ProbeResult r = probe_once(dns_spec(dns, row.question));
    check_class(r, FailureClass::ok, Phase::none);
    REQUIRE(r.dns);
    CHECK(r.dns->records == row.records);
    CHECK(r.dns->ttl == row.ttl);
    CHECK(r.dns->rcode == "NOERROR");
    CHECK(r.dns->server == server);
    CHECK_FALSE(r.dns->over_tcp);
    CHECK(r.remote_addr == server);
    REQUIRE(r.dns->response_ms);
    REQUIRE(r.timings.dns_ms);
    CHECK(*r.timings.dns_ms >= *r.dns->response_ms);
    CHECK_FALSE(r.timings.connect_ms);
    CHECK(r.message.find(server) != std::string::npos);
  }
  // The CNAME ahead of the address records counts for the smallest TTL of the answer.
  ProbeResult r = probe_once(dns_spec(dns, "alias.test"));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.dns->records == std::vector<std::string>{"192.0.2.10"});
  CHECK(r.dns->ttl == 30);
}

TEST_CASE("dns://: nxdomain, no_address, temporary, refused and timeout from the server") {
  FakeDnsServer dns;
  dns.nxdomain("nx.test").nodata("nodata.test").servfail("servfail.test").refused("refused.test");
  dns.drop("silent.test").a("v4only.test", "192.0.2.1");

  ProbeResult nx = probe_once(dns_spec(dns, "nx.test"));
  check_class(nx, FailureClass::dns, Phase::dns, "nxdomain");
  REQUIRE(nx.dns);
  CHECK(nx.dns->rcode == "NXDOMAIN");
  check_class(probe_once(dns_spec(dns, "nodata.test?type=MX")), FailureClass::dns, Phase::dns,
              "no_address");
  // A name with records, but none of the asked type: no_address too.
  ProbeResult v6 = probe_once(dns_spec(dns, "v4only.test?type=AAAA"));
  check_class(v6, FailureClass::dns, Phase::dns, "no_address");
  CHECK(v6.dns->rcode == "NOERROR");
  ProbeResult servfail = probe_once(dns_spec(dns, "servfail.test"));
  check_class(servfail, FailureClass::dns, Phase::dns, "temporary");
  CHECK(servfail.dns->rcode == "SERVFAIL");
  // With NOCHECKRESP, c-ares hands REFUSED back instead of trying another server.
  ProbeResult refused = probe_once(dns_spec(dns, "refused.test"));
  check_class(refused, FailureClass::dns, Phase::dns, "refused");
  CHECK(refused.dns->rcode == "REFUSED");
  CHECK(refused.sys_errno == 0);
  CHECK(dns.queries_for("refused.test") == 1);

  ProbeResult silent = probe_once(dns_spec(dns, "silent.test", milliseconds(400)));
  check_class(silent, FailureClass::dns, Phase::dns, "timeout");
  REQUIRE(silent.timings.total_ms);
  CHECK(*silent.timings.total_ms >= 350);
  CHECK(*silent.timings.total_ms < 3000);
  REQUIRE(silent.dns);
  CHECK(silent.dns->rcode.empty());
  CHECK(silent.dns->records.empty());
}

TEST_CASE("dns://: a truncated UDP answer is asked again over TCP") {
  FakeDnsServer dns;
  dns.a("big.test", "192.0.2.7", 90).truncate_udp("big.test");
  ProbeResult r = probe_once(dns_spec(dns, "big.test"));
  check_class(r, FailureClass::ok, Phase::none);
  REQUIRE(r.dns);
  CHECK(r.dns->over_tcp);
  CHECK(r.dns->records == std::vector<std::string>{"192.0.2.7"});
  CHECK(r.dns->ttl == 90);
  CHECK(dns.tcp_queries() == 1);
  CHECK(dns.queries_for("big.test") == 2);
}

TEST_CASE("dns://: expect requires records in the answer, compared in their textual form") {
  FakeDnsServer dns;
  dns.a("www.test", "192.0.2.10").a("www.test", "192.0.2.11");
  dns.mx("mail.test", 10, "MX1.mail.test");

  auto both = dns_spec(dns, "www.test");
  both->expect_answer = {"192.0.2.11", "192.0.2.10"};
  check_class(probe_once(both), FailureClass::ok, Phase::none);

  auto mx = dns_spec(dns, "mail.test?type=MX");
  mx->expect_answer = {"10 mx1.mail.test"};
  check_class(probe_once(mx), FailureClass::ok, Phase::none);

  auto missing = dns_spec(dns, "www.test");
  missing->expect_answer = {"192.0.2.10", "192.0.2.99"};
  ProbeResult r = probe_once(missing);
  check_class(r, FailureClass::dns, Phase::dns, "answer_mismatch");
  // The message names the missing record and shows what was answered.
  CHECK(r.message.find("'192.0.2.99'") != std::string::npos);
  CHECK(r.message.find("'192.0.2.10, 192.0.2.11'") != std::string::npos);
  CHECK(r.dns->records.size() == 2);
}

TEST_CASE("dns://: the answered list in a mismatch is cut at 80 characters") {
  FakeDnsServer dns;
  for (int i = 0; i < 20; ++i)
    dns.a("many.test", "192.0.2." + std::to_string(100 + i));
  auto spec = dns_spec(dns, "many.test");
  spec->expect_answer = {"198.51.100.1"};
  ProbeResult r = probe_once(spec);
  check_class(r, FailureClass::dns, Phase::dns, "answer_mismatch");
  const auto answered = r.message.find("answered: '");
  REQUIRE(answered != std::string::npos);
  const std::string shown = r.message.substr(answered + 11);
  CHECK(shown.find("…'") != std::string::npos);
  CHECK(shown.size() < 100);
}

TEST_CASE("dns://: a closed UDP port answers ICMP port unreachable: refused, ECONNREFUSED") {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url("dns://127.0.0.1:" + std::to_string(closed_udp_port()) + "/x.test");
  spec->timeout = milliseconds(2000);
  ProbeResult r = probe_once(spec);
  check_class(r, FailureClass::dns, Phase::dns, "refused");
  CHECK(r.sys_errno == ECONNREFUSED);
  CHECK(r.message.find("ICMP port unreachable") != std::string::npos);
  // Long before the deadline: the kernel answered at once.
  REQUIRE(r.timings.total_ms);
  CHECK(*r.timings.total_ms < 1000);
}

TEST_CASE("dns://: an IPv6 server, and a server given by name") {
  FakeDnsServer v6("::1");
  v6.a("www.test", "192.0.2.10");
  ProbeResult r = probe_once(dns_spec(v6, "www.test", milliseconds(2000), "[::1]"));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.dns->server == "[::1]:" + std::to_string(v6.port()));

  // "localhost" comes from /etc/hosts through the system resolver; a fresh Debian root may
  // have none, and then the lookup's own failure is what the probe reports.
  FakeDnsServer v4;
  v4.a("www.test", "192.0.2.10");
  ProbeResult named = probe_once(dns_spec(v4, "www.test", milliseconds(2000), "localhost"));
  if (named.cls == FailureClass::ok) {
    CHECK(named.dns->server.ends_with(":" + std::to_string(v4.port())));
    CHECK_FALSE(named.resolved.empty());
  } else {
    CHECK(named.phase == Phase::dns);
    MESSAGE("localhost does not resolve here: " << named.message);
  }
}

TEST_CASE("dns://: many probes at once on one loop, and a cancelled one never calls back") {
  FakeDnsServer dns;
  dns.a("ok.test", "192.0.2.1").nxdomain("nx.test").drop("silent.test");
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::map<int, ProbeResult> results;
  bool cancelled_called = false;
  {
    DnsProber prober(&loop);
    for (int i = 0; i < 60; ++i) {
      prober.start(dns_spec(dns, i % 2 ? "ok.test" : "nx.test"),
                   [&results, i](ProbeResult r) { results[i] = std::move(r); });
    }
    ProbeId silent =
        prober.start(dns_spec(dns, "silent.test"), [&](ProbeResult) { cancelled_called = true; });
    CHECK(prober.in_flight() == 61);
    prober.cancel(silent);
    CHECK(prober.in_flight() == 60);
    while (results.size() < 60 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    CHECK(prober.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  REQUIRE(results.size() == 60);
  for (const auto& [i, r] : results)
    CHECK(r.cls == (i % 2 ? FailureClass::ok : FailureClass::dns));
  CHECK_FALSE(cancelled_called);
}
