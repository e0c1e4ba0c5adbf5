// `faultline run` with grpc:// and grpcs:// targets, end to end against the python3-grpcio
// health server: the probes go through the registry like any other kind, /metrics counts them
// by class, and each failure lands in SQLite as the usual row with the kind `grpc`/`grpcs` and
// the protocol or tls class and detail.
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "storage_test_support.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/grpc_health_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;

namespace {

std::string failure_of(const std::string& db, const std::string& target) {
  return query_row(db,
                   "SELECT t.kind, f.class, f.phase, f.detail FROM failures f "
                   "JOIN targets t ON t.id = f.target_id WHERE t.name = '" +
                       target + "' LIMIT 1");
}

}  // namespace

TEST_CASE("grpc: faultline run probes gRPC health, counts the classes and stores the failures") {
  const TestPki& pki = shared_test_pki();
  GrpcHealthServer plain;
  GrpcHealthServer secure(pki.good.material());
  if (!plain.running() || !secure.running()) {
    if (plain.grpcio_missing()) {
      skip_test("python3-grpcio is not installed (apt-get install python3-grpcio)");
    } else {
      FAIL_CHECK(plain.problem() << secure.problem());
    }
    return;
  }
  TempDir dir;
  const int port = closed_port();
  const std::string db = dir.file("history.db");
  const std::string p = "grpc://127.0.0.1:" + std::to_string(plain.port());
  const std::string s = "grpcs://127.0.0.1:" + std::to_string(secure.port());
  const std::string config = dir.write(
      "faultline.yaml",
      "storage: {path: " + db + "}\n" + "metrics: {listen: 127.0.0.1:" + std::to_string(port) +
          "}\n" + "defaults: {interval: 500ms, timeout: 400ms, failure_threshold: 1}\n" +
          "targets:\n"
          "  - {name: up, url: '" +
          p + "'}\n" + "  - {name: sick, url: '" + p + "/sick'}\n" + "  - {name: draining, url: '" +
          p + "/draining'}\n" + "  - {name: garbage, url: '" + p + "/garbage'}\n" +
          "  - {name: secure, url: '" + s + "', ca_file: '" + pki.ca_path + "'}\n" +
          "  - {name: untrusted, url: '" + s + "'}\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  std::vector<Sample> samples;
  const auto count = [&](const char* target, const char* cls) {
    return value_of(samples, "faultline_probes_total", {{"target", target}, {"class", cls}})
        .value_or(0);
  };
  const bool seen = eventually(
      [&] {
        HttpResponse r = http_get(port);
        if (r.status != 200) return false;
        samples = parse_exposition(r.body);
        return count("up", "ok") >= 1 && count("secure", "ok") >= 1 &&
               count("sick", "protocol") >= 1 && count("draining", "protocol") >= 1 &&
               count("garbage", "protocol") >= 1 && count("untrusted", "tls") >= 1;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100));
  REQUIRE_MESSAGE(seen, daemon.output());
  CHECK(value_of(samples, "faultline_target_up", {{"target", "up"}}) == 1);
  CHECK(value_of(samples, "faultline_target_up", {{"target", "sick"}}) == 0);
  // The certificate's expiry, as for https:// targets.
  CHECK(value_of(samples, "faultline_tls_cert_not_after_timestamp_seconds",
                 {{"target", "secure"}}) == static_cast<double>(pki.good.not_after));
  daemon.signal(SIGTERM);
  REQUIRE_MESSAGE(daemon.wait(std::chrono::seconds(20)) == 0, daemon.output());
  CHECK(failure_of(db, "sick") == "grpc|protocol|response|not_serving");
  CHECK(failure_of(db, "draining") == "grpc|protocol|response|grpc_status");
  CHECK(failure_of(db, "garbage") == "grpc|protocol|response|unexpected_reply");
  CHECK(failure_of(db, "untrusted") == "grpcs|tls|tls|untrusted");
  CHECK(failure_of(db, "up").empty());
}
