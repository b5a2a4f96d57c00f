#!/usr/bin/env bash
# splitbox conform, as CI users run it: TAP on stdout, JUnit XML to a file,
# and an exit status that fails when a test fails.
set -u
cli=${SPLITBOX_CLI:?set by meson}
. "$SBX_SOURCE_ROOT/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cli" conform --backend none --tap --xml "$out/none.xml" -- --filter 'contexts/*' >"$out/none.tap" 2>/dev/null; rc=$?
check "on none the isolation tests fail, and so does conform (exit 1, was $rc)" test $rc -eq 1
check "TAP on stdout names the failure" grep -qE '^not ok [0-9]+ - contexts::a_platform_process_is_invisible_to_user_code$' "$out/none.tap"
# What prove uses: no parse error after a failure, the plan as many as the tests, failures and skips counted.
tap_parse() { perl -MTAP::Parser -e 'my $p = TAP::Parser->new({ source => $ARGV[0] }); while (defined $p->next) {}
  printf "errors=%d planned=%d run=%d failed=%d skipped=%d\n", scalar($p->parse_errors), $p->tests_planned // -1,
    $p->tests_run, scalar($p->failed), scalar($p->skipped)' "$1"; }
parsed=$(tap_parse "$out/none.tap")
check "TAP::Parser reads it, failures included: $parsed" grep -qE '^errors=0 planned=([0-9]+) run=\1 failed=3 skipped=[1-9]' <<<"$parsed"
check "JUnit XML counts the failures" grep -q 'failures="3"' "$out/none.xml"
check "JUnit: each testsuite names the backend, with time, timestamp and hostname" \
  grep -qE '<testsuite name="splitbox conform none: contexts" [^>]* time="[0-9.]+" timestamp="[0-9-]+T[0-9:]+" hostname="[^"]+">' "$out/none.xml"
check "JUnit: every testcase has a classname" \
  test "$(grep -c '<testcase ' "$out/none.xml")" -eq "$(grep -c '<testcase classname="[^"]' "$out/none.xml")"
"$cli" conform --backend splitbox --tap -- --filter 'errors/*' >"$out/splitbox.tap" 2>/dev/null; rc=$?
check "on splitbox the error contract holds (exit 0, was $rc)" test $rc -eq 0
check "... four tests, all passed" test "$(grep -cE '^ok [0-9]+ - errors::[a-z_]+$' "$out/splitbox.tap")" -eq 4
check "TAP: a skip names the feature the backend lacks" \
  grep -qE '^ok [0-9]+ - contexts::a_user_process_started_by_startprocess_is_visible_to_a_later_user_exec # SKIP none: the command backend has no persistent user context' "$out/none.tap"
check "JUnit: the same skip, with its reason" \
  grep -q '<skipped message="none: the command backend has no persistent user context (each exec is fresh)"/>' "$out/none.xml"
check "JUnit: tests the filter left out are not counted" grep -q '<testsuites name="splitbox conform none" tests="7"' "$out/none.xml"
"$cli" conform 2>/dev/null; rc=$?
check "conform without --backend is a usage error (2)" test $rc -eq 2

# Never green when nothing was checked: exit 2.
"$cli" conform --backend "$SBX_SOURCE_ROOT/fixtures/backends-test/needs-missing-tool.json" --xml "$out/u.xml" \
  >"$out/u.tap" 2>"$out/u.log"; rc=$?
check "an unavailable backend: exit 2 (was $rc)" test $rc -eq 2
check "... saying why" grep -q 'cannot run here, nothing was tested: needs sbx-no-such-tool' "$out/u.log"
"$cli" conform --backend "$out/no-such-spec.json" 2>"$out/m.log"; rc=$?
check "a missing spec: exit 2 (was $rc)" test $rc -eq 2
"$cli" conform --backend splitbox --tap -- --filter 'no-such-suite/*' >"$out/f.tap" 2>"$out/f.log"; rc=$?
check "no test ran (all left out): exit 2 (was $rc)" test $rc -eq 2
check "... saying so" grep -q 'no test ran: nothing was checked' "$out/f.log"
finish
