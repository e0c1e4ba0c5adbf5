// `faultline report`: what the history says about a period, for a person or as JSON.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace faultline {

struct ReportOptions {
  // --db files; when none, the storage.path of each `config`, else the default path. Several
  // read as one history (report_sources.hpp).
  std::vector<std::string> db;
  std::vector<std::string> config;  // -c/--config, repeatable
  std::string since = "24h";
  std::string target;  // empty: every target
  bool json = false;
};

// Reads the history read-only and prints the report for the `since` before `now_ms` (unix ms)
// to `out` (text without colours, with block characters; or JSON); errors go to `err`. Exit status:
// 0 with a report; 1 when the history cannot be read (no file, not a faultline database, a config
// with errors, no such target, one of several files unreadable); 2 for bad options (a malformed or
// too short --since, or one reaching back before 1970).
int run_report(const ReportOptions& options, std::int64_t now_ms, std::ostream& out,
               std::ostream& err);

// run_report() for the command line: now, standard output and error, and the terminal's
// colours and character set.
int run_report(const ReportOptions& options);

}  // namespace faultline
