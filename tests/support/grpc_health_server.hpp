// GrpcHealthServer: tests/support/grpc_health_server.py (a real gRPC server, Debian's
// python3-grpcio) run on 127.0.0.1 for the tests of grpc:// and grpcs:// targets. The script
// says which service gets which answer.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_material.hpp"

namespace faultline::testing {

class GrpcHealthServer {
 public:
  // Starts the server, plaintext or with `tls`, and waits (up to 20 s) until it listens. When it
  // does not, running() is false and problem() says why.
  explicit GrpcHealthServer(std::optional<TlsMaterial> tls = std::nullopt);
  // Kills the server.
  ~GrpcHealthServer();
  GrpcHealthServer(const GrpcHealthServer&) = delete;
  GrpcHealthServer& operator=(const GrpcHealthServer&) = delete;

  bool running() const { return port_ != 0; }
  // Why it is not running: what the script printed.
  const std::string& problem() const { return problem_; }
  // The only reason a test may skip for: /usr/bin/python3 has no grpc module on this machine.
  bool grpcio_missing() const;

  // The port of the health service, and of a second server with no services at all.
  int port() const { return port_; }
  int bare_port() const { return bare_port_; }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
  int bare_port_ = 0;
  std::string problem_;
};

}  // namespace faultline::testing
