#include "daemon/config_loader.hpp"

#include <cstdlib>
#include <filesystem>

#include "daemon/config_document.hpp"
#include "daemon/config_file.hpp"
#include "daemon/config_reader.hpp"
#include "daemon/config_sections.hpp"
#include "daemon/config_settings.hpp"
#include "daemon/config_target_slices.hpp"
#include "daemon/config_targets.hpp"
#include "daemon/config_validators.hpp"

namespace faultline {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopKeys[] = {"defaults", "storage", "metrics", "log",
                                         "engine",   "cluster", "targets"};

// What the top level holds, section by section.
struct TopLevel {
  Settings defaults;
  std::optional<YAML::Node> targets;
  StoragePathSource storage_path;
};

TopLevel read_sections(ConfigReader& r, const YAML::Node& root, Config& config) {
  TopLevel top;
  r.each_key(root, "the top level", kTopKeys,
             [&](const std::string& k, const YAML::Node& v, const YAML::Mark&) {
               if (k == "defaults") {
                 top.defaults = read_defaults(r, v);
               } else if (k == "storage") {
                 top.storage_path = read_storage(r, v, config.storage);
               } else if (k == "metrics") {
                 read_metrics(r, v, config.metrics);
               } else if (k == "log") {
                 read_log(r, v, config.log);
               } else if (k == "engine") {
                 read_engine(r, v, config.engine);
               } else if (k == "cluster") {
                 read_cluster(r, v, config.cluster);
               } else if (k == "targets") {
                 top.targets = v;
               }
             });
  return top;
}

// On disk, without changing anything: faultline run must be able to keep its history there.
void check_storage_path(ConfigReader& r, const StoragePathSource& source, const std::string& path) {
  if (!source.valid) return;
  auto problem = storage_path_problem(path);
  if (!problem) return;
  r.error(source.mark, source.written ? "'storage.path': " + *problem
                                      : "storage.path is not set, so the history goes to " +
                                            printable(path) + ", but " + *problem);
}

// Reads the list's items one slice at a time (config_target_slices.hpp). False when a slice
// is not one mapping that parses on its own: the whole document must be read instead.
bool read_target_slices(ConfigReader& r, std::string_view yaml, const TargetSlices& slices,
                        const Settings& defaults, TargetList& out, const ReusableTargets* reuse) {
  TargetListReader reader(r, defaults, out, reuse);
  for (const TargetSlice& slice : slices.items) {
    YAML::Node item;
    try {
      item = YAML::Load(slice_text(yaml, slice));
    } catch (const YAML::Exception&) {
      return false;
    }
    if (!item.IsMap()) return false;
    r.set_line_offset(slice.line);
    reader.read(item);
    r.set_line_offset(0);
  }
  return true;
}

// The config in `yaml`, its targets read from `slices` when given. Nullopt when the slices
// cannot stand for the document (a YAML error in the rest of the file, or a slice that does
// not parse alone): the caller reads the whole document, whose errors are then the file's own.
std::optional<ConfigLoad> parse_document(std::string_view yaml, const TargetSlices* slices,
                                         const std::string& path, StorageUse storage,
                                         const ReusableTargets* reuse) {
  const fs::path absolute = fs::absolute(path).lexically_normal();
  ConfigReader r(path, absolute.parent_path());
  ConfigLoad out;
  Config config;
  auto root = read_document(slices ? std::string_view(slices->skeleton) : yaml, r);
  if (!root && slices) return std::nullopt;
  if (root) {
    config.path = absolute.string();
    config.storage.path = default_storage_path();
    const TopLevel top = read_sections(r, *root, config);
    if (!top.targets) {
      r.error(root->Mark(), "missing 'targets:' list (use 'targets: []' for none)");
    } else if (slices) {
      if (!read_target_slices(r, yaml, *slices, top.defaults, config.targets, reuse)) {
        return std::nullopt;
      }
    } else {
      read_targets(r, *top.targets, top.defaults, config.targets, reuse);
    }
    if (storage == StorageUse::write) check_storage_path(r, top.storage_path, config.storage.path);
  }
  out.errors = r.take_errors();
  out.warnings = r.take_warnings();
  if (out.errors.empty()) out.config = std::move(config);
  return out;
}

// A config whose list is in the plain block form is read a target at a time, so that the
// largest YAML tree held is the rest of the file or one target's; any other is read whole.
ConfigLoad parse(std::string_view yaml, const std::string& path, StorageUse storage,
                 TargetReading reading, const ReusableTargets* reuse) {
  if (const auto slices =
          reading == TargetReading::sliced_when_plain ? slice_targets(yaml) : std::nullopt) {
    if (auto load = parse_document(yaml, &*slices, path, storage, reuse)) return std::move(*load);
  }
  return *parse_document(yaml, nullptr, path, storage, reuse);
}

}  // namespace

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string default_storage_path() {
  const char* state = std::getenv("STATE_DIRECTORY");
  std::string dir = state && *state ? std::string(state) : std::string("/var/lib/faultline");
  // systemd may pass several colon-separated directories; the first is ours.
  dir = dir.substr(0, dir.find(':'));
  return (fs::path(dir) / "faultline.db").string();
}

ConfigLoad parse_config(std::string_view yaml, const std::string& path, TargetReading reading) {
  return parse(yaml, path, StorageUse::none, reading, nullptr);
}

ConfigLoad load_config(const std::string& path, StorageUse storage, const ReusableTargets* reuse) {
  auto text = read_config_file(path);
  if (!text) {
    ConfigLoad out;
    out.errors.push_back({path, 1, 1, text.error()});
    return out;
  }
  return parse(*text, path, storage, TargetReading::sliced_when_plain, reuse);
}

}  // namespace faultline
