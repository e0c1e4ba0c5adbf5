#include "checks/grpc_health_message.hpp"

#include <cstddef>
#include <optional>

namespace faultline {
namespace {

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
constexpr std::uint8_t kVarint = 0;
constexpr std::uint8_t kFixed64 = 1;
constexpr std::uint8_t kLengthDelimited = 2;
constexpr std::uint8_t kFixed32 = 5;

// HealthCheckRequest { string service = 1; }: field 1, length-delimited.
constexpr std::uint8_t kRequestServiceTag = (1 << 3) | kLengthDelimited;  // 0x0a
// HealthCheckResponse { ServingStatus status = 1; }: field 1, a varint (an enum).
constexpr std::uint64_t kResponseStatusField = 1;

// The gRPC message prefix: a compressed flag byte, then the message length, 4 bytes big-endian.
constexpr std::size_t kPrefixBytes = 5;

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Reads a varint at `pos`, advancing it; nullopt when the bytes end first or it runs past 64
// bits.
std::optional<std::uint64_t> read_varint(std::string_view bytes, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size()) return std::nullopt;
    const auto byte = static_cast<std::uint8_t>(bytes[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

// Skips the value of a field of another number (a newer health.proto may add some).
bool skip_field(std::string_view bytes, std::size_t& pos, std::uint8_t wire_type) {
  switch (wire_type) {
    case kVarint:
      return read_varint(bytes, pos).has_value();
    case kFixed64:
      pos += 8;
      return pos <= bytes.size();
    case kFixed32:
      pos += 4;
      return pos <= bytes.size();
    case kLengthDelimited: {
      const auto length = read_varint(bytes, pos);
      if (!length || *length > bytes.size() - pos) return false;
      pos += static_cast<std::size_t>(*length);
      return true;
    }
    default:
      return false;
  }
}

// The status field of a HealthCheckResponse message; proto3 leaves out a field holding its
// default, so a message without one says UNKNOWN (0).
Expected<std::uint64_t> read_status_field(std::string_view message) {
  std::uint64_t status = 0;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const auto tag = read_varint(message, pos);
    if (!tag) return unexpected("a truncated protobuf field tag");
    const auto wire_type = static_cast<std::uint8_t>(*tag & 0x7);
    if ((*tag >> 3) == kResponseStatusField && wire_type == kVarint) {
      const auto value = read_varint(message, pos);
      if (!value) return unexpected("a truncated status field");
      status = *value;
    } else if ((*tag >> 3) == 0 || !skip_field(message, pos, wire_type)) {
      return unexpected("bytes that are not a protobuf message");
    }
  }
  return status;
}

}  // namespace

std::string_view to_string(ServingStatus s) {
  switch (s) {
    case ServingStatus::unknown:
      return "UNKNOWN";
    case ServingStatus::serving:
      return "SERVING";
    case ServingStatus::not_serving:
      return "NOT_SERVING";
    case ServingStatus::service_unknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

std::string grpc_health_request(std::string_view service) {
  std::string message;
  if (!service.empty()) {  // proto3 leaves out a field holding its default, ""
    message += static_cast<char>(kRequestServiceTag);
    append_varint(message, service.size());
    message += service;
  }
  std::string frame;
  frame += '\0';  // not compressed
  const auto length = static_cast<std::uint32_t>(message.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    frame += static_cast<char>((length >> shift) & 0xff);
  return frame + message;
}

Expected<ServingStatus> read_grpc_health_response(std::string_view body) {
  if (body.empty()) return unexpected("no message");
  if (body.size() < kPrefixBytes) {
    return unexpected(std::to_string(body.size()) + " bytes, shorter than the 5-byte gRPC prefix");
  }
  // The request offered no compression (no grpc-accept-encoding), so none may come back.
  if (body[0] != '\0') return unexpected("a compressed or malformed gRPC message prefix");
  std::uint32_t length = 0;
  for (std::size_t i = 1; i < kPrefixBytes; ++i)
    length = (length << 8) | static_cast<std::uint8_t>(body[i]);
  const std::string_view message = body.substr(kPrefixBytes);
  if (length != message.size()) {
    return unexpected("a gRPC prefix announcing " + std::to_string(length) + " bytes before " +
                      std::to_string(message.size()));
  }
  auto status = read_status_field(message);
  if (!status) return unexpected(status.error());
  if (*status > static_cast<std::uint64_t>(ServingStatus::service_unknown)) {
    return unexpected("status " + std::to_string(*status) + ", which is no ServingStatus");
  }
  return static_cast<ServingStatus>(*status);
}

}  // namespace faultline
