// How `defaults:` and a target's own settings make the target's configuration.
#pragma once

#include "daemon/config.hpp"
#include "daemon/config_settings.hpp"

namespace faultline {

// Sets every setting of `target` (whose probe.url is already set) from `own`, else from
// `defaults`, else from the documented default. Labels and headers merge key by key, the
// target's own winning (header names without regard to case); the rest is taken whole.
// reuse_connection only applies to http(s) targets.
void merge_settings(const Settings& defaults, const Settings& own, TargetConfig& target);

}  // namespace faultline
