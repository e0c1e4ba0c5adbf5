// The bytes of the gRPC health check, written and read by hand (checks/grpc_health_message):
// the request for a service and for the whole server, and responses well-formed, truncated,
// compressed, of another length or of another message.
#include "checks/grpc_health_message.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace faultline;
using namespace std::string_literals;

TEST_CASE("grpc health message: the request is the 5-byte prefix and HealthCheckRequest") {
  CHECK(grpc_health_request("") == "\0\0\0\0\0"s);
  // Field 1 (service), length-delimited: tag 0x0a, length 4, the name.
  CHECK(grpc_health_request("sick") == "\0\0\0\0\x06\x0a\x04sick"s);
  // A name of 200 bytes takes a two-byte varint length (0xc8 0x01).
  const std::string long_name(200, 'a');
  CHECK(grpc_health_request(long_name) == "\0\0\0\0\xcb\x0a\xc8\x01"s + long_name);
}

TEST_CASE("grpc health message: the ServingStatus of a response") {
  CHECK(*read_grpc_health_response("\0\0\0\0\x02\x08\x01"s) == ServingStatus::serving);
  CHECK(*read_grpc_health_response("\0\0\0\0\x02\x08\x02"s) == ServingStatus::not_serving);
  CHECK(*read_grpc_health_response("\0\0\0\0\x02\x08\x03"s) == ServingStatus::service_unknown);
  // proto3 leaves the default out: an empty message says UNKNOWN.
  CHECK(*read_grpc_health_response("\0\0\0\0\0"s) == ServingStatus::unknown);
  // A field of another number (a newer health.proto) is skipped, whatever its wire type.
  CHECK(*read_grpc_health_response("\0\0\0\0\x08\x12\x02hi\x08\x01\x18\x05"s) ==
        ServingStatus::serving);
  CHECK(to_string(ServingStatus::not_serving) == "NOT_SERVING");
}

TEST_CASE("grpc health message: bytes that are no health response say why") {
  CHECK(read_grpc_health_response("").error() == "no message");
  CHECK(read_grpc_health_response("abc").error() == "3 bytes, shorter than the 5-byte gRPC prefix");
  CHECK(read_grpc_health_response("\x01\0\0\0\x02\x08\x01"s).error() ==
        "a compressed or malformed gRPC message prefix");
  CHECK(read_grpc_health_response("\0\0\0\0\x03\x08\x01"s).error() ==
        "a gRPC prefix announcing 3 bytes before 2");
  CHECK(read_grpc_health_response("\0\0\0\0\x02\x08\x07"s).error() ==
        "status 7, which is no ServingStatus");
  CHECK(read_grpc_health_response("\0\0\0\0\x01\x08"s).error() == "a truncated status field");
  CHECK(read_grpc_health_response("\0\0\0\0\x04<htm"s).error() ==
        "bytes that are not a protobuf message");
}
