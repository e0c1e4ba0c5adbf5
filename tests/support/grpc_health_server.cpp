#include "tests/support/grpc_health_server.hpp"

#include <cstdio>
#include <vector>

#include "tests/support/eventually.hpp"

namespace faultline::testing {

GrpcHealthServer::GrpcHealthServer(std::optional<TlsMaterial> tls) : dir_("faultline-grpc") {
  // Debian's own interpreter: a python3 earlier on PATH may lack Debian's modules.
  std::vector<std::string> argv = {"/usr/bin/python3", FAULTLINE_GRPC_HEALTH_SERVER};
  if (tls) argv.insert(argv.end(), {"--tls", tls->cert_chain_path, tls->key_path});
  const std::string log = dir_.file("server.log");
  try {
    child_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, log);
  } catch (const std::exception& e) {
    problem_ = e.what();
    return;
  }
  std::string output;
  const bool listening = eventually(
      [&] {
        output = child_->output();
        return output.find('\n') != std::string::npos || child_->wait(std::chrono::seconds(0));
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20));
  output = child_->output();
  if (!listening || std::sscanf(output.c_str(), "PORTS %d %d", &port_, &bare_port_) != 2) {
    port_ = bare_port_ = 0;
    problem_ = "the gRPC health server did not start: " + output;
  }
}

GrpcHealthServer::~GrpcHealthServer() = default;

bool GrpcHealthServer::grpcio_missing() const {
  return problem_.find("No module named 'grpc'") != std::string::npos;
}

}  // namespace faultline::testing
