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
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

int expect(const std::string& url, FailureClass cls, const std::string& detail) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = std::chrono::milliseconds(3000);
  ProbeResult r = probe_once(spec);
  if (r.cls == cls && detail_text(r) == detail) return 0;
  std::printf("%s: expected %s/%s, got %s/%s: %s\n", url.c_str(),
              std::string(to_string(cls)).c_str(), detail.c_str(),
              std::string(to_string(r.cls)).c_str(), detail_text(r).c_str(), r.message.c_str());
  return 1;
}

}  // namespace

TEST_CASE("probe: https without ca_file trusts the system bundle, and only what it holds") {
  const TestPki& pki = shared_test_pki();
  TempDir dir;
  const std::string bundle = dir.file("ca-certificates.crt");
  NetnsOptions options;
  options.setup_commands = {
      "cat /etc/ssl/certs/ca-certificates.crt '" + pki.ca_path + "' > '" + bundle + "'",
      "mount --bind '" + bundle + "' /etc/ssl/certs/ca-certificates.crt"};
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
