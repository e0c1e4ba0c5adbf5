#include "tests/faultline_cli.hpp"

#include <doctest/doctest.h>

#include <chrono>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace faultline::testing {

Run run_faultline(const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> argv = {FAULTLINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv, {}, dir.file("out"));
  auto status = p.wait(std::chrono::seconds(20));
  REQUIRE(status.has_value());
  return {*status, p.output()};
}

std::pair<int, nlohmann::json> check_json(std::vector<std::string> args) {
  args.insert(args.begin(), {"check", "--json"});
  Run run = run_faultline(args);
  INFO("output: " << run.output);
  nlohmann::json out = nlohmann::json::parse(run.output, nullptr, false);
  REQUIRE_FALSE(out.is_discarded());
  return {run.status, out};
}

}  // namespace faultline::testing
