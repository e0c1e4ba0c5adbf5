// HTTP basic auth on /metrics (`metrics.basic_auth`), through prometheus-cpp's auth hook.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

// Writes `content` to a file named "password" in `dir`; returns its path.
std::string write_password(const TempDir& dir, const std::string& content) {
  const std::string path = dir.file("password");
  std::ofstream(path) << content;
  return path;
}

Expected<std::unique_ptr<PrometheusExporter>> start_with_auth(const std::string& password_file) {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.basic_auth = ExporterBasicAuth{"prometheus", password_file};
  return PrometheusExporter::start(options);
}

}  // namespace

TEST_CASE("exporter auth: no credentials and a wrong password get 401, the right one 200") {
  // The trailing newline an editor adds is not part of the password.
  TempDir dir;
  auto started = start_with_auth(write_password(dir, "s3cret pass\n"));
  REQUIRE_MESSAGE(started, started.error());
  auto& exporter = *started;
  const TargetInfo api{"api", "http://127.0.0.1:8080/", Scheme::http, {}};
  exporter->on_targets({&api});
  const int port = exporter->port();

  HttpResponse none = http_get(port);
  CHECK(none.status == 401);
  CHECK(none.www_authenticate == "Basic realm=\"faultline\"");
  CHECK(none.body.find("faultline_") == std::string::npos);

  HttpResponse wrong = http_get(port, "/metrics", Credentials{"prometheus", "s3cret"});
  CHECK(wrong.status == 401);
  CHECK(wrong.body.find("faultline_") == std::string::npos);

  HttpResponse wrong_user = http_get(port, "/metrics", Credentials{"admin", "s3cret pass"});
  CHECK(wrong_user.status == 401);

  HttpResponse with_newline =
      http_get(port, "/metrics", Credentials{"prometheus", "s3cret pass\n"});
  CHECK(with_newline.status == 401);

  HttpResponse right = http_get(port, "/metrics", Credentials{"prometheus", "s3cret pass"});
  CHECK(right.status == 200);
  auto samples = parse_exposition(right.body);
  CHECK(value_of(samples, "faultline_targets") == 1);
}

TEST_CASE("exporter auth: without basic_auth, /metrics needs no credentials") {
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  auto exporter = PrometheusExporter::start(options);
  REQUIRE_MESSAGE(exporter, exporter.error());
  CHECK(http_get((*exporter)->port()).status == 200);
}

TEST_CASE("exporter auth error: a missing password file names the file") {
  auto exporter = start_with_auth("/nonexistent/faultline/password");
  REQUIRE_FALSE(exporter);
  CHECK(exporter.error() == "cannot read metrics password file /nonexistent/faultline/password");
}

TEST_CASE("exporter auth error: an empty password file is refused, not an empty password") {
  TempDir dir;
  const std::string path = write_password(dir, " \n");
  auto exporter = start_with_auth(path);
  REQUIRE_FALSE(exporter);
  CHECK(exporter.error() == "metrics password file " + path + " is empty");
}
