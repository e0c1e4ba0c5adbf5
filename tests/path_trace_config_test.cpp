// engine.trace_interval and engine.max_concurrent_traces (issue 20): defaults, values, and
// errors with their position.
#include <doctest/doctest.h>

#include "daemon/config_loader.hpp"
#include "tests/config_errors.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

Config valid(const std::string& yaml) {
  ConfigLoad load = parse_config(yaml, "t.yaml");
  for (const Diagnostic& d : load.errors)
    FAIL_CHECK(d.to_string());
  REQUIRE(load.config.has_value());
  return *load.config;
}

}  // namespace

TEST_CASE("path trace config: 10m and 4 by default, engine sets both") {
  const Config plain = valid("targets: []\n");
  CHECK(plain.engine.trace_interval == std::chrono::minutes(10));
  CHECK(plain.engine.max_concurrent_traces == 4);
  const Config set =
      valid("engine: {trace_interval: 90s, max_concurrent_traces: 0}\ntargets: []\n");
  CHECK(set.engine.trace_interval == std::chrono::seconds(90));
  CHECK(set.engine.max_concurrent_traces == 0);
}

TEST_CASE("path trace config: errors say where") {
  CHECK(error_of("engine: {trace_interval: 10ms}\ntargets: []\n")
            .starts_with("t.yaml:1:26: 'engine.trace_interval'"));
  CHECK(error_of("engine:\n  max_concurrent_traces: 65\ntargets: []\n") ==
        "t.yaml:2:26: 'engine.max_concurrent_traces' must be a whole number from 0 to 64, not "
        "'65'");
  CHECK(error_of("engine: {trace_intervall: 5m}\ntargets: []\n").find("trace_interval") !=
        std::string::npos);
}

TEST_CASE(
    "path trace config: a target label named verdict is refused, faultline_path_verdict has it") {
  const std::string error =
      error_of("targets:\n  - name: api\n    url: tcp://127.0.0.1:1\n    labels: {verdict: x}\n");
  CHECK(error.starts_with("t.yaml:4:"));
  CHECK(error.find("verdict") != std::string::npos);
}
