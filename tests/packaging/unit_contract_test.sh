#!/usr/bin/env bash
# What the unit promises (issue 8) and what its sandbox must keep allowing for a network
# monitor: the hardening may tighten, but never at the cost of these.
# Usage: unit_contract_test.sh UNIT
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
unit=$1
errors=0
complain() {
  echo "$unit: $*" >&2
  errors=$((errors + 1))
}
has() {  # exact line
  grep -qxF "$1" "$unit" || complain "missing '$1'"
}
lacks() {  # extended regexp a line must not match
  ! grep -qE "$1" "$unit" || complain "must not have: $(grep -E "$1" "$unit" | head -1) ($2)"
}

has 'Type=notify'
has 'ExecStart=/usr/bin/faultline run -c /etc/faultline/faultline.yaml'
# shellcheck disable=SC2016 # $MAINPID is literal text in the unit
has 'ExecReload=/bin/kill -HUP $MAINPID'
has 'Restart=on-failure'
has 'DynamicUser=yes'
has 'StateDirectory=faultline'
has 'ConfigurationDirectory=faultline'
grep -qE '^WatchdogSec=[1-9]' "$unit" || complain "missing 'WatchdogSec=' (the daemon pings it)"
# The daemon sizes its probe concurrency from the soft limit it can raise to.
limit=$(sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p' "$unit")
[ -n "$limit" ] && [ "$limit" -ge 65536 ] || complain "LimitNOFILE= must be at least 65536"

# Probes go anywhere over IPv4 and IPv6; sd_notify and the journal use AF_UNIX.
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
for f in AF_INET AF_INET6 AF_UNIX; do
  grep -qw "$f" <<<"$families" || complain "RestrictAddressFamilies= must allow $f"
done
grep -q '~' <<<"$families" && complain "RestrictAddressFamilies= must be an allow list"
lacks '^IPAddress(Deny|Allow)=' 'a network monitor must reach every address'
lacks '^PrivateNetwork=(yes|true|1)' 'probes need the host network'
lacks '^SocketBind(Deny|Allow)=' 'the metrics listener binds a configurable port'
lacks '^(ReadOnlyPaths|InaccessiblePaths)=.*(/etc/ssl|/usr/share/ca-certificates|/etc/faultline)' \
  'CA bundles and the config must stay readable'
lacks '^ProtectSystem=(full|yes)$' 'use strict, with StateDirectory= as the only writable place'

[ "$errors" = 0 ] || fail "$errors problem(s) in $unit"
echo "$unit: keeps the contract"
