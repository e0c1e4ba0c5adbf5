// The verdict on a gRPC health reply (checks/grpc_health): the header fields it reads, the
// grpc-status codes it names, and each class it gives, from header lines as libcurl hands them.
#include "checks/grpc_health.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace faultline;
using namespace std::string_literals;

namespace {

GrpcReply reply_of(std::initializer_list<const char*> lines) {
  GrpcReply reply;
  for (const char* line : lines)
    read_grpc_header(line, reply);
  return reply;
}

const std::string kServing = "\0\0\0\0\x02\x08\x01"s;

}  // namespace

TEST_CASE("grpc health: the header fields of a reply and its trailers") {
  const GrpcReply reply =
      reply_of({"HTTP/2 200 \r\n", "Content-Type: application/grpc\r\n", "\r\n",
                "grpc-status: 14\r\n", "grpc-message: draining%3A 100%25 %zz\r\n"});
  CHECK(reply.content_type == "application/grpc");
  CHECK(reply.status == 14);
  CHECK(reply.message == "draining: 100% %zz");
  CHECK_FALSE(reply_of({"grpc-status: x1\r\n"}).status.has_value());
  CHECK(grpc_status_name(12) == "UNIMPLEMENTED");
  CHECK(grpc_status_name(17).empty());
}

TEST_CASE("grpc health: SERVING is ok, the other statuses and NOT_FOUND are not_serving") {
  const GrpcReply ok = reply_of({"content-type: application/grpc", "grpc-status: 0"});
  const Verdict serving = classify_grpc_health(ok, kServing, "api", "127.0.0.1:5");
  CHECK(serving.cls == FailureClass::ok);
  CHECK(serving.message == "the health service of 127.0.0.1:5 says service 'api' is SERVING");
  const Verdict sick = classify_grpc_health(ok, "\0\0\0\0\x02\x08\x02"s, "", "127.0.0.1:5");
  CHECK(sick.cls == FailureClass::protocol);
  CHECK(sick.phase == Phase::response);
  CHECK(sick.detail == Detail::not_serving);
  CHECK(sick.message ==
        "the health service of 127.0.0.1:5 says the server as a whole is "
        "NOT_SERVING");
  CHECK(classify_grpc_health(ok, "\0\0\0\0\0"s, "", "a").detail == Detail::not_serving);
  const GrpcReply unknown = reply_of(
      {"content-type: application/grpc", "grpc-status: 5", "grpc-message: unknown service"});
  const Verdict not_found = classify_grpc_health(unknown, "", "nope", "127.0.0.1:5");
  CHECK(not_found.detail == Detail::not_serving);
  CHECK(not_found.message ==
        "the health service of 127.0.0.1:5 does not know service 'nope' "
        "(grpc-status 5 NOT_FOUND: unknown service)");
}

TEST_CASE("grpc health: another grpc-status is grpc_status, and names the code") {
  const GrpcReply failed = reply_of({"content-type: application/grpc+proto", "grpc-status: 12",
                                     "grpc-message: Method not found!"});
  const Verdict v = classify_grpc_health(failed, "", "", "127.0.0.1:5");
  CHECK(v.cls == FailureClass::protocol);
  CHECK(v.detail == Detail::grpc_status);
  CHECK(v.message ==
        "/grpc.health.v1.Health/Check on 127.0.0.1:5 failed with grpc-status 12 "
        "UNIMPLEMENTED: Method not found!");
  // A message the server wrote with a line break in it cannot break the line.
  const GrpcReply odd =
      reply_of({"content-type: application/grpc", "grpc-status: 99", "grpc-message: a%0Ab"});
  CHECK(classify_grpc_health(odd, "", "", "h:1").message ==
        "/grpc.health.v1.Health/Check on h:1 failed with grpc-status 99: a\\nb");
}

TEST_CASE("grpc health: a reply that is not a health response is unexpected_reply, quoted") {
  const GrpcReply html = reply_of({"content-type: text/html"});
  const std::string page = "<html>" + std::string(200, 'x');
  const Verdict v = classify_grpc_health(html, page, "", "127.0.0.1:5");
  CHECK(v.cls == FailureClass::protocol);
  CHECK(v.detail == Detail::unexpected_reply);
  CHECK(v.message ==
        "the reply of 127.0.0.1:5 to /grpc.health.v1.Health/Check is not a health "
        "response: content-type 'text/html': '<html>" +
            std::string(74, 'x') + "…'");
  const GrpcReply no_status = reply_of({"content-type: application/grpc"});
  CHECK(classify_grpc_health(no_status, kServing, "", "h:1").detail == Detail::unexpected_reply);
  const GrpcReply ok = reply_of({"content-type: application/grpc", "grpc-status: 0"});
  const Verdict garbage = classify_grpc_health(ok, "\0\0\0\0\x02\xff\xfe"s, "", "h:1");
  CHECK(garbage.detail == Detail::unexpected_reply);
  CHECK(garbage.message ==
        "the reply of h:1 to /grpc.health.v1.Health/Check is not a health "
        "response: a truncated protobuf field tag: "
        "'\\0\\0\\0\\0\\x02\\xFF\\xFE'");
}

TEST_CASE("grpc health: what the result shows of the reply") {
  const GrpcReply ok = reply_of({"content-type: application/grpc", "grpc-status: 0"});
  const GrpcHealth shown = grpc_health_of(ok, kServing, "api");
  CHECK(shown.service == "api");
  CHECK(shown.serving_status == "SERVING");
  CHECK(shown.status == 0);
  const GrpcReply failed = reply_of({"grpc-status: 14", "grpc-message: busy"});
  const GrpcHealth busy = grpc_health_of(failed, "", "");
  CHECK(busy.serving_status.empty());
  CHECK(busy.status == 14);
  CHECK(busy.message == "busy");
}
