// What the terminal on standard output can show, for the commands that print to a person.
#pragma once

#include <string>

#include "daemon/sparkline.hpp"

namespace faultline {

// ANSI colours: only when standard output is a terminal, NO_COLOR is unset or empty
// (https://no-color.org) and TERM is not "dumb".
bool want_color();

// Unicode when the locale's character set is UTF-8 (the first set of LC_ALL, LC_CTYPE and
// LANG names UTF-8 or utf8), else ASCII.
Charset terminal_charset();

// Wraps text in ANSI colour codes when built with `color`, else returns it as it is.
class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}
  std::string ok(const std::string& s) const { return wrap("32", s); }
  std::string warn(const std::string& s) const { return wrap("33", s); }
  std::string bad(const std::string& s) const { return wrap("1;31", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string bold(const std::string& s) const { return wrap("1", s); }

 private:
  std::string wrap(const char* code, const std::string& s) const {
    return color_ ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
  bool color_;
};

}  // namespace faultline
