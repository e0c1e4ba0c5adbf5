// The gRPC health check's verdict (grpc.health.v1.Health/Check over HTTP/2): what the reply's
// headers, trailers and message say, once the HTTP/2 exchange itself ended with status 200.
// Transport failures (connect, TLS, a reset stream, another HTTP status) are classified as for
// https:// targets, by transfer_classifier.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "checks/probe_result.hpp"
#include "checks/verdict.hpp"

namespace faultline {

// The parts of a reply's header fields the verdict reads, from the response headers and the
// trailers alike (a trailers-only reply carries grpc-status among its headers).
struct GrpcReply {
  std::optional<int> status;  // grpc-status; nullopt when none came or it was not a number
  std::string message;        // grpc-message, percent-decoded
  std::string content_type;   // of the response headers
};

// Records `line`, one header field as libcurl hands it to a header callback ("name: value\r\n",
// status lines and blank lines included), into `reply` when it is one the verdict reads.
void read_grpc_header(std::string_view line, GrpcReply& reply);

// "UNIMPLEMENTED" for 12: the name of a gRPC status code; "" for codes past 16.
std::string_view grpc_status_name(int code);

// The verdict on a reply with HTTP status 200 from `remote` ("127.0.0.1:50051") to a health
// check about `service`, whose body (up to the body limit) is `body`: ok for SERVING;
// protocol/not_serving for NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN and for grpc-status 5
// NOT_FOUND (how Health/Check says it does not know the service); protocol/grpc_status for any
// other non-zero grpc-status (the message names it: "grpc-status 12 UNIMPLEMENTED: ...");
// protocol/unexpected_reply for a reply that is not a health response (not application/grpc,
// no grpc-status, bytes that are not a HealthCheckResponse: the message quotes at most 80
// printable characters of it). Phase `response` for each failure.
Verdict classify_grpc_health(const GrpcReply& reply, std::string_view body,
                             std::string_view service, const std::string& remote);

// What ProbeResult::grpc shows of the reply.
GrpcHealth grpc_health_of(const GrpcReply& reply, std::string_view body, std::string_view service);

}  // namespace faultline
