#include "checks/grpc_health.hpp"

#include <array>
#include <cctype>
#include <charconv>

#include "checks/grpc_health_message.hpp"
#include "checks/printable.hpp"

namespace faultline {
namespace {

constexpr int kGrpcNotFound = 5;

// The codes of https://grpc.github.io/grpc/core/md_doc_statuscodes.html, by number.
constexpr std::array<std::string_view, 17> kGrpcStatusNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// grpc-message is percent-encoded (gRPC over HTTP/2, "Responses"); a '%' not followed by two
// hex digits stays as it is, as the spec asks of receivers.
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Verdict failed(Detail detail, std::string message) {
  Verdict v;
  v.cls = FailureClass::protocol;
  v.phase = Phase::response;
  v.detail = detail;
  v.message = std::move(message);
  return v;
}

// "the server as a whole" or "service 'name'".
std::string asked(std::string_view service) {
  return service.empty() ? std::string("the server as a whole") : "service " + quote(service);
}

// "grpc-status 12 UNIMPLEMENTED: Method not found!", the message cut and escaped.
std::string status_text(const GrpcReply& reply) {
  const int code = *reply.status;
  std::string text = "grpc-status " + std::to_string(code);
  const std::string_view name = grpc_status_name(code);
  if (!name.empty()) text += " " + std::string(name);
  if (!reply.message.empty()) text += ": " + printable(reply.message);
  return text;
}

Verdict not_a_health_reply(const std::string& why, std::string_view body,
                           const std::string& remote) {
  std::string message = "the reply of " + remote + " to " + std::string(kGrpcHealthCheckPath) +
                        " is not a health response: " + why;
  if (!body.empty()) message += ": " + quote(body);
  return failed(Detail::unexpected_reply, std::move(message));
}

}  // namespace

void read_grpc_header(std::string_view line, GrpcReply& reply) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string_view value = trim(line.substr(colon + 1));
  if (name == "grpc-status") {
    int code = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
    reply.status = ec == std::errc() && end == value.data() + value.size() && code >= 0
                       ? std::optional<int>(code)
                       : std::nullopt;
  } else if (name == "grpc-message") {
    reply.message = percent_decoded(value);
  } else if (name == "content-type") {
    reply.content_type = std::string(value);
  }
}

std::string_view grpc_status_name(int code) {
  if (code < 0 || static_cast<std::size_t>(code) >= kGrpcStatusNames.size()) return "";
  return kGrpcStatusNames[static_cast<std::size_t>(code)];
}

Verdict classify_grpc_health(const GrpcReply& reply, std::string_view body,
                             std::string_view service, const std::string& remote) {
  // "application/grpc", "application/grpc+proto", ...: anything else is not a gRPC server.
  const std::string type = lower(reply.content_type);
  if (type != "application/grpc" && !type.starts_with("application/grpc+") &&
      !type.starts_with("application/grpc;")) {
    return not_a_health_reply(reply.content_type.empty()
                                  ? "no content-type"
                                  : "content-type " + quote(reply.content_type),
                              body, remote);
  }
  if (!reply.status) return not_a_health_reply("no grpc-status in its trailers", body, remote);
  if (*reply.status == kGrpcNotFound) {
    return failed(Detail::not_serving, "the health service of " + remote + " does not know " +
                                           asked(service) + " (" + status_text(reply) + ")");
  }
  if (*reply.status != 0) {
    return failed(Detail::grpc_status, std::string(kGrpcHealthCheckPath) + " on " + remote +
                                           " failed with " + status_text(reply));
  }
  const auto status = read_grpc_health_response(body);
  if (!status) return not_a_health_reply(status.error(), body, remote);
  if (*status != ServingStatus::serving) {
    return failed(Detail::not_serving, "the health service of " + remote + " says " +
                                           asked(service) + " is " +
                                           std::string(to_string(*status)));
  }
  Verdict ok;
  ok.message = "the health service of " + remote + " says " + asked(service) + " is SERVING";
  return ok;
}

GrpcHealth grpc_health_of(const GrpcReply& reply, std::string_view body, std::string_view service) {
  GrpcHealth health;
  health.service = std::string(service);
  health.status = reply.status;
  health.message = reply.message;
  if (reply.status == 0) {
    if (const auto status = read_grpc_health_response(body)) {
      health.serving_status = std::string(to_string(*status));
    }
  }
  return health;
}

}  // namespace faultline
