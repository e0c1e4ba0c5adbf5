#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing (as root, or
# through sudo), builds with warnings as errors and runs every test, then builds and runs them
# all again under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on). Quiet on
# success: it prints ctest's summary line per build, and everything ctest said on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  ca-certificates cmake g++ make pkg-config git
  libuv1-dev libcurl4-openssl-dev libyaml-cpp-dev prometheus-cpp-dev libsqlite3-dev
  libspdlog-dev doctest-dev libssl-dev libcli11-dev nlohmann-json3-dev libsystemd-dev libpcre2-dev
  # used by the tests themselves
  openssl sqlite3 iproute2 nftables procps
  # packaging tests: systemd-analyze, man and groff, cpack's dpkg-shlibdeps and file, strace
  systemd man-db groff-base dpkg-dev file strace
  # promtool: lints a scrape of /metrics, unit-tests the alert rules in etc/prometheus/
  prometheus
  # fuzz.* tests: libFuzzer comes with clang's runtime
  clang libclang-rt-14-dev
  # soak.mini: nginx on loopback is the soak's server
  nginx-light curl
)
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" != "${#packages[@]}" ]; then
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

jobs=$(nproc)
run_suite() {  # name, build dir, extra cmake flags...
  local name=$1 dir=$2; shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  local log="$dir/ctest.log"
  if ctest --test-dir "$dir" --output-on-failure -j"$jobs" >"$log" 2>&1; then
    echo "$name: $(grep -E 'tests passed' "$log")"
  else
    cat "$log"
    return 1
  fi
}

run_suite plain build/ci
run_suite asan+ubsan build/ci-asan -DFAULTLINE_SANITIZE=address,undefined
