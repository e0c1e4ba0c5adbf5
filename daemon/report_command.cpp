#include "daemon/report_command.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "checks/utc_time.hpp"
#include "daemon/config.hpp"
#include "daemon/duration.hpp"
#include "daemon/report_output.hpp"
#include "daemon/report_sources.hpp"
#include "daemon/terminal.hpp"
#include "storage/history_reader.hpp"

namespace faultline {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;
// Slices of the window in the sparkline; fewer for windows under 24 minutes, since the history
// counts probes per minute.
constexpr std::int64_t kBuckets = 24;

int run(const ReportOptions& o, std::int64_t now_ms, std::ostream& out, std::ostream& err,
        bool color, Charset charset) {
  auto since = parse_duration(o.since);
  if (!since) {
    err << "faultline report: --since: " << since.error() << "\n";
    return 2;
  }
  if (since->count() < kMinuteMs) {
    err << "faultline report: --since must be at least 1m: the history counts probes per "
           "minute\n";
    return 2;
  }
  // The history holds unix times: nothing in it is older than 1970, and a window reaching
  // further back would print a year before it (or below zero).
  if (since->count() > now_ms) {
    err << "faultline report: --since " << o.since
        << " reaches back before 1970, older than any history; the longest period now is "
        << now_ms / kDayMs << "d\n";
    return 2;
  }

  auto sources = report_sources(o.db, o.config, default_storage_path(), err);
  if (!sources) return 1;
  auto reader = HistoryReader::open(*sources);
  if (!reader) {
    err << "faultline report: " << reader.error() << "\n";
    return 1;
  }
  HistoryWindow window;
  window.to_ms = now_ms;
  window.from_ms = now_ms - since->count();
  window.buckets =
      static_cast<int>(std::clamp<std::int64_t>(since->count() / kMinuteMs, 1, kBuckets));
  if (!o.target.empty()) window.target = o.target;
  auto report = reader->read(window);
  // Over several files, an error names the file it is about itself.
  const std::string path = sources->size() == 1 ? sources->front().path : "";
  if (!report) {
    err << "faultline report: " << (path.empty() ? "" : path + ": ") << report.error() << "\n";
    return 1;
  }
  const ReportSource source{path, o.since};
  if (o.json) {
    out << report_json(*report, source).dump(2) << "\n";
  } else {
    out << render_report_text(*report, source, color, charset);
  }
  return 0;
}

}  // namespace

int run_report(const ReportOptions& options, std::int64_t now_ms, std::ostream& out,
               std::ostream& err) {
  return run(options, now_ms, out, err, false, Charset::unicode);
}

int run_report(const ReportOptions& options) {
  const std::int64_t now = unix_now_ms();
  return run(options, now, std::cout, std::cerr, want_color(), terminal_charset());
}

}  // namespace faultline
