#!/usr/bin/env bash
# splitbox caps in the three situations CI can make from root: as root; as
# uid 65534 with no capabilities; and under a seccomp filter that denies
# every namespace. Each --json validated against reports/caps.schema.json,
# each --verify measured by the audit.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
validate=${SBX_VALIDATE_JSON:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
chmod 755 "$out"
trap 'rm -rf "$out"' EXIT
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
# row_is FILE ROW CLAIMED MEASURED: a line of the claimed-vs-measured table.
row_is() {
  local r
  r=$(printf '%s' "$2" | sed 's/[][()*.]/\\&/g')
  grep -Eq "^  $r +$3 +$4" "$1"
}

# Root.
"$cli" caps --json >"$out/root.json"; rc=$?
check "as root: exit 0 (full isolation) (was $rc)" test $rc -eq 0
check "as root: the JSON satisfies reports/caps.schema.json" "$validate" "$src/reports/caps.schema.json" "$out/root.json"
tr -d '\n\t ' <"$out/root.json" >"$out/root.min"
check "as root: the mode is namespaces" grep -q '"verdict":{"mode":"namespaces"' "$out/root.min"
check "as root: CAP_SYS_ADMIN is reported" grep -q '"CAP_SYS_ADMIN":true' "$out/root.min"
check "as root: every row's claim says why" \
  jq -e '(.verdict.rows | length) > 10 and ([.verdict.rows[] | select((.because // "") == "")] | length == 0)' "$out/root.json"

"$cli" caps >"$out/root.txt"
check "as root: the verdict says full isolation (no row lost)" grep -q '^Verdict: splitbox runs in namespaces mode here (full isolation)$' "$out/root.txt"

# Unprivileged, no capabilities.
"${as_nobody[@]}" "$cli" caps --json >"$out/nobody.json"; rc=$?
check "as 65534: exit 0 (was $rc)" test $rc -eq 0
check "as 65534: the JSON satisfies the schema" "$validate" "$src/reports/caps.schema.json" "$out/nobody.json"
tr -d '\n\t ' <"$out/nobody.json" >"$out/nobody.min"
check "as 65534: no CAP_SYS_ADMIN" grep -q '"CAP_SYS_ADMIN":false' "$out/nobody.min"
check "as 65534: user namespaces are available (tried)" grep -q '"user":{"alone":true,"withUserNamespace":true,"available":true}' "$out/nobody.min"
check "as 65534: the mode is userns" grep -q '"verdict":{"mode":"userns"' "$out/nobody.min"
(cd "$out" && "${as_nobody[@]}" "$cli" caps --verify >"$out/nobody.verify" 2>&1); rc=$?
check "as 65534: caps --verify agrees with its claims: exit 0 (was $rc)" test $rc -eq 0
for r in "Read env vars" "Read /proc/*/environ" "Process listing (ps)" "Debugger attach" "Memory reading" \
         "Filesystem access" "IPC (SysV shm, POSIX shm, keyrings)" "Network services (loopback, abstract sockets)" \
         "Control plane (executor API)" "Symlinks in the shared dir" "Integrity of the platform's files"; do
  check "as 65534: --verify measures $r blocked" row_is "$out/nobody.verify" "$r" enforced BLOCKED
done
for r in "Cross-tenant: another sandbox's platform" "Cross-tenant: another sandbox's user code"; do
  check "as 65534: --verify measures $r blocked" row_is "$out/nobody.verify" "$r" enforced BLOCKED
done
# userns mode gives both contexts the executor's one host uid (until newuidmap maps user code apart).
check "as 65534: ownership in the shared dir is claimed lost, and measured leaking" \
  row_is "$out/nobody.verify" "Ownership in the shared dir" lost LEAKED
check "as 65534 (no subordinate ids): the shared dir's ownership is claimed lost" \
  grep -q '"sharedDirOwnership":{"separateUids":false,"how":"usercodeandtheplatformareonehostuid' "$out/nobody.min"
check "as root: the shared dir's ownership is claimed" grep -q '"sharedDirOwnership":{"separateUids":true' "$out/root.min"
"${as_nobody[@]}" "$cli" caps >"$out/nobody.txt"
check "as 65534 (no subordinate ids): the verdict does not say full isolation, and counts the row lost" \
  grep -Eq '^Verdict: splitbox runs in userns mode here \(namespaces, but 1 of [0-9]+ guarantees LOST, below\)$' "$out/nobody.txt"
# splitbox-test (scripts/bootstrap) has subordinate ids: userns mode maps user code to them.
if getent passwd splitbox-test >/dev/null; then
  setpriv --reuid=splitbox-test --regid=splitbox-test --clear-groups --inh-caps=-all "$cli" caps --json >"$out/subids.json"
  check "with subordinate ids: the JSON satisfies the schema" "$validate" "$src/reports/caps.schema.json" "$out/subids.json"
  check "with subordinate ids: the shared dir's ownership is claimed" \
    grep -q '"sharedDirOwnership":{"separateUids":true' <(tr -d '\n\t ' <"$out/subids.json")
elif [ "${SPLITBOX_MUST_WORK:-0}" = 1 ]; then
  not_ok "no account splitbox-test with subordinate ids: run scripts/bootstrap"
fi
# Sniffing needs CAP_NET_RAW: unprivileged, the control cannot sniff either, and the row says so.
check "as 65534: network sniffing is measured, or said to be unmeasurable" \
  grep -Eq "^  Network sniffing +enforced +(BLOCKED|UNVERIFIED   \(the control could not leak here either\))" "$out/nobody.verify"

# No namespaces at all (a seccomp filter denies them).
"$cli" no-namespaces -- "$cli" caps --json >"$out/nons.json"; rc=$?
check "without namespaces: exit 3 (fallback only) (was $rc)" test $rc -eq 3
check "without namespaces: the JSON satisfies the schema" "$validate" "$src/reports/caps.schema.json" "$out/nons.json"
tr -d '\n\t ' <"$out/nons.json" >"$out/nons.min"
check "without namespaces: the mode is fallback" grep -q '"verdict":{"mode":"fallback"' "$out/nons.min"
check "without namespaces: all seven namespaces were tried" \
  test "$(grep -oE '"(user|pid|mount|network|ipc|uts|cgroup)":\{[^}]*"available":' "$out/nons.min" | wc -l)" -eq 7
check "without namespaces: no namespace can be created" test "$(grep -o '"available":true' "$out/nons.min" | wc -l)" -eq 0
check "without namespaces: the verdict names the lost rows" \
  grep -q '"row":"Processlisting(ps)","enforced":false,"because":"noPIDnamespace' "$out/nons.min"
check "without namespaces: and says what would change it" grep -q 'aseccompfilterappliedtothisprocessdeniesnamespaces:runsplitboxwherenoneis' "$out/nons.min"
"$cli" no-namespaces -- "$cli" caps --verify >"$out/nons.verify" 2>&1; rc=$?
check "without namespaces: --verify exits 3 (was $rc)" test $rc -eq 3
for r in "Read /proc/*/environ" "Process listing (ps)" "Network services (loopback, abstract sockets)"; do
  check "without namespaces: --verify confirms the lost row leaks: $r" row_is "$out/nons.verify" "$r" lost LEAKED
done
check "without namespaces: --verify confirms the lost row leaks: Symlinks in the shared dir" \
  row_is "$out/nons.verify" "Symlinks in the shared dir" lost LEAKED
for r in "Cross-tenant: another sandbox's platform" "Cross-tenant: another sandbox's user code"; do
  check "without namespaces: --verify confirms the lost row leaks: $r" row_is "$out/nons.verify" "$r" lost LEAKED
done
for r in "Read env vars" "Debugger attach" "Memory reading" "Filesystem access" "Signals to platform processes" \
         "Ownership in the shared dir" "Integrity of the platform's files"; do
  check "without namespaces: --verify confirms the claimed row holds: $r" row_is "$out/nons.verify" "$r" enforced BLOCKED
done
check "without namespaces: every lost row says why" \
  jq -e '[.verdict.rows[] | select(.enforced == false and (.because // "") == "")] | length == 0' "$out/nons.json"

# A claim wrong on purpose: namespaces mode's claims, on a machine that runs splitbox without namespaces.
# --verify must say the claims do not hold and exit 1.
"$cli" no-namespaces -- "$cli" caps --verify --assume-mode namespaces >"$out/wrong.verify" 2>&1; rc=$?
check "a wrong claim (namespaces assumed, fallback measured): --verify exits 1 (was $rc)" test $rc -eq 1
check "... the row it names leaked" row_is "$out/wrong.verify" "Process listing (ps)" enforced LEAKED
check "... and it says so" grep -q 'Process listing (ps) .*<- the claim does not hold' "$out/wrong.verify"
"$cli" caps --assume-mode nonsense >/dev/null 2>&1; rc=$?
check "an unknown --assume-mode: exit 2 (was $rc)" test $rc -eq 2
finish
