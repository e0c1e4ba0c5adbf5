// What the gRPC tests share beside tests/support/grpc_health_server.
#pragma once

#include <doctest/doctest.h>

#include "tests/support/grpc_health_server.hpp"
#include "tests/support/skip_test.hpp"

namespace faultline::testing {

// Whether the test can go on with `server`; a failure unless only python3-grpcio is missing,
// which skips the test.
inline bool usable(const GrpcHealthServer& server) {
  if (server.running()) return true;
  if (server.grpcio_missing()) {
    skip_test("python3-grpcio is not installed (apt-get install python3-grpcio)");
  } else {
    FAIL_CHECK(server.problem());
  }
  return false;
}

}  // namespace faultline::testing
