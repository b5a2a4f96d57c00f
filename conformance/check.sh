#!/usr/bin/env bash
# check.sh SUITE BACKEND EXPECTED: runs the conformance suite against BACKEND
# and compares every test's result with EXPECTED, whose lines are
# "suite::test fail|skip" (any other test must pass). A result that differs,
# either way, fails the check: a test expected to fail that passes means the
# suite or the backend changed.
set -u
suite=$1 backend=$2 expected=$3
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
SPLITBOX_BACKEND=$backend "$suite" --jobs 2 --tap="$tap" >/dev/null 2>&1
passed=0 failed=0
while read -r status name reason; do
  want=pass
  line=$(grep -E "^$(printf '%s' "$name" | sed 's/[][\.*^$/]/\\&/g') " "$expected" 2>/dev/null | head -1)
  [ -n "$line" ] && want=${line##* }
  if [ "$status" = "$want" ]; then
    passed=$((passed + 1)); echo "ok - $backend: $name is $status${reason:+ ($reason)}"
  else
    failed=$((failed + 1)); echo "not ok - $backend: $name is $status, expected $want${reason:+ ($reason)}"
  fi
done < <(awk '
  /^ok - / { st = ($0 ~ /# SKIP/) ? "skip" : "pass"; r = $0; sub(/.*# SKIP ?/, "", r); print st, $3, (st == "skip" ? r : ""); next }
  /^not ok - / { print "fail", $4, "" }' "$tap")
[ $((passed + failed)) -gt 0 ] || { echo "not ok - $backend: the suite reported no tests"; failed=1; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
