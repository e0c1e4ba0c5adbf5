#!/usr/bin/env bash
# faultline(1) renders without a warning and names every word of the failure taxonomy, so the
# page cannot fall behind checks/taxonomy.hpp.
# Usage: man_page_test.sh SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
need groff
src=$1
page=$src/docs/faultline.1

warnings=$(groff -ww -z -man "$page" 2>&1) || fail "groff failed on $page: $warnings"
[ -z "$warnings" ] || fail "groff warns about $page:
$warnings"

# The enum members are the contract words (to_string returns each member's own name), less
# `none` and `http_status` (rendered as the status code).
words=$(for e in FailureClass Phase Detail; do
  sed -n "/^enum class $e\b/,/^};/p" "$src/checks/taxonomy.hpp" |
    sed -nE 's/^ *([a-z_]+),.*/\1/p'
done | grep -vxE 'none|http_status' | sort -u)
[ "$(wc -l <<<"$words")" -ge 20 ] || fail "could not read the taxonomy from checks/taxonomy.hpp"
section=$(sed -n '/^\.SH FAILURE TAXONOMY/,/^\.SH /p' "$page")
[ -n "$section" ] || fail "$page has no FAILURE TAXONOMY section"
missing=$(for w in $words; do grep -qw -- "$w" <<<"$section" || echo "$w"; done)
[ -z "$missing" ] || fail "FAILURE TAXONOMY in $page does not mention: $(tr '\n' ' ' <<<"$missing")"
echo "$page: renders cleanly and covers $(wc -w <<<"$words") taxonomy words"
