#!/usr/bin/env bash
# The README's CI gate, its lines taken from README.md and run verbatim, each
# from a clean environment (env -i: no SPLITBOX_* or SBX_* variable, so the CLI
# must find its own tools), in the workspace a CI job has: this repository,
# built, in splitbox/, and the spec in ci/my-sandbox.json. The gate passes on
# the reference, and fails on a backend that leaks (exit 1) and on one that
# could not be tested (exit 2).
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

awk '/<!-- ci-gate/ { m = 1; next } m && /^```sh/ { b = 1; next } b && /^```/ { exit } b { print }' \
  "$src/README.md" >"$out/gate"
check "README.md has the CI gate's commands" test "$(wc -l <"$out/gate")" -eq 2
check "... a conform line and an audit line, on ci/my-sandbox.json" \
  bash -c "grep -q ' conform .*ci/my-sandbox.json' '$out/gate' && grep -q ' audit .*ci/my-sandbox.json' '$out/gate'"

# The workspace: splitbox/ holds this repository and its build (the build under test, wherever meson put it).
mkdir -p "$out/ws/splitbox" "$out/ws/ci" "$out/home"
ln -s "$(cd "$(dirname "$cli")/.." && pwd)" "$out/ws/splitbox/build"
for f in fixtures README.md scripts; do ln -s "$src/$f" "$out/ws/splitbox/$f"; done
clean_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$out/home")
check "the clean environment has no SPLITBOX_* or SBX_* variable" \
  bash -c "! ${clean_env[*]} env | grep -qE '^(SPLITBOX|SBX)_'"

# gate SPEC: each line of the gate, in order, from the clean environment; prints each line's exit status.
gate() {
  cp "$1" "$out/ws/ci/my-sandbox.json"
  rm -rf "$out/ws/conform.xml" "$out/ws/audit"
  while IFS= read -r line; do
    (cd "$out/ws" && "${clean_env[@]}" bash -c "$line" >>"$out/gate.log" 2>&1)
    printf '%s ' $?
  done <"$out/gate"
}

rcs=$(gate "$src/fixtures/backends/splitbox.json")
check "on the reference, conform and audit exit 0 (were $rcs)" test "$rcs" = "0 0 "
check "... conform ran its tests (none skipped on the reference)" \
  grep -qE '<testsuites name="splitbox conform ci/my-sandbox.json" tests="2[0-9]" failures="0" errors="0" skipped="0"' \
  "$out/ws/conform.xml"
check "... and the audit wrote its report" test -s "$out/ws/audit/report.md"
: >"$out/gate.log"
rcs=$(gate "$src/fixtures/backends/seed-literal.json")
# The audit's 1 may be a 2 on a shared machine: net-sniff can catch another audit's canary on the host's
# loopback (an ERROR cell). The gate fails either way; the policy's violation must be reported.
check "on a backend that leaks, the gate fails: conform 1, audit 1 (were $rcs)" \
  bash -c "[ '$rcs' = '1 1 ' ] || { [ '$rcs' = '1 2 ' ] && grep -q 'net-sniff: .*not this run.s canary' '$out/gate.log'; }"
check "... the policy's violation is reported" grep -q 'policy .*strict.json is violated in' "$out/gate.log"
rcs=$(gate "$src/fixtures/backends-test/needs-missing-tool.json")
check "on a backend that cannot be tested, the gate fails: 2 and 2 (were $rcs)" test "$rcs" = "2 2 "
[ $failed -eq 0 ] || tail -30 "$out/gate.log"
finish
