#!/usr/bin/env bash
# Spec tooling: every shipped spec and policy satisfies its schema
# (reports/backend.schema.json, reports/policy.schema.json); `splitbox
# backends check` passes them and names the field and the fix for broken
# ones; `splitbox backends PATH` lists a spec file; a policy that breaks its
# schema stops the audit before any work.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

n=0
for f in "$src"/fixtures/backends*/*.json; do
  n=$((n + 1))
  check "$(basename "$(dirname "$f")")/$(basename "$f") satisfies backend.schema.json" \
    "$validate" "$src/reports/backend.schema.json" "$f"
  case $f in
    */no-command.json) ;; # refused by the loader on purpose (its argv never runs the command)
    *) check "backends check passes $(basename "$f")" "$cli" backends check "$f" ;;
  esac
done
check "there are specs to check ($n)" test "$n" -gt 10
for f in "$src"/fixtures/policies/*.json; do
  check "policies/$(basename "$f") satisfies policy.schema.json" "$validate" "$src/reports/policy.schema.json" "$f"
done

# The checks can fail, and say how to fix what they found.
none="$src/fixtures/backends/none.json"
sed 's/"platform": {/"platfrom": {/' "$none" >"$out/typo.json"
sed 's/"secrets": "sandbox"/"secrets": "calls"/' "$none" >"$out/enum.json"
grep -v '"description"' "$none" >"$out/nodesc.json"
sed 's/{workdir}/{workdri}/' "$none" >"$out/placeholder.json"
sed 's/"kind": "command"/"kind": "command",,/' "$none" >"$out/notjson.json"
check "control: the schema refuses a misspelt field" bash -c "! '$validate' '$src/reports/backend.schema.json' '$out/typo.json'"
"$cli" backends check "$out/typo.json" >"$out/typo.txt"; rc=$?
check "backends check: a misspelt field fails (exit 1, was $rc)" test $rc -eq 1
check "... naming it and the fix" grep -qE '^  schema: /platfrom: is not allowed|did you mean "platform"' "$out/typo.txt"
check "... and the fix" grep -q 'fix: did you mean "platform"?' "$out/typo.txt"
"$cli" backends check "$out/enum.json" >"$out/enum.txt"; rc=$?
check "a value outside its set fails (exit 1, was $rc) and lists the values" \
  bash -c "[ $rc -eq 1 ] && grep -q 'fix: use one of: \"call\" \"sandbox\"' '$out/enum.txt'"
"$cli" backends check "$out/nodesc.json" >"$out/nodesc.txt"; rc=$?
check "a missing field fails (exit 1, was $rc) and says to add it" \
  bash -c "[ $rc -eq 1 ] && grep -q 'fix: add \"description\": what it models' '$out/nodesc.txt'"
"$cli" backends check "$out/placeholder.json" >"$out/ph.txt"; rc=$?
check "an unknown placeholder fails (exit 1, was $rc) and says about {{" \
  bash -c "[ $rc -eq 1 ] && grep -q '{workdri}: unknown placeholder' '$out/ph.txt' && grep -q 'write {{ for a literal brace' '$out/ph.txt'"
"$cli" backends check "$out/notjson.json" >"$out/nj.txt"; rc=$?
check "a file that is not JSON fails (exit 1, was $rc), with the line" \
  bash -c "[ $rc -eq 1 ] && grep -q 'not JSON: the error is near line' '$out/nj.txt'"
"$cli" backends check "$none" >"$out/ok.txt"; rc=$?
check "a good spec passes (exit 0, was $rc) and its placeholders are explained" \
  bash -c "[ $rc -eq 0 ] && grep -q '{workdir}: a fresh directory per run' '$out/ok.txt' && grep -q '{command}: the command to run' '$out/ok.txt'"
SBX_CHECK_TOKEN=secret-value "$cli" backends check "$src/fixtures/backends-test/session-shell.json" >"$out/ss.txt"
check "{env:NAME}: said whether it is set, never its value" \
  bash -c "grep -q 'SBX_SESSION_SERVER' '$out/ss.txt' && ! grep -q secret-value '$out/ss.txt'"
"$cli" backends check 2>/dev/null; rc=$?
check "backends check without a file: usage error (2, was $rc)" test $rc -eq 2

# backends takes paths.
"$cli" backends "$src/fixtures/backends-test/needs-missing-tool.json" >"$out/list.txt"; rc=$?
check "backends PATH lists that spec (exit $rc)" grep -q '^  needs-missing-tool  *command  *needs sbx-no-such-tool' "$out/list.txt"
"$cli" backends --json none "$out/typo.json" >"$out/list.json"
check "backends --json NAME PATH" bash -c "jq -e 'length == 2 and .[0].available' '$out/list.json' >/dev/null"

# A policy that breaks its schema: exit 2 before any work.
echo '{"name": "p", "backends": "*", "rowz": "*"}' >"$out/policy.json"
"$cli" audit --backend none --probe env-self --policy "$out/policy.json" --out "$out/a" 2>"$out/a.log"; rc=$?
check "a policy outside its schema: exit 2 before any work (was $rc)" test $rc -eq 2 -a ! -e "$out/a/report.json"
check "... saying what is wrong" grep -q 'policy.schema.json: /: lacks the required "rows"' "$out/a.log"
finish
