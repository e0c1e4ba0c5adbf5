#!/usr/bin/env bash
# faultline(1) renders without a warning, names every word of the failure taxonomy (so the page
# cannot fall behind checks/taxonomy.hpp) and every option the binary's --help lists, and says
# the same as the README about which commands honour NO_COLOR.
# Usage: man_page_test.sh SOURCE_DIR FAULTLINE_BINARY
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
need groff
src=$1
binary=$2
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

# Every long option of every command, as --help lists it (groff spells "--" as "\-\-").
for command in "" run check report "config check"; do
  # shellcheck disable=SC2086  # the command is one or two words
  options=$("$binary" $command --help | grep -oE -- '--[a-z][a-z-]+' | sort -u |
    grep -vxE -- '--help|--help-all' || true)
  for option in $options; do
    # Each "-" as groff has it, escaped or not.
    pattern=$(sed 's/-/(\\\\)?-/g' <<<"$option")
    grep -qE -- "$pattern" "$page" ||
      fail "$page does not document 'faultline${command:+ $command} $option' (it is in --help)"
  done
done

# NO_COLOR: the commands the man page names (its .B lines) are the ones the README names.
man_commands=$(sed -n '/^\.B NO_COLOR$/,/^\.\(TP\|SH\)/p' "$page" |
  sed -nE 's/^\.B (run|check|report|config|version)$/\1/p' | sort -u | xargs)
readme_commands=$(awk -v RS= '/NO_COLOR/' "$src/README.md" |
  grep -oE '`(run|check|report|config|version)`' | tr -d '`' | sort -u | xargs)
[ -n "$man_commands" ] || fail "$page: no command named under NO_COLOR"
[ "$man_commands" = "$readme_commands" ] ||
  fail "NO_COLOR: the man page names '$man_commands', the README '$readme_commands'"
echo "$page: documents every option of --help; NO_COLOR: $man_commands, as the README says"
