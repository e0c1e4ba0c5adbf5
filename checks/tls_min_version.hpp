// The oldest TLS protocol version a probe accepts (`tls_min_version:`).
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline {

enum class TlsMinVersion : std::uint8_t {
  any,     // the TLS library's own floor (TLS 1.2 with Debian's OpenSSL settings)
  tls1_2,  // "1.2"
  tls1_3,  // "1.3"
};

// "1.2", "1.3"; "" for any: the config's words.
constexpr std::string_view to_string(TlsMinVersion v) {
  switch (v) {
    case TlsMinVersion::tls1_2:
      return "1.2";
    case TlsMinVersion::tls1_3:
      return "1.3";
    default:
      return "";
  }
}

}  // namespace faultline
