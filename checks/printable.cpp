#include "checks/printable.hpp"

#include <cstdint>
#include <cstdio>

namespace faultline {
namespace {

std::string hex_escape(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", byte);
  return buf;
}

// The escape for the character of `length` bytes at s[i], or empty when it shows as it is.
std::string escape_of(std::string_view s, std::size_t i, std::size_t length) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (length == 0) return hex_escape(c);
  if (length == 1) {
    switch (c) {
      case '\r':
        return "\\r";
      case '\n':
        return "\\n";
      case '\t':
        return "\\t";
      case '\0':
        return "\\0";
      default:
        return c < 0x20 || c == 0x7f ? hex_escape(c) : std::string();
    }
  }
  // C1 controls (U+0080..U+009F, e.g. the CSI that starts terminal commands) are two bytes.
  const auto second = static_cast<unsigned char>(s[i + 1]);
  if (length == 2 && c == 0xc2 && second < 0xa0) return hex_escape(c) + hex_escape(second);
  return {};
}

}  // namespace

std::size_t utf8_char_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xe  ? 3
                          : (c >> 3) == 0x1e ? 4
                                             : 0;
  if (len <= 1) return len;
  if (i + len > s.size()) return 0;
  std::uint32_t cp = c & (0x7f >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto cont = static_cast<unsigned char>(s[i + k]);
    if ((cont >> 6) != 0x2) return 0;
    cp = (cp << 6) | (cont & 0x3f);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return len;
}

std::string printable(std::string_view value) {
  std::string out;
  std::size_t shown = 0;
  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t length = utf8_char_length(value, i);
    const std::string escape = escape_of(value, i, length);
    const std::size_t width = escape.empty() ? 1 : escape.size();
    if (shown + width > kShownValueChars) return out + "…";
    out += escape.empty() ? std::string(value.substr(i, length)) : escape;
    shown += width;
    i += length == 0 ? 1 : length;
  }
  return out;
}

std::string quote(std::string_view value) {
  return "'" + printable(value) + "'";
}

}  // namespace faultline
