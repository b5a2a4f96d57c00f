#!/usr/bin/env bash
# splitbox audit end to end, on the backends CI must have: the positive
# control, the design's literal sketch, bubblewrap done carefully, and
# splitbox. Asserts what each must show, the report files and their schema,
# and the policy exit codes.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Work directories of other audits on this host are theirs: compare before and after.

# Four backends (the control and the three named) times every probe of the table.
probes=$("${SBX_PROBE:?set by meson}" --list | wc -l)
cells=$((4 * probes))
check "the probe table lists probes" test "$probes" -gt 20
"$cli" audit --backend seed-literal --backend bubblewrap-hardened --backend splitbox --out "$out" 2>"$out/progress"
rc=$?
# Exit 2 is right when a cell is ERROR. The one ERROR this test tolerates is net-sniff seeing another
# audit's canary on the host's loopback (other audits share this machine): it is named, never hidden.
foreign=$(grep -c "net-sniff .* error .*canary-like token(s) that are not this run's canary" "$out/progress")
others=$(grep -c '^\[.*\] .* error ' "$out/progress")
[ "$rc" -eq 2 ] && [ "$others" -gt 0 ] && [ "$others" -eq "$foreign" ] &&
  echo "# exit 2 from $foreign net-sniff cell(s) that saw another audit's canary on this host"
check "audit without a policy exits 0, or 2 for foreign canaries only (was $rc)" \
  test $rc -eq 0 -o \( $rc -eq 2 -a "$others" -gt 0 -a "$others" -eq "$foreign" \)
check "progress: one line per cell, and a count" grep -q "^\\[ *$cells/$cells\\] " "$out/progress"
for f in report.md report.json junit.xml; do check "it writes $f" test -s "$out/$f"; done
check "report.json satisfies reports/schema.json" "$validate" "$src/reports/schema.json" "$out/report.json"
"$cli" report rows "$out/report.json" >"$out/rows"
row() { awk -F'\t' -v b="$1" -v r="$2" '$1 == b && $2 == r { print $3 }' "$out/rows"; }
confidentiality=("Read env vars" "Read /proc/*/environ" "Process listing (ps)" "Debugger attach" "Memory reading"
                 "Network sniffing" "Filesystem access" "IPC (SysV shm, POSIX shm, keyrings)"
                 "Network services (loopback, abstract sockets)" "Control plane (executor API)"
                 "Ownership in the shared dir")
for r in "${confidentiality[@]}"; do
  check "none (the control) leaks: $r" test "$(row none "$r")" = LEAKED
  check "splitbox blocks: $r" test "$(row splitbox "$r")" = BLOCKED
done
for r in "Capabilities of user code" "Kernel surface (io_uring, bpf, nested userns)" "Symlinks in the shared dir" \
         "Integrity of the platform's files"; do
  check "none (the control) leaks: $r" test "$(row none "$r")" = LEAKED
  check "splitbox blocks: $r" test "$(row splitbox "$r")" = BLOCKED
done
for r in "Read /proc/*/environ" "Process listing (ps)" "Debugger attach"; do
  check "seed-literal, the design's own sketch, leaks: $r" test "$(row seed-literal "$r")" = LEAKED
done
# Across tenants (a second sandbox of the same backend): none's second instance is plain host processes,
# its leak real (the control); splitbox's second sandbox on the same daemon must be out of reach; a backend
# with one sandbox is N/A, saying so, never BLOCKED.
tenant_rows=("Cross-tenant: another sandbox's platform" "Cross-tenant: another sandbox's user code")
for r in "${tenant_rows[@]}"; do
  check "none (the control) leaks: $r" test "$(row none "$r")" = LEAKED
  check "splitbox blocks: $r" test "$(row splitbox "$r")" = BLOCKED
  check "bubblewrap-hardened, one sandbox, is N/A: $r" test "$(row bubblewrap-hardened "$r")" = N/A
done
check "... N/A because it has one sandbox" grep -q 'bubblewrap-hardened *cross-tenant-user *unsupported .*the backend has one sandbox' "$out/progress"
check "splitbox's second sandbox was made and deleted" \
  perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); my ($b) = grep { $_->{name} eq "splitbox" } @{$d->{backends}};
    exit(($b->{secondSandbox} // "") eq "made and deleted" ? 0 : 1)' <"$out/report.json"
# Each cell's victim and how it was stopped, read by field name (a cell's fields are one per line; how many
# lie between "backend" and "victimCleanup" depends on the cell).
victims() { awk -F'"' -v b="$1" '$2 == "backend" { cur = $4 } cur == b && ($2 == "marker" || $2 == "victimCleanup") {
  print $2 "=" $4 }' "$2"; }
victims splitbox "$out/report.json" >"$out/splitbox-victims"
with_victim=$(grep -c '^marker=' "$out/splitbox-victims") clean=$(grep -cx 'victimCleanup=ok' "$out/splitbox-victims")
check "splitbox's cells with a victim are in the report ($with_victim)" test "$with_victim" -gt 0
check "every cell of splitbox with a victim stopped it cleanly ($clean of $with_victim)" test "$clean" -eq "$with_victim"
check "the markdown table has the design's claim beside seed-literal" grep -q '| seed-literal | claimed by design |' "$out/report.md"
check "junit has a testcase per backend and probe" test "$(grep -c '<testcase ' "$out/junit.xml")" -eq "$cells"
# What strict consumers require: time, timestamp and hostname on each testsuite, classname on each testcase.
suites=$(grep -c '<testsuite ' "$out/junit.xml")
check "junit: $suites testsuites, each with time, timestamp (no zone) and hostname" test "$suites" -gt 0 -a \
  "$(grep -cE '<testsuite [^>]* time="[0-9.]+" timestamp="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}" hostname="[^"]+"' "$out/junit.xml")" -eq "$suites"
check "junit: every testcase has a classname" test "$(grep -c '<testcase classname="[^"]' "$out/junit.xml")" -eq "$cells"

# Policies: exit 0 when they hold, 1 with the cells when not, 2 on errors.
"$cli" audit --backend splitbox --probe proc-environ --probe ptrace --out "$out/p1" --quiet \
  --policy "$src/fixtures/policies/strict.json" 2>"$out/p1.log"; rc=$?
check "strict holds for splitbox: exit 0 (was $rc)" test $rc -eq 0
"$cli" audit --backend seed-literal --probe proc-environ --probe ptrace --out "$out/p2" --quiet \
  --policy "$src/fixtures/policies/seed-claims.json" 2>"$out/p2.log"; rc=$?
check "seed-claims fails for seed-literal: exit 1 (was $rc)" test $rc -eq 1
check "... listing the violated cells" grep -q 'seed-literal / Read /proc/\*/environ: LEAKED (proc-environ)' "$out/p2.log"
echo '{"backends":"*","rows":["No such row"]}' >"$out/bad-policy.json"
"$cli" audit --backend splitbox --probe ptrace --out "$out/p3" --quiet --policy "$out/bad-policy.json" 2>/dev/null; rc=$?
check "a policy naming an unknown row: exit 2 (was $rc)" test $rc -eq 2
"$cli" audit --probe no-such-probe --out "$out/p4" 2>/dev/null; rc=$?
check "an unknown probe: exit 2 (was $rc)" test $rc -eq 2
# Exit 2 whenever something could not be checked, whatever the policy; the bad input before any work.
"$cli" audit --backend "$src/fixtures/backends-test/needs-missing-tool.json" --probe ptrace --out "$out/p5" --quiet \
  --policy "$src/fixtures/policies/strict.json" 2>"$out/p5.log"; rc=$?
check "a named backend that cannot run here: exit 2 (was $rc)" test $rc -eq 2
check "... saying why" grep -q 'cannot run here: needs sbx-no-such-tool' "$out/p5.log"
check "... before any work (no report)" test ! -e "$out/p5/report.json"
"$cli" audit --backend "$out/no-such-spec.json" --probe ptrace --out "$out/p8" --quiet 2>"$out/p8.log"; rc=$?
check "a missing spec: exit 2 (was $rc), before any work" test $rc -eq 2 -a ! -e "$out/p8/report.json"
check "... naming it" grep -q 'no-such-spec.json' "$out/p8.log"
"$cli" audit --backend splitbox --probe ptrace --format md,xml --out "$out/p9" --quiet 2>"$out/p9.log"; rc=$?
check "an unknown format: exit 2 (was $rc), before any work" test $rc -eq 2 -a ! -e "$out/p9/report.md"
check "... naming it" grep -q 'unknown format "xml"' "$out/p9.log"
"$cli" audit --backend splitbox --probe ptrace --out "$out/p10" --quiet --policy "$out/no-such-policy.json" \
  2>"$out/p10.log"; rc=$?
check "a missing policy: exit 2 (was $rc), before any work" test $rc -eq 2 -a ! -e "$out/p10/report.json"
# The control is the control: a spec that calls itself "none" is refused, as are two backends of one name.
sed 's/"name": "seed-literal"/"name": "none"/' "$src/fixtures/backends/seed-literal.json" >"$out/impostor.json"
"$cli" audit --backend "$out/impostor.json" --probe ptrace --out "$out/p6" --quiet \
  --policy "$src/fixtures/policies/strict.json" 2>"$out/p6.log"; rc=$?
check "a spec named like the positive control is refused: exit 2 (was $rc)" test $rc -eq 2
"$cli" audit --backend splitbox --backend "$src/fixtures/backends/splitbox.json" --probe ptrace --out "$out/p7" --quiet \
  2>"$out/p7.log"; rc=$?
check "two backends of one name are refused: exit 2 (was $rc)" test $rc -eq 2
"$cli" report render "$out/report.json" --out "$out/again" 2>/dev/null
check "report render re-renders a run's JSON" cmp -s "$out/report.md" "$out/again/report.md"

# Results that cannot be faked by accident: a wrapper that prints a canned clean
# report, and one that masks secrets in output as CI logs do. The control leaks
# in the same run; these must be ERROR (or LEAKED), never BLOCKED.
"$cli" audit --backend "$src/fixtures/backends-test/forged-output.json" \
  --backend "$src/fixtures/backends-test/masked-output.json" --probe env-self --probe proc-environ --probe keyring \
  --out "$out/fake" --quiet 2>/dev/null; rc=$?
check "ERROR cells: exit 2 (was $rc)" test $rc -eq 2
# The same with a policy that the ERROR cells would otherwise only violate (exit 1).
"$cli" audit --backend "$src/fixtures/backends-test/forged-output.json" --probe env-self --out "$out/fake-p" --quiet \
  --no-latency --policy "$src/fixtures/policies/strict.json" 2>"$out/fake-p.log"; rc=$?
check "ERROR cells under a policy: exit 2, not 1 (was $rc)" test $rc -eq 2
check "... the cell is listed with why" grep -q "forged-output / env-self: the probe's report does not carry this cell's nonce" \
  "$out/fake-p.log"
"$cli" report rows "$out/fake/report.json" >"$out/fake/rows"
for r in "Read env vars" "Read /proc/*/environ" "IPC (SysV shm, POSIX shm, keyrings)"; do
  check "fakes: the control leaks: $r" grep -qF "none	$r	LEAKED" "$out/fake/rows"
  check "a canned report is ERROR, not BLOCKED: $r" grep -qF "forged-output	$r	ERROR" "$out/fake/rows"
  check "masked secrets are ERROR, not BLOCKED: $r" grep -qF "masked-output	$r	ERROR" "$out/fake/rows"
done

# A probe that skipped one of its techniques (issue 14.2): a wrapper that drops
# ps-scan's kill-oracle attempts from its report. Its other technique found
# nothing, so without the check of .techniques the cell would be BLOCKED.
"$cli" audit --backend "$src/fixtures/backends-test/skipped-technique.json" --probe ps-scan --no-latency \
  --out "$out/skipped" --quiet 2>/dev/null
"$cli" report rows "$out/skipped/report.json" >"$out/skipped/rows"
check "skipped technique: the control leaks" grep -qF "none	Process listing (ps)	LEAKED" "$out/skipped/rows"
check "a technique without an attempt is ERROR, not BLOCKED" \
  grep -qF "skipped-technique	Process listing (ps)	ERROR" "$out/skipped/rows"
check "the reason names the technique" grep -qF "the probe made no attempt at kill-oracle" "$out/skipped/report.json"

# What once slipped past: user code handed an fd to the platform's credentials
# file, which it may not open by path (the probe only re-opened /proc/self/fd/N).
"$cli" audit --backend "$src/fixtures/backends-test/inherited-fd.json" --probe env-self --out "$out/fd" --quiet \
  2>/dev/null
"$cli" report rows "$out/fd/report.json" >"$out/fd/rows"
check "inherited fd: the control leaks" grep -qF "none	Read env vars	LEAKED" "$out/fd/rows"
check "an inherited fd to the platform's credentials is LEAKED, not BLOCKED" \
  grep -qF "inherited-fd	Read env vars	LEAKED" "$out/fd/rows"

"$cli" audit --backend "$src/fixtures/backends-test/no-command.json" --probe env-self --out "$out/nocmd" --quiet \
  2>"$out/nocmd.log"; rc=$?
check "a spec whose user argv never runs the command is refused: exit 2 (was $rc)" test $rc -eq 2
check "... saying why" grep -q 'never runs the command' "$out/nocmd.log"

# Staging needs no root on the platform side: there, the platform is uid 65534, which may not chmod the
# harness's files (written 0755 already).
"$cli" audit --backend "$src/fixtures/backends-test/platform-other-uid.json" --probe env-self --probe ps-scan \
  --no-latency --out "$out/otheruid" --quiet 2>"$out/otheruid.log"; rc=$?
check "a platform of another uid: the tools are staged, no ERROR (exit $rc)" \
  bash -c "[ $rc -eq 0 ] && grep -q ', 0 errors in' '$out/otheruid.log'"

# The reference in userns mode, with and without subordinate ids: tenant B out of reach too, in the same
# run as the control's leak.
"$cli" audit --backend splitbox-userns --backend splitbox-userns-subids --probe cross-tenant-platform \
  --probe cross-tenant-user --no-latency --out "$out/tenants" --quiet 2>"$out/tenants.log"; rc=$?
check "cross-tenant in userns mode: exit 0 (was $rc)" test $rc -eq 0
"$cli" report rows "$out/tenants/report.json" >"$out/tenants/rows"
for r in "${tenant_rows[@]}"; do
  check "tenants: the control leaks: $r" grep -qF "none	$r	LEAKED" "$out/tenants/rows"
  for b in splitbox-userns splitbox-userns-subids; do
    check "$b blocks: $r" grep -qF "$b	$r	BLOCKED" "$out/tenants/rows"
  done
done

# Nothing is left behind: no victim, no work directory.
# Only this test's victims: other audits may run on this host. Their markers are in the reports.
markers=$(cat "$out"/report.json "$out"/*/report.json 2>/dev/null | grep -o '"marker":[[:space:]]*"sbxm[0-9a-f]*"' |
  grep -o 'sbxm[0-9a-f]*' | sort -u)
check "the reports name their victims' markers" test -n "$markers"
left=""
for m in $markers; do pgrep -f "splitbox-victim --marker $m" >/dev/null && left="$left $m"; done
check "no victim process of this test is left:$left" test -z "$left"
# Only this test's work directories (the reports name them): other audits may run on this host.
ours=$(cat "$out"/report.json "$out"/*/report.json 2>/dev/null | grep -oE '"(workdir|secondSandboxWorkdir)":[[:space:]]*"[^"]*"' |
  sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
check "the reports name their work directories" test -n "$ours"
left=""
for d in $ours; do [ -e "$d" ] && left="$left $d"; done
check "no work directory of this test is left:$left" test -z "$left"
finish
