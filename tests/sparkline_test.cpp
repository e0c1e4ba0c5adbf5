// The report's sparkline on its own, and the terminal checks that choose its characters.
#include "daemon/sparkline.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "daemon/terminal.hpp"

using namespace faultline;

namespace {

using Counts = std::vector<std::optional<std::int64_t>>;

std::string unicode(const Counts& c) {
  return sparkline(c, Charset::unicode);
}

std::string ascii(const Counts& c) {
  return sparkline(c, Charset::ascii);
}

// Sets an environment variable for one scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("sparkline: eight levels, scaled to the largest count") {
  CHECK(unicode({0, 1, 2, 3, 4, 5, 6, 7}) == "▁▂▃▄▅▆▇█");
  CHECK(ascii({0, 1, 2, 3, 4, 5, 6, 7}) == "_.:-=+*#");
  CHECK(unicode({0, 14, 7}) == "▁█▅");  // 7 of 14: half of seven levels, rounded up
}

TEST_CASE("sparkline: one failure among many still shows, and no data is blank") {
  CHECK(unicode({1, 1000, 0}) == "▂█▁");
  CHECK(unicode({std::nullopt, 0, std::nullopt, 3}) == " ▁ █");
  CHECK(ascii({std::nullopt, 0, 2}) == " _#");
}

TEST_CASE("sparkline: all zero is a flat line, nothing is nothing") {
  CHECK(unicode({0, 0, 0}) == "▁▁▁");
  CHECK(unicode({std::nullopt, std::nullopt}) == "  ");
  CHECK(unicode({}).empty());
  CHECK(unicode({5}) == "█");
}

TEST_CASE("terminal: the character set follows LC_ALL, then LC_CTYPE, then LANG") {
  ScopedEnv all("LC_ALL", nullptr), ctype("LC_CTYPE", nullptr), lang("LANG", nullptr);
  CHECK(terminal_charset() == Charset::ascii);  // no locale at all: the C locale
  {
    ScopedEnv l("LANG", "en_GB.UTF-8");
    CHECK(terminal_charset() == Charset::unicode);
    ScopedEnv c("LC_CTYPE", "C");
    CHECK(terminal_charset() == Charset::ascii);
    ScopedEnv a("LC_ALL", "de_DE.utf8");
    CHECK(terminal_charset() == Charset::unicode);
  }
  ScopedEnv l("LANG", "POSIX");
  CHECK(terminal_charset() == Charset::ascii);
  ScopedEnv empty_all("LC_ALL", "");  // empty counts as unset
  CHECK(terminal_charset() == Charset::ascii);
}

TEST_CASE("terminal: no colours with NO_COLOR set or a dumb terminal") {
  {
    ScopedEnv no_color("NO_COLOR", "1");
    CHECK_FALSE(want_color());
  }
  {
    ScopedEnv no_color("NO_COLOR", nullptr), term("TERM", "dumb");
    CHECK_FALSE(want_color());
  }
  Painter plain(false), color(true);
  CHECK(plain.bad("x") == "x");
  CHECK(color.bad("x") == "\033[1;31mx\033[0m");
  CHECK(color.warn("x") == "\033[33mx\033[0m");
}
