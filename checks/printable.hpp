// Values read from input (a config file, the command line), shown in one-line messages: escaped
// so that they cannot break a line or drive a terminal, and cut so that a huge value gives a
// short message. Every message that echoes such a value goes through printable() or quote().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace faultline {

// How many characters of a value a message shows before cutting it with "…".
inline constexpr std::size_t kShownValueChars = 80;

// The length in bytes of the well-formed UTF-8 character starting at s[i] (1 to 4), or 0 when
// the bytes there are not one: a stray continuation byte, a truncated sequence, an overlong
// form, a UTF-16 surrogate or a value past U+10FFFF. Precondition: i < s.size().
std::size_t utf8_char_length(std::string_view s, std::size_t i);

// `value` as a message shows it: CR, LF, tab and NUL as \r \n \t \0; every other control
// character (C0, DEL, C1) and every byte that is not well-formed UTF-8 as \xNN; the rest as
// it is. At most kShownValueChars characters, counting an escape as the characters it shows;
// a longer value ends in "…".
std::string printable(std::string_view value);

// printable(value) in single quotes: how messages name a value, e.g. "not 'maybe'".
std::string quote(std::string_view value);

}  // namespace faultline
