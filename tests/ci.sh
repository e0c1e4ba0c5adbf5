#!/usr/bin/env bash
# The test suite, from a fresh Debian 12 machine. Installs what is missing (as root, or through
# sudo), and then:
#   tests/ci.sh          the functional suite: one build (RelWithDebInfo, warnings as errors) in
#                        build/ci and every test of what faultline does, packaging and promtool
#                        included. About 10 minutes on a fresh 2-core machine, most of it apt
#                        and the compiler; the tests themselves take about a minute.
#   tests/ci.sh --deep   the deep checks: clang-format and clang-tidy (.clang-tidy) over the
#                        product code, the whole suite again built with AddressSanitizer +
#                        UndefinedBehaviorSanitizer (build/ci-asan), and the libFuzzer targets
#                        built with clang and run over their corpora (the fuzz.* tests).
# .ci/run runs both. Quiet on success: one line per step; on a failure, everything it said.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=functional
case ${1:-} in
  "") ;;
  --deep) mode=deep ;;
  *) echo "usage: tests/ci.sh [--deep]" >&2; exit 2 ;;
esac

packages=(
  ca-certificates cmake g++ make pkg-config git
  libuv1-dev libcurl4-openssl-dev libyaml-cpp-dev prometheus-cpp-dev libsqlite3-dev
  libspdlog-dev doctest-dev libssl-dev libcli11-dev nlohmann-json3-dev libsystemd-dev
  libc-ares-dev libpcre2-dev
  # /metrics: civetweb serves it and zlib gzips it, both used directly (exporters/metrics_server)
  libcivetweb-dev zlib1g-dev
  # used by the tests themselves
  openssl sqlite3 iproute2 nftables procps
  # the grpc:// tests: a real gRPC health server (tests/support/grpc_health_server.py)
  python3-grpcio
  # packaging tests: systemd-analyze, man and groff, cpack's dpkg-shlibdeps and file, strace
  systemd man-db groff-base dpkg-dev file strace
  # promtool: lints a scrape of /metrics, unit-tests the alert rules in etc/prometheus/
  prometheus
  # soak.mini: nginx on loopback is the soak's server
  nginx-light curl
)
if [ "$mode" = deep ]; then
  packages+=(
    # the fuzz.* tests: libFuzzer comes with clang's runtime
    clang libclang-rt-14-dev
    # the style checks
    clang-format clang-tidy
  )
fi
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" != "${#packages[@]}" ]; then
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

cores=$(nproc)
started=$SECONDS

# Runs a step with its output in a log; prints the log when it fails.
quietly() {  # log, command...
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "failed: $*"
    return 1
  fi
}

build() {  # build dir, extra cmake flags...
  local dir=$1 from=$SECONDS; shift
  mkdir -p "$dir"
  quietly "$dir/configure.log" cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFAULTLINE_WERROR=ON "$@" || return 1
  quietly "$dir/build.log" cmake --build "$dir" -j"$cores" || return 1
  echo "built $dir in $((SECONDS - from)) s"
}

# Most tests wait (deadlines, idle steps, rounds of probes) rather than compute, so ctest runs
# four per core; the few that keep a core busy say so with PROCESSORS (tests/slow_cases.cmake).
run_tests() {  # name, build dir, ctest arguments...
  local name=$1 dir=$2; shift 2
  local log="$dir/ctest.log" from=$SECONDS
  if ctest --test-dir "$dir" --output-on-failure --timeout 600 "$@" >"$log" 2>&1; then
    local skipped
    skipped=$(grep -c '(Skipped)$' "$log" || true)
    echo "$name: $(grep -E 'tests passed' "$log"), $skipped skipped, $((SECONDS - from)) s"
    [ "$skipped" = 0 ] || grep '(Skipped)$' "$log"
  else
    cat "$log"
    return 1
  fi
}

functional() {
  build build/ci -DFAULTLINE_FUZZ_TESTS=OFF
  run_tests "functional suite" build/ci -j$((cores * 4))
}

# Every product .cpp through clang-tidy with the compile commands of build/ci; .clang-tidy says
# which checks, and any finding fails. Those commands are GCC's, with -Werror: -Wno-error keeps
# clang's own opinion of them (GCC-only options, warnings GCC does not have) out of the verdict.
tidy() {
  local log=build/ci/clang-tidy.log from=$SECONDS
  if run-clang-tidy -p build/ci -quiet -j"$cores" -extra-arg=-Wno-error \
    "$PWD/(checks|daemon|storage|exporters|sinks)/[^/]*\.cpp$" >"$log" 2>&1; then
    echo "clang-tidy: no findings, $((SECONDS - from)) s"
  else
    sed 's/\x1b\[[0-9;]*m//g' "$log" |
      grep -vE '^clang-tidy|warnings? (and [0-9]+ errors? )?generated|^Suppressed |-header-filter'
    echo "clang-tidy: findings above (.clang-tidy)"
    return 1
  fi
}

format() {
  quietly build/ci/format.log cmake --build build/ci --target check_format || return 1
  echo "check_format: clean"
}

asan() {
  build build/ci-asan -DFAULTLINE_SANITIZE=address,undefined || return 1
  # Half the functional suite's parallelism: the sanitizers triple the CPU every test needs.
  run_tests "asan+ubsan suite" build/ci-asan -j$((cores * 2))
}

# Every deep check runs even when an earlier one failed, so one run shows every problem.
deep() {
  # build/ci again, now with the fuzz tests registered and clang-format found (a no-op build
  # after the functional suite).
  build build/ci -DFAULTLINE_FUZZ_TESTS=ON || return 1
  local failed=()
  format || failed+=(check_format)
  tidy || failed+=(clang-tidy)
  run_tests "fuzz (clang build, then each target for 20 s)" build/ci -L fuzz -j"$cores" ||
    failed+=(fuzz)
  asan || failed+=(asan+ubsan)
  if [ ${#failed[@]} -gt 0 ]; then
    echo "deep checks failed: ${failed[*]} ($((SECONDS - started)) s)"
    return 1
  fi
}

if [ "$mode" = functional ]; then functional; else deep; fi
echo "$mode checks passed in $((SECONDS - started)) s"
