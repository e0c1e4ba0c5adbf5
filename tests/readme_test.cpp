// The README's quick start is what new users and CI run; these checks keep it honest.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The command lines of the first fenced block under the "Quick start" heading.
std::vector<std::string> quick_start_commands() {
  std::istringstream readme(slurp(FAULTLINE_SOURCE_DIR "/README.md"));
  std::vector<std::string> commands;
  std::string line;
  bool in_section = false, in_block = false;
  while (std::getline(readme, line)) {
    if (!in_section) {
      in_section = line.starts_with("## Quick start");
      continue;
    }
    if (line.starts_with("```")) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    if (in_block && !line.empty() && !line.starts_with("#")) commands.push_back(line);
  }
  return commands;
}

}  // namespace

TEST_CASE("readme: the quick start is two commands and CI runs the second verbatim") {
  auto commands = quick_start_commands();
  REQUIRE(commands.size() == 2);
  CHECK(commands[0].find("faultline run -c etc/faultline.yaml") != std::string::npos);
  CHECK(commands[0].find("apt-get update") != std::string::npos);
  const std::string ci = slurp(FAULTLINE_SOURCE_DIR "/.ci/run");
  bool found = false;
  std::istringstream lines(ci);
  std::string line;
  while (std::getline(lines, line))
    found = found || line == commands[1];
  CHECK_MESSAGE(found, ".ci/run must run the README's test command verbatim: " << commands[1]);
}

TEST_CASE("readme: every package the run command installs is installed for the tests too") {
  auto commands = quick_start_commands();
  REQUIRE(commands.size() == 2);
  const std::string ci_script = slurp(FAULTLINE_SOURCE_DIR "/tests/ci.sh");
  std::istringstream words(commands[0]);
  std::string word;
  bool in_install = false;
  while (words >> word) {
    if (word == "install") {
      in_install = true;
      continue;
    }
    if (!in_install) continue;
    if (word == ">/dev/null" || word == "&&") break;
    if (word.starts_with("-")) continue;
    CHECK_MESSAGE(ci_script.find(" " + word) != std::string::npos,
                  "tests/ci.sh does not install " << word);
  }
}
