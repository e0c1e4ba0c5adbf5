// `faultline check grpc://...` from the real binary against the python3-grpcio health server:
// the GRPC layer line, the --json grpc object, grpcs:// with --ca-file, and the options that do
// not apply to gRPC targets refused before anything is sent.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/faultline_cli.hpp"
#include "tests/grpc_test_support.hpp"
#include "tests/support/grpc_health_server.hpp"
#include "tests/support/skip_test.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline::testing;

namespace {

std::string at(const char* scheme, int port, const std::string& service = "") {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + service;
}

}  // namespace

TEST_CASE("check grpc: the GRPC line, ok and failed, and the --json grpc object") {
  GrpcHealthServer server;
  if (!usable(server)) return;
  Run ok = run_faultline({"check", at("grpc", server.port())});
  CHECK(ok.status == 0);
  CHECK(ok.output.find("ok   GRPC Health/Check (whole server) -> SERVING") != std::string::npos);
  Run sick = run_faultline({"check", at("grpc", server.port(), "/sick")});
  CHECK(sick.status == 1);
  CHECK(sick.output.find("FAIL  GRPC Health/Check 'sick' -> NOT_SERVING") != std::string::npos);
  CHECK(sick.output.find("protocol/not_serving (phase response)") != std::string::npos);
  CHECK(sick.output.find("What to check: The gRPC health service says") != std::string::npos);
  auto [status, j] = check_json({at("grpc", server.port(), "/draining")});
  CHECK(status == 1);
  CHECK(j["class"] == "protocol");
  CHECK(j["detail"] == "grpc_status");
  CHECK(j["grpc"] == nlohmann::json{{"service", "draining"},
                                    {"serving_status", nullptr},
                                    {"grpc_status", 14},
                                    {"grpc_message", "draining: 100% of calls refused"}});
  auto [bare_status, bare] = check_json({at("grpc", server.bare_port())});
  CHECK(bare_status == 1);
  CHECK(bare["grpc"]["grpc_status"] == 12);
  CHECK(bare["message"].get<std::string>().find("UNIMPLEMENTED") != std::string::npos);
}

TEST_CASE("check grpcs: --ca-file and --server-name reach the TLS layer") {
  const TestPki& pki = shared_test_pki();
  GrpcHealthServer server(pki.good.material());
  if (!usable(server)) return;
  auto [status, j] = check_json({"--ca-file", pki.ca_path, at("grpcs", server.port())});
  CHECK(status == 0);
  CHECK(j["grpc"]["serving_status"] == "SERVING");
  CHECK(j["tls"]["not_after"].is_string());
  auto [renamed_status, renamed] = check_json(
      {"--ca-file", pki.ca_path, "--server-name", "other.example", at("grpcs", server.port())});
  CHECK(renamed_status == 1);
  CHECK(renamed["class"] == "tls");
  CHECK(renamed["detail"] == "hostname_mismatch");
  CHECK(renamed["server_name"] == "other.example");
}

TEST_CASE("check grpc: options of other kinds are refused before probing") {
  Run r = run_faultline({"check", "--proxy", "http://127.0.0.1:3128", "grpc://127.0.0.1:1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--proxy only applies to http://, https://, tcp:// and tls:// targets") !=
        std::string::npos);
  r = run_faultline({"check", "--header", "x-a: b", "grpc://127.0.0.1:1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("only apply to http(s):// targets") != std::string::npos);
  r = run_faultline({"check", "grpc://127.0.0.1"});
  CHECK(r.status == 2);
  CHECK(r.output.find("grpc:// targets need a port: grpc://127.0.0.1:PORT") != std::string::npos);
}
