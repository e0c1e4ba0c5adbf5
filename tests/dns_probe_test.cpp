// DNS failure details against a real resolver path: inside a network namespace of the test's
// own, /etc/resolv.conf points glibc at a FakeDnsServer on 127.0.0.1:53 that answers NXDOMAIN,
// NOERROR-without-records, SERVFAIL, or nothing, per name. Needs root (CI runs as root);
// skipped with a message otherwise.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/support/fake_dns_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

// Probes `url` and prints a line and returns 1 unless class/phase/detail match.
int expect(const std::string& url, int timeout_ms, FailureClass cls, Phase phase,
           const std::string& detail, const std::string& ca_file = "") {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = std::chrono::milliseconds(timeout_ms);
  spec->ca_file = ca_file;
  ProbeResult r = probe_once(spec);
  if (r.cls == cls && r.phase == phase && detail_text(r) == detail) return 0;
  std::printf("%s: expected %s/%s/%s, got %s/%s/%s: %s\n", url.c_str(),
              std::string(to_string(cls)).c_str(), std::string(to_string(phase)).c_str(),
              detail.c_str(), std::string(to_string(r.cls)).c_str(),
              std::string(to_string(r.phase)).c_str(), detail_text(r).c_str(), r.message.c_str());
  return 1;
}

}  // namespace

TEST_CASE("dns: nxdomain, no_address, temporary and timeout, and trying every address") {
  NetnsOptions options;
  options.resolv_conf = std::string(kFakeDnsResolvConf);
  options.nsswitch_conf = "hosts: files dns\n";
  NetnsResult result = run_in_netns(
      [] {
        FakeDnsServer dns("127.0.0.1", 53);
        dns.nxdomain("nx.test").nodata("nodata.test").servfail("servfail.test").drop("drop.test");
        LoopbackServer server(Behavior::http_ok);  // 127.0.0.1 only: ::1 refuses
        dns.aaaa("both.test", "::1").a("both.test", "127.0.0.1");
        // The name, not the address, must reach TLS: SNI and the certificate check.
        const TestPki& pki = shared_test_pki();
        LoopbackServerOptions tls;
        tls.behavior = Behavior::tls_http_ok;
        tls.tls = pki.good.material();
        LoopbackServer named(tls);
        dns.a("localhost", "127.0.0.1");
        LoopbackServerOptions wrong = tls;
        wrong.tls = pki.wrong_name.material();
        LoopbackServer misnamed(wrong);
        const std::string port = std::to_string(server.port());
        int failures = 0;
        failures += expect("http://nx.test/", 3000, FailureClass::dns, Phase::dns, "nxdomain");
        failures +=
            expect("http://nodata.test/", 3000, FailureClass::dns, Phase::dns, "no_address");
        failures +=
            expect("http://servfail.test/", 3000, FailureClass::dns, Phase::dns, "temporary");
        // glibc gives up after 1 s (resolv.conf timeout:1); a shorter deadline wins.
        failures += expect("http://drop.test/", 400, FailureClass::dns, Phase::dns, "timeout");
        failures +=
            expect("http://both.test:" + port + "/", 3000, FailureClass::ok, Phase::none, "");
        failures += expect("tcp://nx.test:80", 3000, FailureClass::dns, Phase::dns, "nxdomain");
        failures += expect("https://localhost:" + std::to_string(named.port()) + "/", 3000,
                           FailureClass::ok, Phase::none, "", pki.ca_path);
        failures += expect("https://localhost:" + std::to_string(misnamed.port()) + "/", 3000,
                           FailureClass::tls, Phase::tls, "hostname_mismatch", pki.ca_path);
        return failures;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
