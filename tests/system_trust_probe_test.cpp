// https targets without a ca_file trust the system CA bundle. Nothing else tests that path (every
// other test names the test CA), and the engine configures it differently: it drops libcurl's
// default CA directory so that the parsed bundle is cached. The tests run in a private mount
// namespace whose /etc/ssl/certs/ca-certificates.crt is the host's bundle plus the test CA.
// The idle experiment sets its connections up from the same spec, so it must trust exactly
// what the probe trusts.
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <string>

#include "checks/idle_once.hpp"
#include "checks/probe_once.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/run_in_netns.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::shared_ptr<ProbeSpec> spec_for(const std::string& url, const std::string& ca_file) {
  auto spec = std::make_shared<ProbeSpec>();
  spec->url = *parse_target_url(url);
  spec->timeout = std::chrono::milliseconds(3000);
  spec->ca_file = ca_file;
  return spec;
}

int expect(const std::string& url, FailureClass cls, const std::string& detail,
           const std::string& ca_file = "") {
  ProbeResult r = probe_once(spec_for(url, ca_file));
  if (r.cls == cls && detail_text(r) == detail) return 0;
  std::printf("%s: expected %s/%s, got %s/%s: %s\n", url.c_str(),
              std::string(to_string(cls)).c_str(), detail.c_str(),
              std::string(to_string(r.cls)).c_str(), detail_text(r).c_str(), r.message.c_str());
  return 1;
}

// What the idle experiment's connections must meet: a certificate they trust (every step
// survives) or one they do not (every step is an error in its first exchange, saying so).
enum class Certificate { trusted, untrusted };

// The idle experiment with one short ladder step.
int expect_idle(const std::string& url, Certificate expected, const std::string& ca_file = "") {
  const bool trusted = expected == Certificate::trusted;
  IdleReport r = idle_experiment_once(spec_for(url, ca_file), {std::chrono::milliseconds(100)}, {});
  int failures = r.steps.empty() ? 1 : 0;
  for (const IdleStepResult& s : r.steps) {
    const bool ok = trusted ? s.outcome == IdleOutcome::survived
                            : s.outcome == IdleOutcome::error &&
                                  s.message.find("first exchange") != std::string::npos &&
                                  s.message.find("peer certificate") != std::string::npos;
    if (ok) continue;
    ++failures;
    std::printf("idle %s (ca_file '%s'): expected %s, got %s: %s\n", url.c_str(), ca_file.c_str(),
                trusted ? "survived" : "a certificate error",
                std::string(to_string(s.outcome)).c_str(), s.message.c_str());
  }
  return failures;
}

// A copy of /etc/ssl/certs, mounted over it, that trusts `ca_path` both ways libcurl looks: in
// the bundle and as a hashed link in the directory (so a target's ca_file is seen to replace
// both).
NetnsOptions system_store_trusting(const std::string& ca_path, const TempDir& dir) {
  const std::string certs = dir.file("certs");
  NetnsOptions options;
  options.setup_commands = {"cp -a /etc/ssl/certs '" + certs + "'",
                            "cat /etc/ssl/certs/ca-certificates.crt '" + ca_path + "' > '" + certs +
                                "/ca-certificates.crt'",
                            "ln -s '" + ca_path + "' \"" + certs +
                                "/$(openssl x509 -hash -noout -in '" + ca_path + "').0\"",
                            "mount --bind '" + certs + "' /etc/ssl/certs"};
  return options;
}

// Runs `fn` in that namespace with one server whose CA the system trusts and one with a
// self-signed certificate; `fn` returns its number of failures.
void with_trusted_and_untrusted(
    const std::function<int(const LoopbackServer& trusted, const LoopbackServer& untrusted)>& fn) {
  const TestPki& pki = shared_test_pki();
  TempDir dir;
  NetnsResult result = run_in_netns(
      [&pki, &fn] {
        LoopbackServerOptions good;
        good.behavior = Behavior::tls_http_ok;
        good.tls = pki.good.material();
        LoopbackServerOptions self_signed = good;
        self_signed.tls = pki.self_signed.material();
        LoopbackServer trusted(good);
        LoopbackServer untrusted(self_signed);
        return fn(trusted, untrusted);
      },
      system_store_trusting(pki.ca_path, dir));
  if (result.status == NetnsStatus::skipped) {
    skip_test(result.reason);
    return;
  }
  CHECK_MESSAGE(result.ok(), result.describe());
}

}  // namespace

TEST_CASE("probe: https trusts the system bundle, or a target's ca_file instead of it") {
  const std::string pinned = shared_test_pki().self_signed.cert_path;
  with_trusted_and_untrusted(
      [&pinned](const LoopbackServer& trusted, const LoopbackServer& untrusted) {
        int failures = 0;
        // Twice each: the second probe runs with the CA store libcurl cached from the first.
        for (int i = 0; i < 2; ++i) {
          failures += expect(trusted.url("https", "/"), FailureClass::ok, "");
          failures += expect(untrusted.url("https", "/"), FailureClass::tls, "untrusted");
          // A ca_file replaces the system store: the server whose CA the system trusts is
          // untrusted for a target that pins another certificate, and the pinned one is ok.
          failures += expect(trusted.url("https", "/"), FailureClass::tls, "untrusted", pinned);
          failures += expect(untrusted.url("https", "/"), FailureClass::ok, "", pinned);
        }
        return failures;
      });
}

TEST_CASE("idle: the experiment trusts the system bundle, or a target's ca_file instead of it") {
  const std::string pinned = shared_test_pki().self_signed.cert_path;
  with_trusted_and_untrusted(
      [&pinned](const LoopbackServer& trusted, const LoopbackServer& untrusted) {
        int failures = expect_idle(trusted.url("https", "/"), Certificate::trusted);
        failures += expect_idle(untrusted.url("https", "/"), Certificate::untrusted);
        // Regression: the experiment added a ca_file to the system trust instead of replacing it,
        // so it got through to a server that the target's own probes call untrusted.
        failures += expect_idle(trusted.url("https", "/"), Certificate::untrusted, pinned);
        failures += expect_idle(untrusted.url("https", "/"), Certificate::trusted, pinned);
        return failures;
      });
}
