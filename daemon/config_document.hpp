// The YAML layer of a config file: from text to the one top-level mapping, or positioned errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>

#include "daemon/config_reader.hpp"

namespace faultline {

// The top-level mapping of `yaml`. Nullopt after reporting to `reader` a YAML syntax error,
// nesting deeper than the YAML parser allows, an empty file, a top level that is not a
// mapping, or a second document (faultline reads one per file, and ignoring the rest would
// hide targets).
std::optional<YAML::Node> read_document(std::string_view yaml, ConfigReader& reader);

}  // namespace faultline
