#include "tests/faultline_cli.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

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

Run run_shell(const std::string& command) {
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE_MESSAGE(pipe != nullptr, "popen: " << std::strerror(errno));
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    run.output.append(buf, n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

SeparateRun run_faultline_shell(const std::string& args, const TempDir& dir) {
  const std::string err_file = dir.file("stderr.txt");
  const Run shell =
      run_shell(std::string("'") + FAULTLINE_BINARY + "' " + args + " 2>'" + err_file + "'");
  SeparateRun run{shell.status, shell.output, {}};
  std::ifstream in(err_file);
  std::ostringstream err;
  err << in.rdbuf();
  run.err = err.str();
  return run;
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
