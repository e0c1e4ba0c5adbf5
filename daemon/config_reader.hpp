// Reads values out of a config's YAML tree, collecting every problem as a positioned diagnostic
// instead of stopping at the first. The section readers (config_sections.hpp,
// config_targets.hpp) are built on it; the rules for the values are in config_validators.hpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks/printable.hpp"
#include "daemon/diagnostic.hpp"
#include "daemon/did_you_mean.hpp"

namespace faultline {

using Keys = std::span<const std::string_view>;

// How a node reads in a message: "a mapping", "a list", "nothing" or the quoted value.
std::string node_kind(const YAML::Node& n);

class ConfigReader {
 public:
  // `file` names the config in messages; relative paths inside it resolve against `base`.
  ConfigReader(std::string file, std::filesystem::path base);

  void error(const YAML::Mark& m, std::string message);
  void warn(const YAML::Mark& m, std::string message);
  // Errors sorted by position (stable), and the warnings in the order found.
  std::vector<Diagnostic> take_errors();
  std::vector<Diagnostic> take_warnings();

  // True for a mapping; else an error "WHAT must be a mapping of keys to values, not ...".
  bool expect_map(const YAML::Node& n, std::string_view what);

  // Calls fn(key, value, key_mark) for each key of `map` that is in `allowed`; unknown keys
  // (with a suggestion), repeated keys and keys that are not plain words are errors.
  template <class Fn>
  void each_key(const YAML::Node& map, std::string_view where, Keys allowed, Fn fn);

  // The value of a scalar node; else an error naming `key`.
  std::optional<std::string> scalar(const YAML::Node& n, std::string_view key);
  // As scalar(), and not empty.
  std::optional<std::string> non_empty(const YAML::Node& n, std::string_view key);
  // A duration of at least `minimum` (config_validators.hpp).
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& n, std::string_view key,
                                                    std::chrono::milliseconds minimum);
  // true or false, in any case.
  std::optional<bool> boolean(const YAML::Node& n, std::string_view key);
  // A whole number from lo to hi.
  std::optional<int> integer(const YAML::Node& n, std::string_view key, int lo, int hi);
  // A regular, readable, non-empty file; returns its path resolved against the config's folder.
  std::optional<std::string> readable_file(const YAML::Node& n, std::string_view key);

  // `p` resolved against the config file's folder, normalised.
  std::string resolve_path(const std::string& p) const;

  // While set, the nodes read come from a slice of the file that begins at 0-based line
  // `lines` (config_target_slices.hpp): their marks are shifted down that many lines.
  void set_line_offset(int lines) { line_offset_ = lines; }
  // `m` placed in the file: a mark that keeps its position once the offset changes, for marks
  // kept beyond the slice they come from (key marks, the first use of a name).
  YAML::Mark placed(const YAML::Mark& m) const;

 private:
  // The `pos` of a placed mark (yaml-cpp's own marks count bytes from 0; -1 is null).
  static constexpr int kPlacedPos = -2;

  Diagnostic make(const YAML::Mark& m, std::string message) const;

  std::string file_;
  std::filesystem::path base_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
  int line_offset_ = 0;
};

template <class Fn>
void ConfigReader::each_key(const YAML::Node& map, std::string_view where, Keys allowed, Fn fn) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // A copy: yaml-cpp iterators hand out a temporary pair.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      error(key.Mark(), "keys in " + std::string(where) + " must be plain words");
      continue;
    }
    const std::string& k = key.Scalar();
    if (!seen.insert(k).second) {
      error(key.Mark(), "duplicate key " + quote(k) + " in " + std::string(where));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      error(key.Mark(),
            "unknown key " + quote(k) + " in " + std::string(where) + did_you_mean(k, allowed));
      continue;
    }
    fn(k, it->second, placed(key.Mark()));
  }
}

}  // namespace faultline
