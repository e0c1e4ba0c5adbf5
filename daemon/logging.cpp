#include "daemon/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <memory>

#include "checks/printable.hpp"
#include "daemon/did_you_mean.hpp"

namespace faultline {
namespace {

// Renders "%*" as the sd-daemon(3) priority prefix digit for the record's level.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char digit = '6';
    switch (msg.level) {
      case spdlog::level::critical:
        digit = '2';
        break;
      case spdlog::level::err:
        digit = '3';
        break;
      case spdlog::level::warn:
        digit = '4';
        break;
      case spdlog::level::info:
        digit = '6';
        break;
      default:
        digit = '7';
        break;
    }
    dest.push_back(digit);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

std::optional<std::string_view> canonical_log_level(std::string_view name) {
  if (name == "warning") return "warn";
  for (std::string_view level : kLogLevelNames)
    if (name == level) return level;
  return std::nullopt;
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  // The listed names are in spdlog's order, trace (0) to off (6).
  static_assert(std::size(kLogLevelNames) == spdlog::level::n_levels);
  const auto canonical = canonical_log_level(name);
  if (!canonical) return std::nullopt;
  const auto* found = std::find(std::begin(kLogLevelNames), std::end(kLogLevelNames), *canonical);
  return static_cast<spdlog::level::level_enum>(found - std::begin(kLogLevelNames));
}

std::optional<std::string> log_level_problem(std::string_view name) {
  if (canonical_log_level(name)) return std::nullopt;
  std::string list;
  for (std::string_view level : kLogLevelNames)
    list += (list.empty() ? "" : ", ") + std::string(level);
  return "must be one of " + list + "; not " + quote(name) + did_you_mean(name, kLogLevelNames);
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  return stream != nullptr && *stream != '\0';
}

void setup_logging(spdlog::level::level_enum level, bool journal) {
  auto logger = std::make_shared<spdlog::logger>("faultline",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (journal) {
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("<%*>%v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  // Warnings and errors reach the journal at once; chatter may wait for the next flush.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace faultline
