#include "checks/status_set.hpp"

#include <doctest/doctest.h>

using faultline::parse_status_list;
using faultline::StatusSet;

TEST_CASE("status sets: default accepts 2xx and 3xx only") {
  StatusSet s;
  CHECK(s.contains(200));
  CHECK(s.contains(301));
  CHECK(s.contains(399));
  CHECK_FALSE(s.contains(199));
  CHECK_FALSE(s.contains(404));
  CHECK(s.to_string() == "200-399");
}

TEST_CASE("status sets: lists and ranges from the command line") {
  auto s = parse_status_list("200,204, 300-302");
  REQUIRE(s);
  CHECK(s->contains(204));
  CHECK(s->contains(301));
  CHECK_FALSE(s->contains(201));
  CHECK(s->to_string() == "200,204,300-302");
  CHECK(parse_status_list("200-").error() == "'' is not a status code");
  CHECK(parse_status_list("299-200").error() == "status range '299-200' is descending");
  CHECK(parse_status_list("600").error() == "status code 600 is outside 100-599");
  CHECK(parse_status_list("ok").error() == "'ok' is not a status code");
}
