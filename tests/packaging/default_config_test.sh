#!/usr/bin/env bash
# The config the package installs as /etc/faultline/faultline.yaml: valid as shipped, with no
# targets and no storage.path (so the history follows StateDirectory= to /var/lib/faultline),
# and its commented target examples valid once uncommented.
# Usage: default_config_test.sh FAULTLINE_BINARY CONFIG
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
binary=$1
config=$2

out=$("$binary" config check "$config" 2>&1) || fail "the default config is invalid:
$out"
grep -q ': ok, 0 targets$' <<<"$out" || fail "the default config should have no targets: $out"
! grep -qE '^[^#]*\<path:' "$config" ||
  fail "the default config sets storage.path; it must follow STATE_DIRECTORY (/var/lib/faultline)"

# The examples start at '# targets:'; uncommented they replace 'targets: []'.
grep -qx '# targets:' "$config" || fail "no commented '# targets:' example in $config"
awk '/^targets: \[\]$/ { next } /^# targets:$/ { on = 1 } on { sub(/^# ?/, ""); print; next } { print }' \
  "$config" >"$tmp/examples.yaml"
out=$("$binary" config check "$tmp/examples.yaml" 2>&1) ||
  fail "the commented examples in $config are invalid once uncommented:
$out"
grep -qE ': ok, [1-9][0-9]* targets?$' <<<"$out" || fail "uncommenting found no targets: $out"
echo "$config: valid, no targets; examples: $out"
