#!/bin/sh
# Usage: rules_test.sh RULES_FILE TEST_FILE
# Checks the alert rules with `promtool check rules`, then runs their unit tests (TEST_FILE
# names the rules file itself, relative to its own folder). Exits 77 (skipped) without promtool.
set -eu
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found (Debian package prometheus); skipping" >&2
  exit 77
fi
promtool check rules "$1"
promtool test rules "$2"
