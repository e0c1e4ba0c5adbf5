#!/bin/sh
# One include of the layer rule, compiled the way the build compiles a file of a library.
#   include_test.sh allowed|forbidden HEADER OWN_FOLDER COMPILER FLAGS...
# Compiles a one-line source, `#include "HEADER"`, with COMPILER and FLAGS (the library's real
# include directories and definitions); -iquote OWN_FOLDER stands for the folder of the
# library's own .cpp files, which a quoted include searches first. `allowed` passes when it
# compiles. `forbidden` passes only when the compiler says HEADER itself was not found: a
# failure for any other reason (a bad flag, a broken header) fails the test, so that it cannot
# pass by accident.
set -u
if [ $# -lt 4 ]; then
  echo "usage: $0 allowed|forbidden HEADER OWN_FOLDER COMPILER FLAGS..." >&2
  exit 2
fi
expect=$1 header=$2 own=$3
shift 3
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
printf '#include "%s"\n' "$header" >"$work/one_include.cpp"
"$@" -iquote "$own" -fsyntax-only "$work/one_include.cpp" >"$work/out" 2>&1
status=$?
case $expect in
  allowed)
    if [ $status -ne 0 ]; then
      cat "$work/out"
      echo "FAIL: \"$header\" does not compile with these flags; it should" >&2
      exit 1
    fi
    echo "ok: \"$header\" compiles";;
  forbidden)
    # g++: "fatal error: daemon/config.hpp: No such file or directory";
    # clang++: "fatal error: 'daemon/config.hpp' file not found".
    if [ $status -ne 0 ] && grep -qF -e "$header: No such file or directory" \
         -e "'$header' file not found" "$work/out"; then
      echo "ok: \"$header\" is out of reach"
      exit 0
    fi
    cat "$work/out"
    if [ $status -eq 0 ]; then
      echo "FAIL: \"$header\" compiles; the layer rule forbids it" >&2
    else
      echo "FAIL: the compile failed, but not because \"$header\" was out of reach" >&2
    fi
    exit 1;;
  *)
    echo "expected 'allowed' or 'forbidden', not '$expect'" >&2
    exit 2;;
esac
