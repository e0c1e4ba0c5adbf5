// grpc:// and grpcs:// targets in the config: the URL forms, the TLS keys (which apply to
// grpcs:// and do nothing on grpc://), and the keys that do not apply to them, each an error
// at its file:line:col.
#include <doctest/doctest.h>

#include <string>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"
#include "tests/support/test_pki.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("config: grpc:// and grpcs:// targets, with the TLS keys on grpcs://") {
  const std::string ca = shared_test_pki().ca_path;
  ConfigLoad load = parse_config(
      "defaults:\n"
      "  proxy: http://127.0.0.1:3128\n"
      "targets:\n"
      "  - name: api\n"
      "    url: grpc://10.0.0.7:50051\n"
      "  - name: users\n"
      "    url: grpcs://users.internal:443/users.v1.Users\n"
      "    ca_file: " +
          ca +
          "\n"
          "    server_name: users.example\n"
          "    tls_min_version: \"1.3\"\n",
      "t.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config);
  REQUIRE(load.config->targets.size() == 2);
  const ProbeSpec& api = load.config->targets[0].probe;
  CHECK(api.url.scheme == Scheme::grpc);
  CHECK(api.url.path.empty());
  // A default proxy is for the kinds that can use one; gRPC goes straight to its server.
  CHECK_FALSE(api.proxy.has_value());
  const ProbeSpec& users = load.config->targets[1].probe;
  CHECK(users.url.scheme == Scheme::grpcs);
  CHECK(users.url.path == "/users.v1.Users");
  CHECK(users.url.text == "grpcs://users.internal:443/users.v1.Users");
  CHECK(users.ca_file == ca);
  CHECK(users.server_name == "users.example");
  CHECK(users.tls_min_version == TlsMinVersion::tls1_3);
  CHECK(load.warnings.empty());
}

TEST_CASE("config: a TLS key on a grpc:// target is a warning at the key") {
  ConfigLoad load = parse_config(
      "targets:\n  - name: api\n    url: grpc://10.0.0.7:50051\n    server_name: api.example\n",
      "t.yaml");
  CHECK(load.errors.empty());
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].to_string() ==
        "t.yaml:4:5: 'server_name' has no effect on grpc:// target 'api'");
}

TEST_CASE("config error: grpc:// URLs and keys that do not apply to gRPC targets") {
  CHECK(error_of("targets:\n  - name: api\n    url: grpc://10.0.0.7\n") ==
        "t.yaml:3:10: 'url': grpc:// targets need a port: grpc://10.0.0.7:PORT");
  CHECK(error_of("targets:\n  - name: api\n    url: grpcs://10.0.0.7:443/a/b\n") ==
        "t.yaml:3:10: 'url': grpcs:// targets take at most a service name after the port: "
        "grpcs://host:port/SERVICE");
  const std::string head = "targets:\n  - name: api\n    url: grpc://10.0.0.7:50051\n";
  CHECK(error_of(head + "    proxy: http://127.0.0.1:3128\n") ==
        "t.yaml:4:5: 'proxy' only applies to http://, https://, tcp:// and tls:// targets, and "
        "'api' is grpc://");
  CHECK(error_of(head + "    headers: {x-token: a}\n") ==
        "t.yaml:4:5: 'headers' only applies to http:// and https:// targets, and 'api' is "
        "grpc://");
  CHECK(error_of(head + "    send: PING\n") ==
        "t.yaml:4:5: 'send' only applies to tcp:// and tls:// targets, and 'api' is grpc://");
}
