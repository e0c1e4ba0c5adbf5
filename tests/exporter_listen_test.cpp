// Where the exporter listens (`metrics.listen`): address parsing, port 0, IPv6 loopback, and
// the error value when the address cannot be listened on.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "exporters/listen_address.hpp"
#include "exporters/prometheus_exporter.hpp"
#include "tests/metrics_scrape.hpp"
#include "tests/support/skip_test.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

Expected<std::unique_ptr<PrometheusExporter>> start_on(const std::string& listen) {
  ExporterOptions options;
  options.listen = listen;
  return PrometheusExporter::start(options);
}

// Whether this machine can listen on ::1 (containers without IPv6 cannot).
bool have_ipv6_loopback() {
  auto a = parse_listen_address("[::1]:0");
  return a && listen_failure(*a).empty();
}

}  // namespace

TEST_CASE("listen address: IPv4 and bracketed IPv6 with a port") {
  auto v4 = parse_listen_address("127.0.0.1:9469");
  REQUIRE_MESSAGE(v4, v4.error());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9469);
  CHECK_FALSE(v4->ipv6);
  CHECK(v4->to_string() == "127.0.0.1:9469");

  auto v6 = parse_listen_address("[::1]:0");
  REQUIRE_MESSAGE(v6, v6.error());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  CHECK(v6->ipv6);
  CHECK(v6->to_string() == "[::1]:0");
}

TEST_CASE("listen address error: names, bare ports and civetweb's extras are refused") {
  auto error_of = [](const char* text) {
    auto a = parse_listen_address(text);
    REQUIRE_FALSE_MESSAGE(a, text << " was accepted");
    return a.error();
  };
  CHECK(error_of("localhost:9469") ==
        "'localhost:9469' is not IPv4:PORT or [IPv6]:PORT ('localhost' is not a numeric IPv4 "
        "address)");
  CHECK(error_of("9469") == "'9469' is not IPv4:PORT or [IPv6]:PORT (no port)");
  CHECK(error_of("127.0.0.1:9469s").ends_with("(the port must be 0..65535)"));
  CHECK(error_of("127.0.0.1:65536").ends_with("(the port must be 0..65535)"));
  CHECK(error_of("127.0.0.1:").ends_with("(the port must be 0..65535)"));
  CHECK(error_of("127.0.0.1:9469,127.0.0.1:9470")
            .ends_with("('127.0.0.1:9469,127.0.0.1' is not a numeric IPv4 address)"));
  CHECK(error_of("::1:9469").ends_with("('::1' is not a numeric IPv4 address)"));
  CHECK(error_of("[::1]9469").ends_with("(no ']:' after the IPv6 address)"));
  CHECK(error_of("[127.0.0.1]:9469").ends_with("('127.0.0.1' is not a numeric IPv6 address)"));
}

TEST_CASE("exporter listen: port 0 picks a free port and reports it") {
  auto exporter = start_on("127.0.0.1:0");
  REQUIRE_MESSAGE(exporter, exporter.error());
  const int port = (*exporter)->port();
  CHECK(port > 0);
  CHECK(http_get(port).status == 200);
  // Only /metrics is served.
  CHECK(http_get(port, "/").status == 404);
}

TEST_CASE("exporter listen: stopping does not wait out civetweb's two-second poll") {
  auto exporter = start_on("127.0.0.1:0");
  REQUIRE_MESSAGE(exporter, exporter.error());
  // A connection restarts civetweb's accept poll, so right after one a plain stop would wait
  // the full two seconds.
  REQUIRE(http_get((*exporter)->port()).status == 200);
  auto begin = std::chrono::steady_clock::now();
  exporter->reset();
  auto took = std::chrono::steady_clock::now() - begin;
  CHECK_MESSAGE(took < std::chrono::milliseconds(1500), std::chrono::duration<double>(took).count()
                                                            << " s");
}

TEST_CASE("exporter listen: IPv6 loopback works, or the error says civetweb lacks IPv6") {
  if (!have_ipv6_loopback()) {
    skip_test("no IPv6 loopback here");
    return;
  }
  auto exporter = start_on("[::1]:0");
  if (exporter) {
    CHECK(http_get((*exporter)->port(), "/metrics", std::nullopt, "[::1]").status == 200);
  } else {
    // Debian 12's civetweb is built without IPv6 and rejects the address outright.
    CHECK(exporter.error() ==
          "cannot serve metrics on [::1]:0: the HTTP server refused the address; civetweb "
          "builds without IPv6 support (Debian 12's among them) cannot listen on IPv6");
  }
}

TEST_CASE("exporter listen error: a port in use names the address and the cause") {
  auto first = start_on("127.0.0.1:0");
  REQUIRE_MESSAGE(first, first.error());
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());

  auto second = start_on(taken);
  REQUIRE_FALSE(second);
  CHECK(second.error() == "cannot serve metrics on " + taken + ": Address already in use");
  // The first one still serves.
  CHECK(http_get((*first)->port()).status == 200);
}

TEST_CASE("exporter listen error: an address this machine does not have") {
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a real interface.
  auto exporter = start_on("192.0.2.1:9469");
  REQUIRE_FALSE(exporter);
  CHECK(exporter.error() ==
        "cannot serve metrics on 192.0.2.1:9469: Cannot assign requested address");
}

TEST_CASE("exporter listen error: a malformed address is refused before anything listens") {
  auto exporter = start_on("0.0.0.0");
  REQUIRE_FALSE(exporter);
  CHECK(exporter.error() == "metrics.listen: '0.0.0.0' is not IPv4:PORT or [IPv6]:PORT (no port)");
}
