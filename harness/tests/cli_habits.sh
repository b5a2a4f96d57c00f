#!/usr/bin/env bash
# The CLI's habits, for every verb: -V/--version, --help (usage on stdout, exit
# 0), -q and -v, colour only on a terminal and never with NO_COLOR, and the
# small things people trip on (a verb naming itself, units in tables).
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=$("$cli" version)
check "splitbox version prints one (\"$version\")" grep -qE '^splitbox [0-9]+\.[0-9]+\.[0-9]+$' <<<"$version"
# Every verb that `splitbox help` lists.
verbs=$("$cli" help | sed -n '/^Commands:/,/^$/p' | grep -oE '^  [a-z-]+' | tr -d ' ' | grep -vx 'help\|version')
verbs="$verbs start ps kill read write ls call sandbox"
check "the help lists the verbs" test "$(wc -w <<<"$verbs")" -ge 15
for v in $verbs; do
  got=$("$cli" "$v" -V 2>&1); rc=$?
  [ $rc -eq 0 ] && [ "$got" = "$version" ] || not_ok "$v -V prints the version (exit $rc: $got)"
  got=$("$cli" "$v" --version 2>&1); rc=$?
  [ $rc -eq 0 ] && [ "$got" = "$version" ] || not_ok "$v --version prints the version (exit $rc: $got)"
  "$cli" "$v" --help >"$out/help" 2>"$out/help.err"; rc=$?
  { [ $rc -eq 0 ] && grep -q '^Usage: splitbox' "$out/help" && [ ! -s "$out/help.err" ]; } ||
    not_ok "$v --help: usage on stdout, exit 0 (exit $rc)" "$(head -2 "$out/help" "$out/help.err")"
done
check "every verb: -V, --version and --help ($(wc -w <<<"$verbs") verbs)" test "$failed" -eq 0
got=$("$cli" exec --socket /nonexistent -- echo -V 2>"$out/err"); rc=$?
check "a command's own -V stays the command's (exec tried the daemon: exit 125, was $rc)" \
  test $rc -eq 125 -a "$got" != "$version" -a -s "$out/err"

# -q, -v, and colour, on the audit's progress.
"$cli" audit --backend none --probe env-self --no-latency --out "$out/a" 2>"$out/plain"
check "progress by default" grep -q '^\[  1/1\] none' "$out/plain"
check "... no colour when stderr is not a terminal" bash -c "! grep -q $'\\e\\[' '$out/plain'"
"$cli" audit -q --backend none --probe env-self --no-latency --out "$out/a" 2>"$out/quiet"
check "-q: no progress, no 'wrote'" bash -c "! grep -qE '^\[|wrote' '$out/quiet'"
"$cli" audit --backend none --probe env-self --no-latency --out "$out/a" -v 2>"$out/verbose"
check "-v: each leak's evidence too" grep -q "^ *the run's canary" "$out/verbose"
script -qec "$cli audit --backend none --probe env-self --no-latency --out $out/a" "$out/tty" >/dev/null 2>&1
check "colour on a terminal" grep -q $'\e\[31mleaked' "$out/tty"
NO_COLOR=1 script -qec "$cli audit --backend none --probe env-self --no-latency --out $out/a" "$out/tty-nc" >/dev/null 2>&1
check "... but never with NO_COLOR" bash -c "grep -q leaked '$out/tty-nc' && ! grep -q $'\\e\\[' '$out/tty-nc'"

"$cli" report render "$out/a/report.json" --out "$out/r" 2>"$out/render"
check "report render names itself" grep -q '^splitbox report render: wrote' "$out/render"
"$cli" bench --backend none --op user.exec --runs 2 --warmup 0 >"$out/bench" 2>/dev/null
check "the bench table names its units" grep -q 'p50 ms' "$out/bench"
check "... and says what \"claimed\" is" grep -q '"claimed": the figure the design document promises' "$out/bench"
finish
