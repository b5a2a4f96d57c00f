#!/usr/bin/env bash
# splitbox bench, a smoke run: it measures every figure of every operation on
# the backends CI has, and its JSON follows reports/bench.schema.json; the
# throughput table is there, one figure per operation and concurrency, in
# JSON, text and HTML. No timing is asserted: this machine is shared, and
# figures are for people.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cli" bench --backend none --backend splitbox --backend bubblewrap-hardened --runs 5 --warmup 1 --concurrency 1,3 \
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
# Throughput: each measured operation at each level, in order, with at least two operations per thread.
check "the run names its throughput levels (1,3)" jq -e '.throughputConcurrency == [1,3] and .concurrency == 1' "$out/bench.json"
check "every measured operation has a throughput figure per level (28 x 2)" jq -e '
  [.backends[].ops[] | select(.stats)] as $m | ($m | length) == 28 and
  all($m[]; (.throughput | length) == 2 and ([.throughput[].concurrency] == [1,3])
      and all(.throughput[]; (.n | type) == "number" and .n >= 1 and .opsPerSec > 0 and (.error | not)))' "$out/bench.json"
check "... the level of the latency figures is their own round" jq -e '
  all(.backends[].ops[] | select(.stats); .throughput[0].opsPerSec == .throughputPerSec and .throughput[0].n == .stats.n)' "$out/bench.json"
check "... and every thread of the other ran two operations at least" jq -e \
  'all(.backends[].ops[] | select(.stats); .throughput[1].n >= 6)' "$out/bench.json"
check "operations without figures have no throughput either" jq -e \
  'all(.backends[].ops[] | select(.notSupported); has("throughput") | not)' "$out/bench.json"
"$cli" bench --backend none --op shared.readFile-4KiB --op user.exec --runs 3 --warmup 0 --json >"$out/default.json"; rc=$?
check "by default (exit $rc), throughput at concurrency 1, 16 and 64" jq -e \
  '.throughputConcurrency == [1,16,64] and all(.backends[].ops[]; [.throughput[].concurrency] == [1,16,64]
   and all(.throughput[]; .opsPerSec > 0))' "$out/default.json"
"$cli" bench --backend none --op user.exec --op shared.readFile-4KiB --runs 3 --warmup 0 --concurrency 1,2 >"$out/table"; rc=$?
check "the table for people (exit $rc)" grep -q '^none *user.exec ' "$out/table"
check "... and its throughput table: a heading per level" grep -Eq '^backend +op +N=1 +N=2$' "$out/table"
check "... a row of two figures per operation" test "$(sed -n '/^throughput/,$p' "$out/table" \
  | grep -Ec '^none +(user.exec|shared.readFile-4KiB) +[0-9]+\.[0-9] +[0-9]+\.[0-9]$')" -eq 2
"$cli" bench --backend none --op shared.readFile-4KiB --runs 3 --warmup 0 --concurrency 1,2 --format html >"$out/b.html"; rc=$?
check "the HTML page (exit $rc) has the throughput table, a column per level" grep -q '<table id="throughput"><tr><th>backend</th><th>operation</th><th>N=1</th><th>N=2</th></tr>' "$out/b.html"
check "... and a row per operation" grep -Eq '^<tr><td>none</td><td>shared.readFile-4KiB</td><td>[0-9.]+</td><td>[0-9.]+</td></tr>$' "$out/b.html"
for bad in 0 1,,2 300 1,1 a 1,2,3,4,5,6,7,8,9 ""; do
  "$cli" bench --backend none --op user.exec --concurrency "$bad" 2>/dev/null; rc=$?
  check "--concurrency \"$bad\" is a usage error (2, was $rc)" test $rc -eq 2
done
"$cli" bench --op no-such-op 2>/dev/null; rc=$?
check "an unknown operation is a usage error (2)" test $rc -eq 2
finish
