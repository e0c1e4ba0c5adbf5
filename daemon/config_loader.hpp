// Reads and validates a faultline YAML config, collecting every problem at once with its
// position, the way a compiler reports errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/diagnostic.hpp"

namespace faultline {

struct ConfigLoad {
  std::optional<Config> config;  // set exactly when `errors` is empty
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;  // problems that do not stop the config from loading
};

// Whether load_config checks that faultline could keep its history at storage.path.
enum class StorageUse {
  write,  // `run`, its reloads and `config check`: the daemon writes the history there
  none,   // `report`: the history is only read, and report says itself what it cannot read
};

// Reads `path` (a regular file of at most kMaxConfigFileBytes, config_file.hpp) and validates
// it. Relative paths inside (ca_file, storage.path, password files) resolve against the folder
// holding `path`. Files the config names must be regular, readable and not empty; with
// StorageUse::write, storage.path must be usable (config_validators.hpp). Reads the disk, so
// never call it on the event loop. Never throws for bad input: every problem, including an
// unreadable file and YAML syntax errors, is an entry in `errors`. A target read with the same
// settings as the one of its name in `reuse` (a reload's running targets) is that one, shared
// (`reuse`'s settings must not change while this runs; they never do once read).
ConfigLoad load_config(const std::string& path, StorageUse storage = StorageUse::write,
                       const ReusableTargets* reuse = nullptr);

// How the `targets:` list is read. The two give the same result for every text (the tests
// hold them to it); the slices keep the largest YAML tree to one target's.
enum class TargetReading {
  sliced_when_plain,  // a target at a time when the list is in the plain block form
  whole_document,     // one YAML tree of the whole file
};

// As load_config with StorageUse::none, but from text already in memory; `path` names it in
// messages and anchors relative paths. Still checks the files the config names.
ConfigLoad parse_config(std::string_view yaml, const std::string& path,
                        TargetReading reading = TargetReading::sliced_when_plain);

}  // namespace faultline
