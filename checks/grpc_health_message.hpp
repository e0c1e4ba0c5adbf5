// The bytes of the standard gRPC health check (grpc/health/v1/health.proto), written and read
// by hand: the request and the response are one small protobuf message each, inside the 5-byte
// gRPC message prefix, so no protobuf library is needed for them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checks/expected.hpp"

namespace faultline {

// The path of the unary call every standard health server answers.
inline constexpr std::string_view kGrpcHealthCheckPath = "/grpc.health.v1.Health/Check";

// HealthCheckResponse.ServingStatus.
enum class ServingStatus : std::uint8_t {
  unknown = 0,
  serving = 1,
  not_serving = 2,
  service_unknown = 3,  // health.proto gives it to Watch; Check answers NOT_FOUND instead
};

// "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN": the names of health.proto.
std::string_view to_string(ServingStatus s);

// The request body of Health/Check for `service` ("" asks about the server as a whole): the
// gRPC prefix (uncompressed, length) and HealthCheckRequest{service}.
std::string grpc_health_request(std::string_view service);

// The ServingStatus in `body`, a response body of Health/Check: exactly one uncompressed gRPC
// message holding a HealthCheckResponse. Error: why the bytes are not that, in a few words
// ("3 bytes, shorter than the 5-byte gRPC prefix"), without the bytes themselves.
Expected<ServingStatus> read_grpc_health_response(std::string_view body);

}  // namespace faultline
