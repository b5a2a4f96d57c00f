#!/usr/bin/env bash
# splitbox bench, a smoke run: it measures every figure of every operation on
# the backends CI has, and its JSON follows reports/bench.schema.json. No
# timing is asserted: this machine is shared, and figures are for people.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cli" bench --backend none --backend splitbox --backend bubblewrap-hardened --runs 5 --warmup 1 --concurrency 2 \
  --json >"$out/bench.json" 2>"$out/err"; rc=$?
if [ $rc -eq 0 ]; then ok "bench exits 0: every operation was measured"; else
  not_ok "bench exits 0: every operation was measured (was $rc)" "$(cat "$out/err")"; fi
check "its JSON satisfies reports/bench.schema.json" "$validate" "$src/reports/bench.schema.json" "$out/bench.json"
tr -d '\n\t ' <"$out/bench.json" >"$out/min"
check "the floor is measured" grep -q '"floor":{"what":"posix_spawnof/bin/sh-ctrueandwaitpid' "$out/min"
# none and bubblewrap-hardened: 9 operations each (no platform operations); splitbox: all 10.
check "every operation has its figures (28 of them)" test "$(grep -o '"p50Ms"' "$out/min" | wc -l)" -eq 29
check "... and its ratio to the floor" test "$(grep -o '"ratioP50"' "$out/min" | wc -l)" -eq 28
check "backends without platform operations say so" test "$(grep -o '"notSupported"' "$out/min" | wc -l)" -eq 2
check "splitbox measures callPlatformOperation" grep -q '"op":"callPlatformOperation","stats"' "$out/min"
"$cli" bench --backend none --op user.exec --runs 3 --warmup 0 >"$out/table"; rc=$?
check "the table for people (exit $rc)" grep -q '^none *user.exec ' "$out/table"
"$cli" bench --op no-such-op 2>/dev/null; rc=$?
check "an unknown operation is a usage error (2)" test $rc -eq 2
finish
