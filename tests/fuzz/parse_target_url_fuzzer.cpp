// parse_target_url over arbitrary text: it never crashes; what it accepts has a host, a port,
// no byte that could split a request line or header (the host and path go to libcurl and into
// the Host header), and its normalised text parses back to the same target.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/target_url.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

bool has_control_or_space(const std::string& s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = faultline::parse_target_url(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty(), "an error without a message");
    return 0;
  }
  const faultline::TargetUrl& url = *parsed;
  FUZZ_CHECK(!url.host.empty(), "accepted without a host");
  FUZZ_CHECK(url.port != 0, "accepted port 0");
  FUZZ_CHECK(!has_control_or_space(url.host), "host '%s' has a control byte", url.host.c_str());
  FUZZ_CHECK(!has_control_or_space(url.path), "path '%s' has a control byte", url.path.c_str());
  FUZZ_CHECK(!has_control_or_space(url.text), "text '%s' has a control byte", url.text.c_str());
  // http(s): a path from "/"; grpc(s): nothing or "/SERVICE"; every other scheme: nothing.
  const faultline::PathRule rule = faultline::scheme_row(url.scheme).path;
  const bool path_fits = rule == faultline::PathRule::http ? url.path.starts_with("/")
                         : rule == faultline::PathRule::grpc_service
                             ? url.path.empty() || (url.path.size() > 1 && url.path[0] == '/')
                             : url.path.empty();
  FUZZ_CHECK(path_fits, "path '%s' does not fit the scheme", url.path.c_str());
  auto again = faultline::parse_target_url(url.text);
  FUZZ_CHECK(again, "normalised '%s' is rejected: %s", url.text.c_str(),
             again ? "" : again.error().c_str());
  FUZZ_CHECK(*again == url, "normalised '%s' parses to another target ('%s')", url.text.c_str(),
             again->text.c_str());
  return 0;
}
