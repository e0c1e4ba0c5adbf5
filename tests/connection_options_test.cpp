// server_name, tls_min_version and ip_family against real loopback servers: a certificate for
// another name, a server that only speaks TLS 1.2, an IPv4-only and an IPv6-only listener
// behind one name (inside a network namespace whose resolver is a FakeDnsServer).
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url) {
  auto spec = std::make_shared<ProbeSpec>();
  auto parsed = parse_target_url(url);
  REQUIRE_MESSAGE(parsed, url);
  spec->url = *parsed;
  spec->timeout = std::chrono::milliseconds(3000);
  return spec;
}

std::string verdict(const ProbeResult& r) {
  return std::string(to_string(r.cls)) + "/" + std::string(to_string(r.phase)) + "/" +
         detail_text(r);
}

LoopbackServerOptions tls_server(const TestCert& cert, int max_version = 0) {
  LoopbackServerOptions o;
  o.behavior = Behavior::tls_http_ok;
  o.tls = cert.material();
  o.tls_max_version = max_version;
  return o;
}

// Inside the namespace: a line and 1 unless `r` is `want`.
int expect(const std::string& what, const ProbeResult& r, const std::string& want) {
  if (verdict(r) == want) return 0;
  std::printf("%s: expected %s, got %s: %s\n", what.c_str(), want.c_str(), verdict(r).c_str(),
              r.message.c_str());
  return 1;
}

}  // namespace

TEST_CASE("server_name: SNI and the certificate check use it, the URL's address is dialled") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(tls_server(pki.wrong_name));  // SAN DNS:wrong.example only
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto plain = spec_for(url);
  plain->ca_file = pki.ca_path;
  CHECK(verdict(probe_once(plain)) == "tls/tls/hostname_mismatch");

  auto named = spec_for(url);
  named->ca_file = pki.ca_path;
  named->server_name = "wrong.example";
  ProbeResult ok = probe_once(named);
  INFO(ok.message);
  CHECK(verdict(ok) == "ok//");
  CHECK(ok.remote_addr == "127.0.0.1:" + std::to_string(server.port()));

  auto tls = spec_for("tls://127.0.0.1:" + std::to_string(server.port()));
  tls->ca_file = pki.ca_path;
  tls->server_name = "wrong.example";
  CHECK(verdict(probe_once(tls)) == "ok//");

  LoopbackServer good(tls_server(pki.good));  // localhost and 127.0.0.1
  auto other = spec_for("https://127.0.0.1:" + std::to_string(good.port()) + "/");
  other->ca_file = pki.ca_path;
  other->server_name = "other.example";
  ProbeResult mismatch = probe_once(other);
  CHECK(verdict(mismatch) == "tls/tls/hostname_mismatch");
  CHECK(mismatch.message.find("other.example") != std::string::npos);
}

TEST_CASE("tls_min_version: a server that only speaks TLS 1.2") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(tls_server(pki.good, TLS1_2_VERSION));
  for (const char* scheme : {"https://", "tls://"}) {
    const std::string url = scheme + std::string("127.0.0.1:") + std::to_string(server.port());
    auto any = spec_for(url);
    any->ca_file = pki.ca_path;
    ProbeResult r = probe_once(any);
    CHECK(verdict(r) == "ok//");
    REQUIRE(r.tls);
    CHECK(r.tls->version == "TLSv1.2");

    auto v12 = spec_for(url);
    v12->ca_file = pki.ca_path;
    v12->tls_min_version = TlsMinVersion::tls1_2;
    CHECK(verdict(probe_once(v12)) == "ok//");

    auto v13 = spec_for(url);
    v13->ca_file = pki.ca_path;
    v13->tls_min_version = TlsMinVersion::tls1_3;
    ProbeResult refused = probe_once(v13);
    INFO(refused.message);
    CHECK(verdict(refused) == "tls/tls/handshake");
    CHECK(refused.message.find("does not speak TLS 1.3 or newer") != std::string::npos);
  }
  LoopbackServer modern(tls_server(pki.good));
  auto v13 = spec_for("https://127.0.0.1:" + std::to_string(modern.port()) + "/");
  v13->ca_file = pki.ca_path;
  v13->tls_min_version = TlsMinVersion::tls1_3;
  ProbeResult r = probe_once(v13);
  CHECK(verdict(r) == "ok//");
  REQUIRE(r.tls);
  CHECK(r.tls->version == "TLSv1.3");
}

TEST_CASE("ip_family: one name, an IPv4-only and an IPv6-only listener") {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: files dns\n";
  NetnsResult result = run_in_netns(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        LoopbackServer v4(Behavior::http_ok);  // 127.0.0.1 only
        LoopbackServerOptions o6;
        o6.bind_address = "::1";
        LoopbackServer v6(o6);
        dns.aaaa("both.test", "::1").a("both.test", "127.0.0.1");
        dns.a("v4only.test", "127.0.0.1");
        const std::string at4 = "http://both.test:" + std::to_string(v4.port()) + "/";
        const std::string at6 = "http://both.test:" + std::to_string(v6.port()) + "/";
        auto probe = [](const std::string& url, IpFamily family) {
          auto spec = spec_for(url);
          spec->ip_family = family;
          return probe_once(spec);
        };
        int failures = 0;
        ProbeResult r = probe(at4, IpFamily::ipv4);
        failures += expect("ipv4 to the IPv4 listener", r, "ok//");
        failures += r.resolved == std::vector<std::string>{"127.0.0.1"} ? 0 : 1;
        // Without the filter ::1 would refuse and 127.0.0.1 answer: the filter leaves ::1 only.
        r = probe(at4, IpFamily::ipv6);
        failures += expect("ipv6 to the IPv4 listener", r, "refused/connect/");
        failures += r.resolved == std::vector<std::string>{"::1"} ? 0 : 1;
        failures += expect("ipv6 to the IPv6 listener", probe(at6, IpFamily::ipv6), "ok//");
        failures +=
            expect("ipv4 to the IPv6 listener", probe(at6, IpFamily::ipv4), "refused/connect/");
        r = probe("http://v4only.test:" + std::to_string(v4.port()) + "/", IpFamily::ipv6);
        failures += expect("ipv6 to an A-only name", r, "dns/dns/no_address");
        if (r.message.find("ip_family: ipv6 removed them") == std::string::npos) {
          std::printf("message: %s\n", r.message.c_str());
          ++failures;
        }
        return failures;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    MESSAGE("skipped: " << result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

namespace {

LoopbackServerOptions mtls_server(int version) {
  LoopbackServerOptions o = tls_server(shared_test_pki().good);
  o.client_ca_path = shared_test_pki().ca_path;
  o.tls_min_version = version;
  o.tls_max_version = version;
  return o;
}

// Probes `server` five times (the TLS 1.3 alert races the server's RST) with this client
// certificate (or none) and returns each distinct "class/phase/detail".
std::set<std::string> mtls_outcomes(const LoopbackServer& server, const std::string& scheme,
                                    const TestCert* cert, std::string* message) {
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto spec = spec_for(scheme + "127.0.0.1:" + std::to_string(server.port()) +
                         (scheme == "https://" ? "/" : ""));
    spec->ca_file = shared_test_pki().ca_path;
    if (cert != nullptr) {
      spec->client_cert = cert->cert_path;
      spec->client_key = cert->key_path;
    }
    ProbeResult r = probe_once(spec);
    seen.insert(verdict(r));
    *message = r.message;
  }
  return seen;
}

}  // namespace

TEST_CASE("client_cert: a server that demands one: none, a wrong one, the right one (1.2, 1.3)") {
  const TestPki& pki = shared_test_pki();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    for (const std::string scheme : {"https://", "tls://"}) {
      CAPTURE(version);
      CAPTURE(scheme);
      LoopbackServer server(mtls_server(version));
      std::string message;
      CHECK(mtls_outcomes(server, scheme, nullptr, &message) ==
            std::set<std::string>{"tls/tls/client_certificate"});
      CHECK(message.find("demands a client certificate and the probe sent none") !=
            std::string::npos);
      CHECK(mtls_outcomes(server, scheme, &pki.other_client, &message) ==
            std::set<std::string>{"tls/tls/client_certificate"});
      CHECK(message.find("rejected the probe's client certificate") != std::string::npos);
      CHECK(message.find("unknown CA") != std::string::npos);
      CHECK(mtls_outcomes(server, scheme, &pki.client, &message) == std::set<std::string>{"ok//"});
    }
  }
}

TEST_CASE("client_cert: a certificate file gone since load is local, not the server's fault") {
  const TestPki& pki = shared_test_pki();
  LoopbackServer server(mtls_server(TLS1_3_VERSION));
  auto spec = spec_for("https://127.0.0.1:" + std::to_string(server.port()) + "/");
  spec->ca_file = pki.ca_path;
  spec->client_cert = pki.dir + "/no-such-client.pem";
  spec->client_key = pki.client.key_path;
  ProbeResult r = probe_once(spec);
  INFO(r.message);
  CHECK(verdict(r) == "local/tls/");
  CHECK(r.message.find("cannot use its client certificate") != std::string::npos);
}

namespace {

// A TLS 1.3 server that demands the client certificate pki.client and does `behavior` once the
// handshake is done, without sending session tickets.
LoopbackServerOptions silent_mtls_server(Behavior behavior) {
  LoopbackServerOptions o = mtls_server(TLS1_3_VERSION);
  o.behavior = behavior;
  o.tls_session_tickets = false;
  return o;
}

ProbeResult tls_probe_with_client_cert(const LoopbackServer& server) {
  auto spec = spec_for("tls://127.0.0.1:" + std::to_string(server.port()));
  spec->ca_file = shared_test_pki().ca_path;
  spec->client_cert = shared_test_pki().client.cert_path;
  spec->client_key = shared_test_pki().client.key_path;
  return probe_once(spec);
}

}  // namespace

TEST_CASE(
    "client_cert over tls:// and TLS 1.3: silence after the handshake is accepted, after the "
    "window") {
  LoopbackServer server(silent_mtls_server(Behavior::tls_accept_only));
  ProbeResult r = tls_probe_with_client_cert(server);
  INFO(r.message);
  CHECK(verdict(r) == "ok//");
  // No ticket, no data, no alert: only the verdict window (at least 250 ms) ends the wait.
  REQUIRE(r.timings.total_ms);
  CHECK(*r.timings.total_ms >= 240.0);
}

TEST_CASE("client_cert over tls:// and TLS 1.3: a reset right after the handshake is tls/reset") {
  LoopbackServer server(silent_mtls_server(Behavior::tls_reset_after_handshake));
  ProbeResult r = tls_probe_with_client_cert(server);
  INFO(r.message);
  CHECK(verdict(r) == "tls/tls/reset");
  CHECK(r.message.find("reset the connection right after the handshake") != std::string::npos);
  CHECK(r.message.find("most likely rejected the probe's") != std::string::npos);
}
