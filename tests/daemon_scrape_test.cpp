// /metrics of the real `faultline run` binary, scraped as Prometheus scrapes it: with basic auth,
// gzipped, from an instance with a vantage label, the text streamed by the daemon's exporter.
// `promtool check metrics` must find nothing in it.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <string>

#include "tests/metrics_scrape.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline::testing;

namespace {

// "prometheus:scrape secret" in base64.
constexpr const char* kAuthorization = "Authorization: Basic cHJvbWV0aGV1czpzY3JhcGUgc2VjcmV0";

// The daemon's /metrics, gzipped and authorized; status 0 until it answers.
HttpResponse scrape_gzip(int port) {
  HttpRequest request;
  request.headers = {kAuthorization, "Accept-Encoding: gzip"};
  request.decode = false;
  return http_request(port, request);
}

}  // namespace

TEST_CASE("faultline run: a gzipped, authorized scrape of the daemon is clean for promtool") {
  TempDir dir;
  LoopbackServer ok(Behavior::http_ok);
  const int metrics_port = closed_port();
  const std::string password = dir.write("metrics.password", "scrape secret\n");
  const std::string config = dir.write(
      "faultline.yaml",
      "storage: {path: " + dir.file("history.db") + "}\n" +
          "metrics:\n  listen: 127.0.0.1:" + std::to_string(metrics_port) +
          "\n  histograms: true\n  basic_auth: {username: prometheus, password_file: " + password +
          "}\n" + "cluster: {vantage: eu-west}\n" +
          "defaults: {interval: 300ms, timeout: 200ms, failure_threshold: 1}\n" +
          "targets:\n  - name: web\n    url: " + ok.url("http", "/healthz") +
          "\n    labels: {team: core}\n  - name: gone\n    url: tcp://127.0.0.1:" +
          std::to_string(closed_port()) + "\n");
  ChildProcess daemon({FAULTLINE_BINARY, "run", "-c", config}, {}, dir.file("daemon.log"));
  INFO("daemon output:\n" << daemon.output());

  // Until both targets have been probed and judged.
  std::string text, encoding;
  const bool judged = eventually(
      [&] {
        const HttpResponse r = scrape_gzip(metrics_port);
        if (r.status != 200) return false;
        text = gunzip(r.body);
        encoding = r.headers.count("content-encoding") ? r.headers.at("content-encoding") : "";
        const auto samples = parse_exposition(text);
        return value_of(samples, "faultline_target_up",
                        {{"target", "web"}, {"team", "core"}, {"vantage", "eu-west"}}) == 1 &&
               value_of(samples, "faultline_target_up",
                        {{"target", "gone"}, {"vantage", "eu-west"}}) == 0;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(50));
  REQUIRE_MESSAGE(judged, "the daemon never reported both targets:\n" << text);
  CHECK(encoding == "gzip");
  for (const Sample& s : parse_exposition(text)) {
    if (s.name.starts_with("faultline_")) CHECK_MESSAGE(s.labels.count("vantage") == 1, s.name);
  }
  CHECK(text.find("# TYPE faultline_probe_duration_seconds histogram\n") != std::string::npos);
  // Without the password: 401, gzip or not.
  HttpRequest anonymous;
  anonymous.headers = {"Accept-Encoding: gzip"};
  CHECK(http_request(metrics_port, anonymous).status == 401);

  const HttpResponse plain =
      http_get(metrics_port, "/metrics", Credentials{"prometheus", "scrape secret"});
  REQUIRE(plain.status == 200);
  PromtoolCheck gzipped_lint = promtool_check_metrics(text);
  PromtoolCheck plain_lint = promtool_check_metrics(plain.body);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(std::chrono::seconds(15)) == 0);
  if (!gzipped_lint.available) {
    skip_test("promtool not found (Debian package `prometheus`): no lint of the daemon's scrape");
    return;
  }
  CHECK_MESSAGE(gzipped_lint.exit_status == 0, gzipped_lint.output);
  CHECK_MESSAGE(gzipped_lint.output.empty(), gzipped_lint.output);
  CHECK_MESSAGE(plain_lint.exit_status == 0, plain_lint.output);
  CHECK_MESSAGE(plain_lint.output.empty(), plain_lint.output);
}
