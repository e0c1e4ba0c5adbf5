// parse_config over arbitrary text: it never throws, crashes or hangs, and its answer keeps the
// loader's contract: a config exactly when there are no errors, every diagnostic positioned
// (1-based) in the named file with a message, and a loaded config valid in the ways the
// scheduler relies on (unique valid names, timeout < interval).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <string_view>

#include "daemon/config_loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// A folder that does not exist, so relative ca_file and password_file paths never resolve.
constexpr const char* kPath = "/nonexistent-faultline-fuzz/faultline.yaml";

void check_diagnostics(const std::vector<faultline::Diagnostic>& list, const char* kind) {
  for (const faultline::Diagnostic& d : list) {
    FUZZ_CHECK(d.file == kPath, "%s names file '%s'", kind, d.file.c_str());
    FUZZ_CHECK(d.line >= 1 && d.column >= 1, "%s at %d:%d: %s", kind, d.line, d.column,
               d.message.c_str());
    FUZZ_CHECK(!d.message.empty(), "%s without a message at %d:%d", kind, d.line, d.column);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::ConfigLoad load;
  try {
    load = faultline::parse_config(text, kPath);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "parse_config threw: %s", e.what());
  } catch (...) {
    FUZZ_CHECK(false, "parse_config threw something that is not a std::exception");
  }
  FUZZ_CHECK(load.config.has_value() == load.errors.empty(), "config %s with %zu errors",
             load.config ? "set" : "missing", load.errors.size());
  check_diagnostics(load.errors, "error");
  check_diagnostics(load.warnings, "warning");
  if (!load.config) return 0;

  std::set<std::string> names;
  for (const faultline::TargetConfig& t : load.config->targets) {
    FUZZ_CHECK(!t.name.empty() && names.insert(t.name).second, "bad or repeated name '%s'",
               t.name.c_str());
    FUZZ_CHECK(t.probe.timeout.count() > 0 && t.probe.timeout < t.interval,
               "target '%s': timeout %lld ms, interval %lld ms", t.name.c_str(),
               static_cast<long long>(t.probe.timeout.count()),
               static_cast<long long>(t.interval.count()));
    FUZZ_CHECK(t.interval.count() >= 100, "target '%s': interval %lld ms", t.name.c_str(),
               static_cast<long long>(t.interval.count()));
    FUZZ_CHECK(t.failure_threshold >= 1 && t.success_threshold >= 1, "target '%s': thresholds",
               t.name.c_str());
    FUZZ_CHECK(!t.probe.url.host.empty() && t.probe.url.port != 0, "target '%s': url '%s'",
               t.name.c_str(), t.probe.url.text.c_str());
    FUZZ_CHECK(!t.probe.expect_status.ranges().empty(), "target '%s': no expected status",
               t.name.c_str());
    for (const faultline::Header& h : t.probe.headers) {
      FUZZ_CHECK(!h.name.empty() && h.value.find_first_of("\r\n") == std::string::npos,
                 "target '%s': header '%s' could split the request", t.name.c_str(),
                 h.name.c_str());
    }
  }
  return 0;
}
