#!/usr/bin/env bash
# Mutation testing of the harness itself: misconfigured backends
# (fixtures/mutants/: bubblewrap-hardened with one mistake each, and the
# wrappers of fixtures/backends-test/ that forge, mask or drop what they run),
# each with what the audit must find (fixtures/mutants-expected.json): the rows
# it must call LEAKED, or cells that must all be ERROR. A BLOCKED where a leak
# is expected fails the test: the audit lost its power to catch that mistake.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
expected=$src/fixtures/mutants-expected.json
# KIND: the specs whose expectation has that key, one per line.
specs() { perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; my $m = decode_json(<$f>)->{mutants};
  print "$_\n" for grep { exists $m->{$_}{$ARGV[1]} } sort keys %$m' "$expected" "$1"; }
# The rows a spec's expectation lists under KIND, one per line.
rows() { perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; my $e = decode_json(<$f>)->{mutants}{$ARGV[1]}{$ARGV[2]};
  print "$_\n" for ref $e ? @$e : ()' "$expected" "$1" "$2"; }
# A spec's name, as the report has it.
name() { perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; print decode_json(<$f>)->{name}' "$src/$1"; }

check "at least 15 misconfigured backends, each with what must be found" \
  test "$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; print scalar keys %{decode_json(<$f>)->{mutants}}' "$expected")" -ge 15

# Refused at load: never run, never a verdict.
for spec in $(specs refused); do
  "$cli" audit --backend "$src/$spec" --probe env-self --out "$out/refused" --quiet 2>"$out/refused.err"; rc=$?
  check "$spec is refused when it loads (exit 2, was $rc)" test $rc -eq 2
done

# One audit over the rest: the control runs once for all of them.
args=()
for spec in $(specs leak) $(specs error) $(specs noBlocked); do args+=(--backend "$src/$spec"); done
start=$(date +%s)
"$cli" audit "${args[@]}" --no-latency --format json --out "$out" 2>"$out/progress"; rc=$?
echo "# $(tail -1 "$out/progress") (exit $rc, $(( $(date +%s) - start )) s)"
check "the audit of the mutants ran (exit 0, 1 or 2 for their ERROR cells, not a crash: was $rc)" test $rc -le 2 -a -s "$out/report.json"
"$cli" report rows "$out/report.json" >"$out/rows"

for spec in $(specs leak); do
  b=$(name "$spec")
  while IFS= read -r row; do
    got=$(awk -F'\t' -v b="$b" -v r="$row" '$1 == b && $2 == r { print $3 }' "$out/rows")
    check "$b: \"$row\" is LEAKED (was ${got:-not run})" test "$got" = LEAKED
  done < <(rows "$spec" leak)
done
for spec in $(specs noBlocked); do
  b=$(name "$spec")
  while IFS= read -r row; do
    got=$(awk -F'\t' -v b="$b" -v r="$row" '$1 == b && $2 == r { print $3 }' "$out/rows")
    check "$b: \"$row\" is not BLOCKED (was ${got:-not run})" test -n "$got" -a "$got" != BLOCKED
  done < <(rows "$spec" noBlocked)
done
for spec in $(specs error); do
  b=$(name "$spec")
  # The cross-tenant rows of a backend with one sandbox run no probe: N/A, which is not BLOCKED either.
  total=$(awk -F'\t' -v b="$b" '$1 == b && $2 !~ /^Cross-tenant: /' "$out/rows" | wc -l)
  errors=$(awk -F'\t' -v b="$b" '$1 == b && $2 !~ /^Cross-tenant: / && $3 == "ERROR"' "$out/rows" | wc -l)
  check "$b: every row is ERROR ($errors of $total)" test "$total" -gt 0 -a "$errors" -eq "$total"
  tenant=$(awk -F'\t' -v b="$b" '$1 == b && $2 ~ /^Cross-tenant: / && $3 != "ERROR" && $3 != "N/A"' "$out/rows" | wc -l)
  check "$b: its cross-tenant rows are ERROR or N/A ($tenant others)" test "$tenant" -eq 0
done
finish
