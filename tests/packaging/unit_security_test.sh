#!/usr/bin/env bash
# The unit's sandbox is rated by `systemd-analyze security`; issue 8 requires an overall
# exposure of 2.0 or lower. Usage: unit_security_test.sh UNIT
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
need systemd-analyze
unit=$1
max=2.0

out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) ||
  fail "systemd-analyze security failed on $unit: $out"
# "→ Overall exposure level for faultline.service: 1.1 OK 🙂"
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
[ -n "$score" ] || fail "no 'Overall exposure level' line in systemd-analyze's output:
$out"
if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s > m) }'; then
  grep '✗' <<<"$out" >&2 || true
  fail "$unit: overall exposure $score is above $max (the settings marked ✗ above cost it)"
fi
echo "$unit: overall exposure $score (limit $max)"
