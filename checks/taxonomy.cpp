#include "checks/taxonomy.hpp"

namespace faultline {

std::string_view to_string(FailureClass c) {
  switch (c) {
    case FailureClass::ok:
      return "ok";
    case FailureClass::dns:
      return "dns";
    case FailureClass::refused:
      return "refused";
    case FailureClass::unreachable:
      return "unreachable";
    case FailureClass::timeout:
      return "timeout";
    case FailureClass::reset:
      return "reset";
    case FailureClass::closed:
      return "closed";
    case FailureClass::tls:
      return "tls";
    case FailureClass::http:
      return "http";
    case FailureClass::local:
      return "local";
    case FailureClass::protocol:
      return "protocol";
  }
  return "local";
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::none:
      return "";
    case Phase::dns:
      return "dns";
    case Phase::connect:
      return "connect";
    case Phase::tls:
      return "tls";
    case Phase::request:
      return "request";
    case Phase::response:
      return "response";
    case Phase::body:
      return "body";
    case Phase::proxy:
      return "proxy";
  }
  return "";
}

std::string_view to_string(Detail d) {
  switch (d) {
    case Detail::none:
      return "";
    case Detail::nxdomain:
      return "nxdomain";
    case Detail::no_address:
      return "no_address";
    case Detail::temporary:
      return "temporary";
    case Detail::refused:
      return "refused";
    case Detail::answer_mismatch:
      return "answer_mismatch";
    case Detail::timeout:
      return "timeout";
    case Detail::expired:
      return "expired";
    case Detail::not_yet_valid:
      return "not_yet_valid";
    case Detail::hostname_mismatch:
      return "hostname_mismatch";
    case Detail::untrusted:
      return "untrusted";
    case Detail::handshake:
      return "handshake";
    case Detail::reset:
      return "reset";
    case Detail::closed:
      return "closed";
    case Detail::http_status:
      return "http_status";
    case Detail::malformed:
      return "malformed";
    case Detail::body_mismatch:
      return "body_mismatch";
    case Detail::client_certificate:
      return "client_certificate";
    case Detail::unexpected_reply:
      return "unexpected_reply";
    case Detail::no_starttls:
      return "no_starttls";
    case Detail::not_serving:
      return "not_serving";
    case Detail::grpc_status:
      return "grpc_status";
    case Detail::expect_mismatch:
      return "expect_mismatch";
  }
  return "";
}

std::optional<FailureClass> failure_class_from_string(std::string_view s) {
  for (FailureClass c : kAllClasses) {
    if (to_string(c) == s) return c;
  }
  return std::nullopt;
}

std::optional<Phase> phase_from_string(std::string_view s) {
  for (Phase p : kAllPhases) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
}

std::optional<Detail> detail_from_string(std::string_view s) {
  for (Detail d : kAllDetails) {
    if (to_string(d) == s) return d;
  }
  return std::nullopt;
}

}  // namespace faultline
