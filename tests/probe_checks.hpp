// One probe run by a test in-process and the checks on its verdict, for the tests of the probe
// engine and its HTTP exchange and redirects.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "checks/probe_once.hpp"
#include "checks/target_url.hpp"

namespace faultline::testing {

// A spec for `url` (a test failure when it does not parse) with `timeout` for all layers.
inline std::shared_ptr<ProbeSpec> probe_spec_for(const std::string& url,
                                                 std::chrono::milliseconds timeout) {
  auto spec = std::make_shared<ProbeSpec>();
  auto parsed = parse_target_url(url);
  REQUIRE_MESSAGE(parsed, url << ": " << (parsed ? "" : parsed.error()));
  spec->url = *parsed;
  spec->timeout = timeout;
  return spec;
}

// probe_once() with its message attached to the checks that follow.
inline ProbeResult probe(std::shared_ptr<ProbeSpec> spec) {
  ProbeResult r = probe_once(std::move(spec));
  INFO("message: " << r.message);
  return r;
}

// The verdict is class/phase/detail ("" for none).
inline void check_class(const ProbeResult& r, FailureClass cls, Phase phase,
                        const std::string& detail = "") {
  INFO("got " << to_string(r.cls) << "/" << to_string(r.phase) << "/" << detail_text(r) << ": "
              << r.message);
  CHECK(r.cls == cls);
  CHECK(r.phase == phase);
  CHECK(detail_text(r) == detail);
}

}  // namespace faultline::testing
