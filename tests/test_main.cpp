#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

int main(int argc, char** argv) {
  // Log lines from the code under test only help when a test fails; FAULTLINE_TEST_LOG=debug
  // brings them back.
  const char* level = std::getenv("FAULTLINE_TEST_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::off);
  doctest::Context context(argc, argv);
  return context.run();
}
