#!/usr/bin/env bash
# Would the unit's sandbox break the daemon? Without systemd as PID 1 the unit cannot be
# started, so this runs the real binary the way the unit does (an unprivileged user, a soft
# RLIMIT_NOFILE below the hard one, STATE_DIRECTORY, NOTIFY_SOCKET, WATCHDOG_USEC, no
# storage.path) under strace, drives it through probes of every layer against a loopback TLS
# server, a reload and a stop, and then checks the trace against the unit:
#   - every system call is in the unit's SystemCallFilter= (as systemd-analyze expands it);
#   - every socket family is in RestrictAddressFamilies=;
#   - no mapping is writable and executable, and nothing is made executable later
#     (MemoryDenyWriteExecute=);
#   - nothing is written outside STATE_DIRECTORY, /dev and /tmp (ProtectSystem=strict), and
#     nothing read from /home, /root (ProtectHome=) or /proc beyond the process's own
#     (ProcSubset=pid).
# A path the run does not take is not checked; the run takes the ones the daemon takes today.
# Usage: unit_syscalls_test.sh FAULTLINE_BINARY UNIT
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
need strace systemd-analyze openssl pgrep
[ -z "${FAULTLINE_SANITIZE:-}" ] || skip "a $FAULTLINE_SANITIZE sanitizer build makes system \
calls the shipped binary does not, and LeakSanitizer cannot run under strace"
binary=$(realpath "$1")
unit=$2

# --- what the unit allows ---------------------------------------------------------------------
expand_group() {  # @group or name -> system call names, one per line
  case $1 in
    @*)
      systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' |
        grep -v -e '^#' -e '^$' | while read -r name; do expand_group "$name"; done
      ;;
    *) echo "$1" ;;
  esac
}
: >"$tmp/allow"
: >"$tmp/deny"
while read -r value; do
  list=allow
  if [[ $value == "~"* ]]; then
    list=deny
    value=${value#"~"}
  fi
  for item in $value; do
    [[ $item != *:* ]] || fail "SystemCallFilter= item '$item': errno suffixes are not handled here"
    expand_group "$item" >>"$tmp/$list"
  done
done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
[ -s "$tmp/allow" ] || fail "$unit has no SystemCallFilter= allow list"
sort -u "$tmp/allow" -o "$tmp/allow"
sort -u "$tmp/deny" -o "$tmp/deny"
comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
[ -n "$families" ] || fail "$unit has no RestrictAddressFamilies="

# --- a loopback TLS server and a config with every layer in it ----------------------------------
chmod 755 "$tmp"  # the daemon runs as nobody below and reads its config and the CA from here
# A copy nobody can execute: the build tree may sit where nobody cannot look (/root/...).
cp "$binary" "$tmp/faultline"
chmod 755 "$tmp/faultline"
binary=$tmp/faultline
state=$tmp/state
mkdir -m 700 "$state"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1
chmod 644 "$tmp/cert.pem"
openssl s_server -accept 127.0.0.1:0 -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www \
  >"$tmp/server.log" 2>&1 &
server=$!
tracer=
daemon=
cleanup() {
  # On a failure the daemon may still run; strace's child is it even before $daemon is known.
  if [ -n "$tracer" ]; then
    [ -n "$daemon" ] || daemon=$(pgrep -P "$tracer" || true)
    # shellcheck disable=SC2086 # an empty $daemon must vanish
    kill -KILL $daemon "$tracer" 2>/dev/null || true
  fi
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  cleanup_tmp
}
trap cleanup EXIT
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.log")
  [ -z "$port" ] || break
  sleep 0.1
done
[ -n "$port" ] || fail "openssl s_server did not start: $(cat "$tmp/server.log")"

as_user=()
wrap=()
if [ "$(id -u)" = 0 ]; then
  # The unit's DynamicUser= is an unprivileged uid; root would take paths the service never
  # does (SQLite chowns its journals when run as root, for one).
  chown nobody "$state"
  as_user=(-u nobody)
  # A root directory others may not search (a chroot made with mktemp -d is 0700) leaves
  # nobody unable to run anything at all; that is the machine, not the unit.
  strace -qq -o /dev/null "${as_user[@]}" "$binary" version >/dev/null 2>&1 ||
    skip "user nobody cannot execute $binary here (is / searchable by others? $(stat -c %A /))"
  # Name lookups that miss /etc/hosts go to DNS: in a private mount namespace resolv.conf points
  # at a loopback address where nothing answers, so the query stays on this machine.
  printf 'nameserver 127.0.0.2\noptions timeout:1 attempts:1\n' >"$tmp/resolv.conf"
  chmod 644 "$tmp/resolv.conf"
  # shellcheck disable=SC2016 # expanded by the inner sh
  wrap=(unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$tmp/resolv.conf")
fi
dns_target=
if [ ${#wrap[@]} != 0 ] && "${wrap[@]}" true 2>/dev/null; then
  dns_target="  - {name: dns-miss, url: \"http://faultline-test.invalid:$port/\"}"
else
  wrap=()
  echo "note: no private mount namespace (not root?), so no DNS query is made"
fi

config=$tmp/faultline.yaml
write_config() {  # extra target lines...
  cat >"$config" <<EOF
defaults: {interval: 500ms, timeout: 400ms, failure_threshold: 1}
log: {level: debug}
targets:
  - {name: https-ok, url: "https://127.0.0.1:$port/", ca_file: $tmp/cert.pem}
  - {name: tls-untrusted, url: "tls://127.0.0.1:$port"}
  - {name: http-to-tls, url: "http://127.0.0.1:$port/"}
  - {name: refused, url: "tcp://127.0.0.1:1"}
  - {name: refused-v6, url: "tcp://[::1]:1"}
$dns_target
EOF
  printf '%s\n' "$@" >>"$config"
  chmod 644 "$config"
}
write_config
"$binary" config check "$config" >/dev/null || fail "the test's own config is invalid"

# --- run it as the unit would --------------------------------------------------------------------
: >"$tmp/daemon.log"
hard=$(ulimit -Hn)
soft_limit=1024
if [ "$hard" != unlimited ] && [ "$hard" -le "$soft_limit" ]; then soft_limit=$((hard / 2)); fi
(
  ulimit -Sn "$soft_limit"
  exec env -i PATH=/usr/bin:/bin STATE_DIRECTORY="$state" NOTIFY_SOCKET="$tmp/notify" \
    WATCHDOG_USEC=1000000 JOURNAL_STREAM=0:0 \
    "${wrap[@]}" strace -f -qq -o "$tmp/trace" "${as_user[@]}" \
    "$binary" run -c "$config" >"$tmp/daemon.log" 2>&1
) &
tracer=$!

wait_for() {  # seconds, extended regexp in the daemon's log, at least N matches
  local deadline=$((SECONDS + $1)) n
  while :; do
    n=$(grep -cE "$2" "$tmp/daemon.log" || true)
    [ "$n" -lt "$3" ] || return 0
    kill -0 "$tracer" 2>/dev/null || fail "the daemon exited early: $(tail -20 "$tmp/daemon.log")"
    [ $SECONDS -lt $deadline ] || fail "no '$2' (x$3) in the daemon's log within $1 s:
$(tail -20 "$tmp/daemon.log")"
    sleep 0.2
  done
}
wait_for 20 'monitoring [0-9]+ targets' 1
# The subshell execs into strace, whose only child is the daemon.
daemon=$(pgrep -P "$tracer") || fail "cannot find the daemon's pid"
# Successes are logged when the state changes, failures at every probe (log.level debug).
wait_for 20 '>https-ok is UP' 1
for t in tls-untrusted http-to-tls refused refused-v6 ${dns_target:+dns-miss}; do
  wait_for 20 ">$t: " 2
done
write_config '  - {name: added, url: "tcp://127.0.0.1:1"}'
kill -HUP "$daemon"
wait_for 20 'reloaded: 1 added' 1
wait_for 20 '>added: ' 1
kill -TERM "$daemon"
status=0
wait "$tracer" || status=$?
tracer=
daemon=
[ "$status" = 0 ] || fail "the daemon exited with $status after SIGTERM:
$(tail -20 "$tmp/daemon.log")"
grep -q 'stopped' "$tmp/daemon.log" || fail "the daemon did not log a clean stop"

# --- check the trace against the unit ------------------------------------------------------------
# Only what follows the daemon's own execve counts (strace -u and unshare do root things first).
awk -v bin="$binary" 'started { print; next } index($0, "execve(\"" bin "\"") && / = 0$/ { started = 1; print }' \
  "$tmp/trace" >"$tmp/daemon.trace"
[ -s "$tmp/daemon.trace" ] || fail "the trace has no execve of $binary"
problems=0
problem() {
  echo "$*" >&2
  problems=$((problems + 1))
}

# "1234 name(args" and "1234 <... name resumed>"; signals and exits start with --- or +++.
sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$tmp/daemon.trace" | sort | uniq -c >"$tmp/called"
while read -r count name; do
  grep -qxF "$name" "$tmp/allowed" ||
    problem "system call $name (${count}x) is not in the unit's SystemCallFilter="
done <"$tmp/called"

while read -r family; do
  grep -qw -- "$family" <<<"$families" ||
    problem "socket($family, ...) is not in RestrictAddressFamilies=$families"
done < <(sed -nE 's/^[0-9]+ +socket\((AF_[A-Z0-9]+),.*/\1/p' "$tmp/daemon.trace" | sort -u)

if grep -q '^MemoryDenyWriteExecute=yes' "$unit"; then
  while read -r line; do
    problem "MemoryDenyWriteExecute= forbids: $line"
  done < <(grep -E '^[0-9]+ +(mmap|mmap2)\(.*PROT_WRITE\|PROT_EXEC' "$tmp/daemon.trace"
           grep -E '^[0-9]+ +(mprotect|pkey_mprotect)\(.*PROT_EXEC' "$tmp/daemon.trace")
fi

# Paths opened (or created, renamed, removed) and whether for writing.
while read -r call path flags; do
  case $path in
    "$state"/* | /dev/* | /tmp/*) continue ;;
  esac
  case $call:$flags in
    open*:*O_WRONLY* | open*:*O_RDWR* | open*:*O_CREAT* | mkdir*:* | unlink*:* | rename*:* | \
      creat:* | truncate:* | rmdir:*)
      problem "$call $path writes outside STATE_DIRECTORY (ProtectSystem=strict: read-only)" ;;
  esac
  case $path in
    /home/* | /root/* | /home | /root) problem "$call $path: hidden by ProtectHome=" ;;
    /proc/self/* | /proc/thread-self/* | /proc/[0-9]*) ;;
    # glibc's malloc asks before shrinking a thread arena's heap and, when the file is hidden,
    # shrinks it another way (mmap PROT_NONE instead of MADV_DONTNEED): harmless.
    /proc/sys/vm/overcommit_memory) ;;
    /proc/*) problem "$call $path: hidden by ProcSubset=pid" ;;
  esac
done < <(sed -nE 's/^[0-9]+ +(openat2?|open|creat|mkdirat|mkdir|unlinkat|unlink|renameat2?|rename|truncate|rmdir)\((AT_FDCWD, |[0-9]+, )?"([^"]*)"(, ([A-Z_|]+))?.*/\1 \3 \5/p' \
  "$tmp/daemon.trace")

# The fd limit was raised (soft < hard at start), through a call the filter allows.
if [ "$hard" = unlimited ] || [ "$hard" -gt "$soft_limit" ]; then
  grep -qE '^[0-9]+ +(prlimit64|setrlimit)\(.*RLIMIT_NOFILE, \{rlim_cur=' "$tmp/daemon.trace" ||
    problem "the daemon did not raise RLIMIT_NOFILE, so that path went unchecked"
fi

# Without storage.path the history goes where systemd's StateDirectory= points.
[ -s "$state/faultline.db" ] ||
  problem "no database at \$STATE_DIRECTORY/faultline.db ($state/faultline.db) after the run"

if [ "$problems" != 0 ]; then
  fail "$problems way(s) the sandbox of $unit would break the daemon (see above)"
fi
echo "$(wc -l <"$tmp/called") distinct system calls, all allowed by $unit; sockets: $(
  sed -nE 's/^[0-9]+ +socket\((AF_[A-Z0-9]+),.*/\1/p' "$tmp/daemon.trace" | sort -u | tr '\n' ' ')"
