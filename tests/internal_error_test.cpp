// The guard at the top of every command (main wraps run_cli in it): an exception that escapes
// a command is logged as "internal error: ..." and becomes exit status 70, not std::terminate.
#include "daemon/internal_error.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <new>
#include <sstream>
#include <stdexcept>

using namespace faultline;

namespace {

struct LogCapture {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  LogCapture() {
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous); }
};

}  // namespace

TEST_CASE("internal error: a command's status passes through untouched") {
  LogCapture log;
  CHECK(guard_internal_errors([] { return 0; }) == 0);
  CHECK(guard_internal_errors([] { return 2; }) == 2);
  CHECK(log.text.str().empty());
}

TEST_CASE("internal error: any exception is logged once and gives status 70") {
  CHECK(kInternalErrorStatus == 70);
  {
    LogCapture log;
    CHECK(guard_internal_errors([]() -> int { throw std::bad_alloc(); }) == 70);
    CHECK(log.text.str() == "critical internal error: std::bad_alloc\n");
  }
  {
    LogCapture log;
    CHECK(guard_internal_errors([]() -> int {
            throw std::filesystem::filesystem_error(
                "cannot make absolute path", "x",
                std::make_error_code(std::errc::no_such_file_or_directory));
          }) == 70);
    CHECK(log.text.str().starts_with("critical internal error: filesystem error: cannot make"));
  }
  {
    LogCapture log;
    CHECK(guard_internal_errors([]() -> int { throw 42; }) == 70);
    CHECK(log.text.str() == "critical internal error: an exception of unknown type\n");
  }
}
