#!/usr/bin/env bash
# Many machines: `splitbox report merge` on reports of simulated hosts (the
# golden report, renamed and changed), its policy check across the fleet, and
# the engines' files that run the audit on real fleets (a GitHub Actions
# matrix, a Kubernetes Job, the image), loaded as YAML and checked against the
# README's command. No cluster is at hand: these files are parsed, not run.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# host NAME KERNEL MODE [LEAK]: the golden report as if run on NAME; LEAK turns
# splitbox's env-self cell from BLOCKED to LEAKED (a host where it leaks).
host() {
  perl -MJSON::PP -e '
    my ($file, $name, $kernel, $mode, $leak) = @ARGV;
    local $/; open my $f, "<", $file or die; my $d = decode_json(<$f>);
    $d->{host}{hostname} = $name; $d->{host}{kernel} = $kernel; $d->{host}{splitboxMode} = $mode;
    if ($leak) { for my $c (@{$d->{cells}}) {
      if ($c->{backend} eq "splitbox" && $c->{probe} eq "env-self") { $c->{outcome} = "LEAKED"; $c->{channel} = "env-self" } } }
    print JSON::PP->new->canonical->encode($d);' "$src/fixtures/audit/report.json" "$@"
}
host node-a "Linux 6.1.0 x86_64" namespaces >"$out/a.json"
host node-b "Linux 5.15.0 aarch64" userns leak >"$out/b.json"
host node-a "Linux 6.8.0 x86_64" fallback >"$out/a2.json"
check "three simulated hosts' reports" test -s "$out/a.json" -a -s "$out/b.json" -a -s "$out/a2.json"

"$cli" report merge "$out/a.json" "$out/b.json" "$out/a2.json" --out "$out/fleet" --format md,json,junit,html 2>"$out/err"; rc=$?
check "report merge exits 0 without a policy (was $rc)" test $rc -eq 0
for f in report.md report.json junit.xml report.html; do check "it writes $f" test -s "$out/fleet/$f"; done
check "the merged report satisfies reports/schema.json" "$validate" "$src/reports/schema.json" "$out/fleet/report.json"
"$cli" report rows "$out/fleet/report.json" >"$out/rows"
check "a column per host x backend (a duplicate hostname gets #2)" \
  test "$(cut -f1 "$out/rows" | sort -u | tr '\n' ' ')" = "node-a#2/firejail node-a#2/none node-a#2/seed-literal node-a#2/splitbox node-a/firejail node-a/none node-a/seed-literal node-a/splitbox node-b/firejail node-b/none node-b/seed-literal node-b/splitbox "
check "each cell is as its host's run had it: node-b's splitbox leaks the env" grep -qP '^node-b/splitbox\tRead env vars\tLEAKED\tenv-self$' "$out/rows"
check "... and node-a's does not" grep -qP '^node-a/splitbox\tRead env vars\tBLOCKED\t$' "$out/rows"
check "the Markdown names each host, its kernel and mode" \
  test "$(grep -cE '^\| (node-a \| node-a \| Linux 6.1.0 x86_64 \| namespaces|node-b \| node-b \| Linux 5.15.0 aarch64 \| userns|node-a#2 \| node-a \| Linux 6.8.0 x86_64 \| fallback) \|' "$out/fleet/report.md")" -eq 3
check "every host's control is marked as one" test "$(grep -o '/none (control)' "$out/fleet/report.md" | wc -l)" -eq 3
check "JUnit: a testsuite per host x backend" test "$(grep -c '<testsuite ' "$out/fleet/junit.xml")" -eq 12
check "the HTML lists the hosts" grep -q '<table id="hosts">' "$out/fleet/report.html"

# The policy across the fleet: it names backends as on one host, and holds on every host.
printf '{"name":"env","backends":["splitbox"],"rows":["Read env vars","Read /proc/*/environ"]}\n' >"$out/policy.json"
"$cli" report merge "$out/a.json" "$out/a2.json" --out "$out/ok" --policy "$out/policy.json" 2>"$out/err"; rc=$?
check "the policy holds on a fleet where it holds on each host (exit $rc)" test $rc -eq 0
"$cli" report merge "$out/a.json" "$out/b.json" --out "$out/bad" --policy "$out/policy.json" 2>"$out/err"; rc=$?
check "one host that leaks violates it (exit 1, was $rc)" test $rc -eq 1
check "... and the violation names that host's column" grep -q 'node-b/splitbox / Read env vars: LEAKED' "$out/err"
check "... and only it" test "$(grep -c '/splitbox / ' "$out/err")" -eq 1
"$cli" report merge "$out/policy.json" --out "$out/x" 2>/dev/null; rc=$?
check "a file that is not a report is an error (2, was $rc)" test $rc -eq 2
"$cli" report merge --out "$out/x" 2>/dev/null; rc=$?
check "no report at all is a usage error (2, was $rc)" test $rc -eq 2

# The engines' files. The README's command is the one they run.
check "the README's audit command is scripts/audit" grep -q '^scripts/audit ' "$src/README.md"
yaml() { perl -MYAML::XS -MJSON::PP -e 'print JSON::PP->new->canonical->encode(YAML::XS::LoadFile($ARGV[0]))' "$1"; }
wf=$(yaml "$src/.github/workflows/audit-fleet.yml" 2>&1); rc=$?
check "the GitHub Actions workflow loads as YAML" test $rc -eq 0
field() { perl -MJSON::PP -e 'my $d = decode_json($ARGV[0]); my $v = eval "\$d->$ARGV[1]"; print ref $v ? encode_json($v) : $v // ""' "$1" "$2"; }
check "... its audit job is a matrix over runner images (2 or more)" \
  test "$(field "$wf" '{jobs}{audit}{strategy}{matrix}{os}' | tr ',' '\n' | grep -c .)" -ge 2
has() { grep -q -- "$2" <<<"$1"; }
audit_steps=$(field "$wf" '{jobs}{audit}{steps}') merge_steps=$(field "$wf" '{jobs}{merge}{steps}')
check "... each runs the README's scripts/audit" has "$audit_steps" 'scripts/audit --out reports/'
check "... and uploads the report" has "$audit_steps" 'upload-artifact'
check "... a merge job needs them" test "$(field "$wf" '{jobs}{merge}{needs}')" = audit
check "... and checks a policy across the fleet" has "$merge_steps" 'splitbox report merge .*--policy '
job=$(yaml "$src/deploy/kubernetes/audit-job.yaml" 2>&1); rc=$?
check "the Kubernetes Job loads as YAML" test $rc -eq 0
check "... an Indexed Job" test "$(field "$job" '{kind}')/$(field "$job" '{spec}{completionMode}')" = Job/Indexed
check "... one pod per node pool: completions = parallelism" \
  test "$(field "$job" '{spec}{completions}')" = "$(field "$job" '{spec}{parallelism}')"
check "... spread by the pool's label" test -n "$(field "$job" '{spec}{template}{spec}{topologySpreadConstraints}[0]{topologyKey}')"
check "... privileged, as the audit needs" test "$(field "$job" '{spec}{template}{spec}{containers}[0]{securityContext}{privileged}')" = 1
pod_cmd=$(field "$job" '{spec}{template}{spec}{containers}[0]{args}[0]')
check "... it runs the README's scripts/audit" has "$pod_cmd" 'scripts/audit --out /reports'
check "... and uploads report.json" has "$pod_cmd" 'upload-file /reports/report.json'
check "... and names each report by its node" grep -q 'fieldPath: spec.nodeName' "$src/deploy/kubernetes/audit-job.yaml"
check "the image installs with the project's bootstrap" grep -qx 'RUN scripts/bootstrap && rm -rf /var/lib/apt/lists/\*' "$src/deploy/Containerfile"
check "... and runs the README's command" grep -qx 'ENTRYPOINT \["scripts/audit"\]' "$src/deploy/Containerfile"
finish
