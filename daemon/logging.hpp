// Process-wide logging through spdlog, shaped for a terminal or for journald, and the one list
// of level names that `--log-level` and `log.level` accept.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

// The level names, from the most verbose to none at all. "warning" is accepted too, as another
// spelling of "warn" (the word journalctl and syslog use), but not listed.
inline constexpr std::string_view kLogLevelNames[] = {"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};

// "info" -> spdlog::level::info; nullopt for a name that is neither listed nor "warning".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// The listed name for an accepted one ("warning" -> "warn"), or nullopt.
std::optional<std::string_view> canonical_log_level(std::string_view name);

// Why `name` is not a level, to follow the setting's name: "must be one of trace, debug, ...,
// off; not 'inf' (did you mean 'info'?)". Nullopt when it is one.
std::optional<std::string> log_level_problem(std::string_view name);

// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM).
bool stderr_is_journal();

// Sends the default logger to stderr. With `journal`, lines carry no timestamp (journald adds
// its own) and start with their syslog priority ("<4>"), so journald records the level;
// otherwise lines carry a local timestamp and the level name.
void setup_logging(spdlog::level::level_enum level, bool journal);

}  // namespace faultline
