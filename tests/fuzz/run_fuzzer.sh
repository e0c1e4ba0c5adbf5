#!/bin/sh
# Runs one libFuzzer binary for a bounded time over its checked-in corpus and fails on any crash,
# leak, timeout or broken FUZZ_CHECK. Every file of the corpus runs first, so inputs that once
# crashed stay regression tests. New interesting inputs go to WORK_DIR/new, never into the
# source tree; a crashing input is saved in WORK_DIR/artifacts and its path printed.
#   run_fuzzer.sh FUZZER CORPUS_DIR SECONDS WORK_DIR [DICTIONARY]
# To grow the checked-in corpus after a longer local run:
#   FUZZER -merge=1 tests/fuzz/NAME WORK_DIR/new
set -eu
fuzzer=$1 corpus=$2 seconds=$3 work=$4 dict=${5:-}
rm -rf "$work"
mkdir -p "$work/new" "$work/artifacts"
set -- "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/new" "$corpus"
[ -z "$dict" ] || set -- "$@" -dict="$dict"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if ! "$@" >"$work/log" 2>&1; then
  tail -n 60 "$work/log"
  echo "fuzzer failed; the input is in $work/artifacts:" && ls -l "$work/artifacts"
  exit 1
fi
# One line for the ctest log: executions, speed and corpus size.
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
  "$work/log" | tr '\n' ' '
echo "corpus: $(find "$corpus" -type f | wc -l) checked in + $(find "$work/new" -type f | wc -l) new"
