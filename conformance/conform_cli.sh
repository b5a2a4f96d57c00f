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
check "TAP on stdout names the failure" grep -q '^not ok - contexts::a_platform_process_is_invisible_to_user_code' "$out/none.tap"
check "JUnit XML counts the failures" grep -q 'failures="3"' "$out/none.xml"
"$cli" conform --backend splitbox --tap -- --filter 'errors/*' >"$out/splitbox.tap" 2>/dev/null; rc=$?
check "on splitbox the error contract holds (exit 0, was $rc)" test $rc -eq 0
check "... four tests, all passed" test "$(grep -c '^ok - errors::' "$out/splitbox.tap")" -eq 4
"$cli" conform 2>/dev/null; rc=$?
check "conform without --backend is a usage error (2)" test $rc -eq 2
finish
