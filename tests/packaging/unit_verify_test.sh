#!/usr/bin/env bash
# `systemd-analyze verify` on the unit as `cmake --install` lays it out: the build is installed
# with prefix /usr into a staging root, which also gets the host's own units (sysinit.target and
# friends) and /bin/kill, so verify resolves ExecStart=, ExecReload=, the dependencies and
# Documentation=man:faultline(1) inside that root only. verify exits 0 on mere warnings
# (unknown keys, unparsable values), so any output at all fails the test too.
# Usage: unit_verify_test.sh CMAKE BUILD_DIR
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
need systemd-analyze man
cmake=$1
build=$2
root=$tmp/root

DESTDIR=$root "$cmake" --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
  fail "cmake --install failed: $(cat "$tmp/install.log")"
unit=$root/lib/systemd/system/faultline.service
[ -f "$unit" ] || fail "cmake --install did not put the unit in /lib/systemd/system"

host_units=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
[ -f "$host_units/sysinit.target" ] || skip "no systemd units in $host_units"
mkdir -p "$root/usr/lib/systemd/system"
cp -a "$host_units/." "$root/usr/lib/systemd/system/"
[ -x /bin/kill ] || skip "/bin/kill is missing (package procps)"
cp /bin/kill "$root/usr/bin/kill"
ln -s usr/bin "$root/bin"

if ! out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "$unit" 2>&1); then
  fail "systemd-analyze verify failed:
$out"
fi
[ -z "$out" ] || fail "systemd-analyze verify warned:
$out"
echo "systemd-analyze verify: $unit is clean"
