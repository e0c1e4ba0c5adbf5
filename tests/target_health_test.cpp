#include "daemon/target_health.hpp"

#include <doctest/doctest.h>

#include "daemon_fakes.hpp"

using namespace faultline;
using faultline::testing::failed;
using faultline::testing::ok_result;

TEST_CASE("health: down only after failure_threshold consecutive failures") {
  TargetHealth h(3, 1);
  CHECK_FALSE(h.observe(failed(FailureClass::refused), 1).has_value());
  CHECK_FALSE(h.observe(failed(FailureClass::refused), 2).has_value());
  CHECK(h.state() == TargetState::unknown);
  auto change = h.observe(failed(FailureClass::timeout, Phase::response), 3);
  REQUIRE(change);
  CHECK(change->from == TargetState::unknown);
  CHECK(change->to == TargetState::down);
  CHECK(change->cls == FailureClass::timeout);
  CHECK(change->phase == Phase::response);
  CHECK(change->at_ms == 3);
  // Further failures are not new events.
  CHECK_FALSE(h.observe(failed(FailureClass::reset), 4).has_value());
}

TEST_CASE("health: a success in between restarts the failure count") {
  TargetHealth h(2, 1);
  REQUIRE(h.observe(ok_result(), 1));  // unknown -> up
  CHECK_FALSE(h.observe(failed(FailureClass::reset), 2));
  CHECK_FALSE(h.observe(ok_result(), 3));
  CHECK_FALSE(h.observe(failed(FailureClass::reset), 4));
  CHECK(h.state() == TargetState::up);
  auto change = h.observe(failed(FailureClass::reset), 5);
  REQUIRE(change);
  CHECK(change->to == TargetState::down);
}

TEST_CASE("health: up after success_threshold consecutive successes") {
  TargetHealth h(1, 3);
  REQUIRE(h.observe(failed(FailureClass::http), 1));
  CHECK_FALSE(h.observe(ok_result(), 2));
  CHECK_FALSE(h.observe(ok_result(), 3));
  auto change = h.observe(ok_result(), 4);
  REQUIRE(change);
  CHECK(change->from == TargetState::down);
  CHECK(change->to == TargetState::up);
  CHECK(change->cls == FailureClass::ok);
}

TEST_CASE("health: local failures never change state nor counters") {
  TargetHealth h(2, 1);
  REQUIRE(h.observe(ok_result(), 1));
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(h.observe(failed(FailureClass::local), 2 + i));
  CHECK(h.state() == TargetState::up);
  CHECK_FALSE(h.observe(failed(FailureClass::refused), 20));
  CHECK_FALSE(h.observe(failed(FailureClass::local), 21));
  // The local result did not reset the count: this is the second real failure.
  REQUIRE(h.observe(failed(FailureClass::refused), 22));
  CHECK(h.state() == TargetState::down);
}
