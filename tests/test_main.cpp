#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace {

// How many test cases the run selected. ctest runs each case by its name (--test-case=NAME);
// a name that discovery mangled selects nothing, and doctest would report that as success.
unsigned g_selected = 0;

class SelectionCounter : public doctest::IReporter {
 public:
  explicit SelectionCounter(const doctest::ContextOptions&) {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_selected = stats.numTestCasesPassingFilters;
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("selection_counter", 1, SelectionCounter);

}  // namespace

int main(int argc, char** argv) {
  // Log lines from the code under test only help when a test fails; FAULTLINE_TEST_LOG=debug
  // brings them back.
  const char* level = std::getenv("FAULTLINE_TEST_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::off);
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit()) return status;  // --help, --list-test-cases and the like
  if (g_selected == 0) {
    std::fprintf(stderr, "no test case matches the filters: nothing ran\n");
    return 1;
  }
  return status;
}
