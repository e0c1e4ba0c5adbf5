#include "daemon/config_reader.hpp"

#include <cctype>
#include <tuple>

#include "daemon/config_validators.hpp"

namespace faultline {

std::string node_kind(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "nothing";
  return quote(n.Scalar());
}

ConfigReader::ConfigReader(std::string file, std::filesystem::path base)
    : file_(std::move(file)), base_(std::move(base)) {}

void ConfigReader::error(const YAML::Mark& m, std::string message) {
  errors_.push_back(make(m, std::move(message)));
}

void ConfigReader::warn(const YAML::Mark& m, std::string message) {
  warnings_.push_back(make(m, std::move(message)));
}

std::vector<Diagnostic> ConfigReader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(errors_);
}

std::vector<Diagnostic> ConfigReader::take_warnings() {
  return std::move(warnings_);
}

bool ConfigReader::expect_map(const YAML::Node& n, std::string_view what) {
  if (n.IsMap()) return true;
  error(n.Mark(), std::string(what) + " must be a mapping of keys to values, not " + node_kind(n));
  return false;
}

std::optional<std::string> ConfigReader::scalar(const YAML::Node& n, std::string_view key) {
  if (n.IsScalar()) return n.Scalar();
  error(n.Mark(), quote(key) + " must be a single value, not " + node_kind(n));
  return std::nullopt;
}

std::optional<std::string> ConfigReader::non_empty(const YAML::Node& n, std::string_view key) {
  auto s = scalar(n, key);
  if (s && s->empty()) {
    error(n.Mark(), quote(key) + " must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::chrono::milliseconds> ConfigReader::duration(const YAML::Node& n,
                                                                std::string_view key,
                                                                std::chrono::milliseconds minimum) {
  auto s = scalar(n, key);
  if (!s) return std::nullopt;
  auto d = duration_at_least(*s, minimum, quote(key));
  if (!d) {
    error(n.Mark(), d.error());
    return std::nullopt;
  }
  return *d;
}

std::optional<bool> ConfigReader::boolean(const YAML::Node& n, std::string_view key) {
  auto s = scalar(n, key);
  if (!s) return std::nullopt;
  std::string v = *s;
  for (char& c : v)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "true") return true;
  if (v == "false") return false;
  error(n.Mark(), quote(key) + " must be true or false, not " + quote(*s));
  return std::nullopt;
}

std::optional<int> ConfigReader::integer(const YAML::Node& n, std::string_view key, int lo,
                                         int hi) {
  auto s = scalar(n, key);
  if (!s) return std::nullopt;
  long value = 0;
  const bool digits =
      !s->empty() && s->size() <= 9 &&
      std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) value = std::stol(*s);
  if (!digits || value < lo || value > hi) {
    error(n.Mark(), quote(key) + " must be a whole number from " + std::to_string(lo) + " to " +
                        std::to_string(hi) + ", not " + quote(*s));
    return std::nullopt;
  }
  return static_cast<int>(value);
}

std::optional<std::string> ConfigReader::readable_file(const YAML::Node& n, std::string_view key) {
  auto s = non_empty(n, key);
  if (!s) return std::nullopt;
  auto file = faultline::readable_file(resolve_path(*s));
  if (!file) {
    error(n.Mark(), quote(key) + ": " + file.error());
    return std::nullopt;
  }
  return *file;
}

std::string ConfigReader::resolve_path(const std::string& p) const {
  std::filesystem::path path(p);
  if (path.is_relative()) path = base_ / path;
  return path.lexically_normal().string();
}

YAML::Mark ConfigReader::placed(const YAML::Mark& m) const {
  if (m.is_null() || m.pos == kPlacedPos) return m;
  YAML::Mark out = m;
  out.pos = kPlacedPos;
  out.line += line_offset_;
  return out;
}

Diagnostic ConfigReader::make(const YAML::Mark& m, std::string message) const {
  Diagnostic d;
  d.file = file_;
  if (!m.is_null()) {
    const YAML::Mark at = placed(m);
    d.line = at.line + 1;
    d.column = at.column + 1;
  }
  d.message = std::move(message);
  return d;
}

}  // namespace faultline
