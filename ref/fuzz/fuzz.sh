#!/usr/bin/env bash
# fuzz.sh FUZZER SEEDS: runs FUZZER for $FUZZ_SECONDS on a scratch corpus
# grown from SEEDS (never written to), and keeps any crash input beside it,
# in fuzz-out/NAME/.
set -u
fuzzer=$1 seeds=$2
out=$(dirname "$fuzzer")/fuzz-out/$(basename "$fuzzer")
mkdir -p "$out/corpus"
# The fuzzer's state (fuzz-api's sandboxes and canary dir) goes here, and
# goes with the run, even one that crashed. Short: socket paths must fit.
SBX_FUZZ_TMP=$(mktemp -d /tmp/sbx-fuzz.XXXXXX) || exit 1
export SBX_FUZZ_TMP
trap 'rm -rf "$SBX_FUZZ_TMP"' EXIT
# The target's words, if it has a dictionary: ref/fuzz/api.dict for fuzz-api.
dict=()
words=$(dirname "$seeds")/../$(basename "$fuzzer" | sed 's/^fuzz-//').dict
[ -f "$words" ] && dict=(-dict="$words")
# The whole output in $out/log; here the figures (coverage at start and end,
# executions, speed), or the end of the log after a crash.
"$fuzzer" "${dict[@]}" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" "$seeds" >"$out/log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
  grep -a -E '(INITED|DONE) |^Done |^stat::|^fuzz-api: ' "$out/log"
else
  tail -60 "$out/log"
fi
if [ "$rc" -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed (crash inputs in $out)"; fi
# Not libFuzzer's own status: its default for a crash is 77, which meson takes for a skip.
[ "$rc" -eq 0 ] || exit 1
