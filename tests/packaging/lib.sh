# shellcheck shell=bash
# Helpers shared by the packaging tests; sourced, never run. CTest treats exit 77 as "skipped"
# (SKIP_RETURN_CODE in CMakeLists.txt), which is how a test without its tools says so.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

need() {  # command... : skip unless every command exists
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tests/ci.sh installs it)"
  done
}

# A scratch folder removed on exit; the caller's EXIT trap, if any, must call cleanup_tmp.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-packaging.XXXXXX")
cleanup_tmp() { rm -rf "$tmp"; }
trap cleanup_tmp EXIT
