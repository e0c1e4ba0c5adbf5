// Process-wide logging through spdlog, shaped for a terminal or for journald.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string_view>

namespace faultline {

// "info" -> spdlog::level::info; accepts trace, debug, info, warn, error, critical, off.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM).
bool stderr_is_journal();

// Sends the default logger to stderr. With `journal`, lines carry no timestamp (journald adds
// its own) and start with their syslog priority ("<4>"), so journald records the level;
// otherwise lines carry a local timestamp and the level name.
void setup_logging(spdlog::level::level_enum level, bool journal);

}  // namespace faultline
