// skip_test: how a test case that cannot run here (no root, no promtool, a sanitizer build)
// says so, so that ctest counts it as skipped instead of passed.
#pragma once

#include <doctest/doctest.h>

#include <source_location>
#include <string>

namespace faultline::testing {

// Prints "skipped: REASON" as a doctest message at the caller's line; the caller returns right
// after. tests/CMakeLists.txt gives every test case a SKIP_REGULAR_EXPRESSION on that message
// followed by doctest's "Status: SUCCESS!", so a case that skipped and otherwise passed shows as
// "Skipped" in ctest's summary, and one that failed before skipping still fails.
inline void skip_test(const std::string& reason,
                      std::source_location where = std::source_location::current()) {
  DOCTEST_ADD_MESSAGE_AT(where.file_name(), static_cast<int>(where.line()), "skipped: " << reason);
}

}  // namespace faultline::testing
