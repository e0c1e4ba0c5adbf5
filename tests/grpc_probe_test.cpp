// grpc:// and grpcs:// probes against real servers on 127.0.0.1: a python3-grpcio health
// server (tests/support/grpc_health_server.py) answering SERVING, NOT_SERVING, UNKNOWN, an
// unknown service, a non-zero grpc-status, no health service and a message that is not a
// health response, plaintext and over TLS; and LoopbackServer fixtures for the transport
// failures, which are classified as for https:// targets.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/grpc_test_support.hpp"
#include "tests/probe_checks.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/grpc_health_server.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

constexpr std::chrono::milliseconds kTimeout{5000};

std::string at(const char* scheme, int port, const std::string& service = "") {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) +
         (service.empty() ? "" : "/" + service);
}

}  // namespace

TEST_CASE("grpc probe: SERVING is ok, with the reply in the result") {
  GrpcHealthServer server;
  if (!usable(server)) return;
  ProbeResult r = probe(probe_spec_for(at("grpc", server.port()), kTimeout));
  check_class(r, FailureClass::ok, Phase::none);
  CHECK(r.message ==
        "the health service of " + r.remote_addr + " says the server as a whole is SERVING");
  REQUIRE(r.grpc);
  CHECK(r.grpc->service.empty());
  CHECK(r.grpc->serving_status == "SERVING");
  CHECK(r.grpc->status == 0);
  CHECK(r.http_status == 0);
  CHECK(r.timings.connect_ms.has_value());
  CHECK(r.timings.first_byte_ms.has_value());
  CHECK_FALSE(r.timings.tls_ms.has_value());
}

TEST_CASE("grpc probe: NOT_SERVING, UNKNOWN and an unknown service are not_serving") {
  GrpcHealthServer server;
  if (!usable(server)) return;
  ProbeResult sick = probe(probe_spec_for(at("grpc", server.port(), "sick"), kTimeout));
  check_class(sick, FailureClass::protocol, Phase::response, "not_serving");
  CHECK(sick.message.ends_with("says service 'sick' is NOT_SERVING"));
  REQUIRE(sick.grpc);
  CHECK(sick.grpc->service == "sick");
  CHECK(sick.grpc->serving_status == "NOT_SERVING");
  ProbeResult starting = probe(probe_spec_for(at("grpc", server.port(), "starting"), kTimeout));
  check_class(starting, FailureClass::protocol, Phase::response, "not_serving");
  CHECK(starting.message.ends_with("says service 'starting' is UNKNOWN"));
  // The standard health servicer answers a service it does not know with NOT_FOUND.
  ProbeResult nope = probe(probe_spec_for(at("grpc", server.port(), "no.such.Service"), kTimeout));
  check_class(nope, FailureClass::protocol, Phase::response, "not_serving");
  CHECK(
      nope.message.ends_with("does not know service 'no.such.Service' (grpc-status 5 "
                             "NOT_FOUND: unknown service)"));
  REQUIRE(nope.grpc);
  CHECK(nope.grpc->status == 5);
  CHECK(nope.grpc->serving_status.empty());
}

TEST_CASE("grpc probe: a non-zero grpc-status is grpc_status, and the message names it") {
  GrpcHealthServer server;
  if (!usable(server)) return;
  ProbeResult draining = probe(probe_spec_for(at("grpc", server.port(), "draining"), kTimeout));
  check_class(draining, FailureClass::protocol, Phase::response, "grpc_status");
  CHECK(draining.message.ends_with(
      "failed with grpc-status 14 UNAVAILABLE: draining: 100% of calls refused"));
  REQUIRE(draining.grpc);
  CHECK(draining.grpc->status == 14);
  CHECK(draining.grpc->message == "draining: 100% of calls refused");
  // A gRPC server without the health service.
  ProbeResult bare = probe(probe_spec_for(at("grpc", server.bare_port()), kTimeout));
  check_class(bare, FailureClass::protocol, Phase::response, "grpc_status");
  CHECK(bare.message.find("grpc-status 12 UNIMPLEMENTED") != std::string::npos);
}

TEST_CASE("grpc probe: a message that is not a HealthCheckResponse is unexpected_reply") {
  GrpcHealthServer server;
  if (!usable(server)) return;
  ProbeResult r = probe(probe_spec_for(at("grpc", server.port(), "garbage"), kTimeout));
  check_class(r, FailureClass::protocol, Phase::response, "unexpected_reply");
  CHECK(
      r.message.ends_with("is not a health response: bytes that are not a protobuf message: "
                          "'\\0\\0\\0\\0\\x0E\\xFF\\xFEnot protobuf'"));
}

TEST_CASE("grpcs probe: the health check over TLS, the certificate facts in the result") {
  const TestPki& pki = shared_test_pki();
  GrpcHealthServer server(pki.good.material());
  if (!usable(server)) return;
  auto spec = probe_spec_for(at("grpcs", server.port()), kTimeout);
  spec->ca_file = pki.ca_path;
  ProbeResult ok = probe(spec);
  check_class(ok, FailureClass::ok, Phase::none);
  REQUIRE(ok.tls);
  CHECK(ok.tls->not_after == pki.good.not_after);
  CHECK(ok.timings.tls_ms.has_value());
  auto sick = probe_spec_for(at("grpcs", server.port(), "sick"), kTimeout);
  sick->ca_file = pki.ca_path;
  check_class(probe(sick), FailureClass::protocol, Phase::response, "not_serving");
  // server_name is what the certificate is checked against.
  auto renamed = probe_spec_for(at("grpcs", server.port()), kTimeout);
  renamed->ca_file = pki.ca_path;
  renamed->server_name = "other.example";
  check_class(probe(renamed), FailureClass::tls, Phase::tls, "hostname_mismatch");
  // Without the test CA the system store decides.
  ProbeResult untrusted = probe(probe_spec_for(at("grpcs", server.port()), kTimeout));
  check_class(untrusted, FailureClass::tls, Phase::tls, "untrusted");
}

TEST_CASE("grpcs probe: a certificate for another name, or expired, fails as for https") {
  const TestPki& pki = shared_test_pki();
  for (const TestCert* cert : {&pki.wrong_name, &pki.expired}) {
    GrpcHealthServer server(cert->material());
    if (!usable(server)) return;
    auto spec = probe_spec_for(at("grpcs", server.port()), kTimeout);
    spec->ca_file = pki.ca_path;
    ProbeResult r = probe(spec);
    check_class(r, FailureClass::tls, Phase::tls,
                cert == &pki.expired ? "expired" : "hostname_mismatch");
    REQUIRE(r.tls);
    CHECK(r.tls->not_after == cert->not_after);
    CHECK_FALSE(r.grpc.has_value());
  }
}

TEST_CASE("grpc probe: transport failures are classified as for https targets") {
  const int closed = closed_port();
  check_class(probe(probe_spec_for(at("grpc", closed), kTimeout)), FailureClass::refused,
              Phase::connect);
  LoopbackServer reset(Behavior::rst_after_request);
  check_class(probe(probe_spec_for(at("grpc", reset.port()), kTimeout)), FailureClass::reset,
              Phase::response);
  LoopbackServer silent(Behavior::accept_never_answer);
  ProbeResult timeout =
      probe(probe_spec_for(at("grpc", silent.port()), std::chrono::milliseconds(500)));
  CHECK(timeout.cls == FailureClass::timeout);
}

TEST_CASE("grpcs probe: an HTTPS server that is no gRPC server") {
  const TestPki& pki = shared_test_pki();
  // It offers no h2 by ALPN, so the exchange is HTTP/1.1; its 200 is text, not gRPC.
  LoopbackServerOptions options;
  options.behavior = Behavior::tls_http_ok;
  options.tls = pki.good.material();
  LoopbackServer web(options);
  auto spec = probe_spec_for(at("grpcs", web.port()), kTimeout);
  spec->ca_file = pki.ca_path;
  ProbeResult r = probe(spec);
  check_class(r, FailureClass::protocol, Phase::response, "unexpected_reply");
  CHECK(r.message.ends_with("is not a health response: content-type 'text/plain': 'ok\\n'"));
  // Any status but 200 is the HTTP layer's failure, as for an https:// target.
  options.routes["/grpc.health.v1.Health/Check"] = RouteResponse{503};
  LoopbackServer unavailable(options);
  auto busy = probe_spec_for(at("grpcs", unavailable.port()), kTimeout);
  busy->ca_file = pki.ca_path;
  check_class(probe(busy), FailureClass::http, Phase::response, "503");
}
