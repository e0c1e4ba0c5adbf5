// https targets without a ca_file trust the system CA bundle. Nothing else tests that path (every
// other test names the test CA), and the engine configures it differently: it drops libcurl's
// default CA directory so that the parsed bundle is cached. The test runs in a private mount
// namespace whose /etc/ssl/certs/ca-certificates.crt is the host's bundle plus the test CA.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "checks/probe_once.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

int expect(const std::string& url, FailureClass cls, const std::string& detail,
           const std::string& ca_file = "") {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = std::chrono::milliseconds(3000);
  spec->ca_file = ca_file;
  ProbeResult r = probe_once(spec);
  if (r.cls == cls && detail_text(r) == detail) return 0;
  std::printf("%s: expected %s/%s, got %s/%s: %s\n", url.c_str(),
              std::string(to_string(cls)).c_str(), detail.c_str(),
              std::string(to_string(r.cls)).c_str(), detail_text(r).c_str(), r.message.c_str());
  return 1;
}

}  // namespace

TEST_CASE("probe: https trusts the system bundle, or a target's ca_file instead of it") {
  const TestPki& pki = shared_test_pki();
  TempDir dir;
  // A copy of /etc/ssl/certs that trusts the test CA both ways libcurl looks: in the bundle
  // and as a hashed link in the directory (so a target's ca_file is seen to replace both).
  const std::string certs = dir.file("certs");
  NetnsOptions options;
  options.setup_commands = {"cp -a /etc/ssl/certs '" + certs + "'",
                            "cat /etc/ssl/certs/ca-certificates.crt '" + pki.ca_path + "' > '" +
                                certs + "/ca-certificates.crt'",
                            "ln -s '" + pki.ca_path + "' \"" + certs +
                                "/$(openssl x509 -hash -noout -in '" + pki.ca_path + "').0\"",
                            "mount --bind '" + certs + "' /etc/ssl/certs"};
  NetnsResult result = run_in_netns(
      [&pki] {
        LoopbackServerOptions good;
        good.behavior = Behavior::tls_http_ok;
        good.tls = pki.good.material();
        LoopbackServerOptions self_signed = good;
        self_signed.tls = pki.self_signed.material();
        LoopbackServer trusted(good);
        LoopbackServer untrusted(self_signed);
        int failures = 0;
        // Twice each: the second probe runs with the CA store libcurl cached from the first.
        for (int i = 0; i < 2; ++i) {
          failures += expect(trusted.url("https", "/"), FailureClass::ok, "");
          failures += expect(untrusted.url("https", "/"), FailureClass::tls, "untrusted");
          // A ca_file replaces the system store: the server whose CA the system trusts is
          // untrusted for a target that pins another certificate, and the pinned one is ok.
          failures += expect(trusted.url("https", "/"), FailureClass::tls, "untrusted",
                             pki.self_signed.cert_path);
          failures +=
              expect(untrusted.url("https", "/"), FailureClass::ok, "", pki.self_signed.cert_path);
        }
        return failures;
      },
      options);
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}
