#!/usr/bin/env bash
# Every shipped backend, every probe: no cell may be ERROR or UNVERIFIED, and
# no backend unavailable (CI installs them all), so a broken spec or a harness
# bug cannot hide behind a green run.
set -u
cli=${SPLITBOX_CLI:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$SBX_SOURCE_ROOT/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
"$cli" audit --out "$out" 2>"$out/progress"; rc=$?
secs=$(( $(date +%s) - start ))
check "the full audit exits 0 (was $rc) in ${secs} s" test $rc -eq 0
summary=$(tail -1 "$out/progress")
echo "# $summary"
check "no cell is an error" grep -q ', 0 errors in' <<<"$summary"
check "no cell is unverified" grep -q ', 0 unverified,' <<<"$summary"
check "no cell is n/a (every backend is installed here)" grep -q ', 0 n/a,' <<<"$summary"
if [ $rc -ne 0 ] || ! grep -q ', 0 errors in' <<<"$summary"; then grep -E ' error | unverified ' "$out/progress" | head -20; fi
finish
