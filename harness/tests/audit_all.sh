#!/usr/bin/env bash
# Every shipped backend, every probe: no cell may be ERROR or UNVERIFIED, and
# no backend unavailable (CI installs them all), so a broken spec or a harness
# bug cannot hide behind a green run.
#
# And harmless on a shared host: a bystander (another sandbox API, live on the
# host's unix sockets, loopback TCP and an abstract socket, answering
# GET /api/ping) runs through the whole audit and must receive no byte.
set -u
cli=${SPLITBOX_CLI:?set by meson}
bystander=${SBX_BYSTANDER:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$SBX_SOURCE_ROOT/testsupport/checks.sh"
out=$(mktemp -d)
# Where the control-plane probe searches: /tmp and /run.
by_dir=$(mktemp -d /tmp/sbx-bystander-XXXXXX) by_run=/run/sbx-bystander-$$.sock
cleanup() {
  [ -n "${by_pid:-}" ] && { kill -TERM "$by_pid" 2>/dev/null; wait "$by_pid" 2>/dev/null; }
  rm -rf "$out" "$by_dir" "$by_run"
}
trap cleanup EXIT
"$bystander" "$out/bystander" "$by_dir/api.sock" "$by_run" 2>"$out/bystander.err" & by_pid=$!
for _ in $(seq 200); do [ -s "$out/bystander" ] && break; sleep 0.05; done
check "the bystander listens" test -s "$out/bystander"
port=$(sed -n 's/^tcp-port=\([0-9]*\) .*/\1/p' "$out/bystander")

start=$(date +%s)
"$cli" audit --out "$out" 2>"$out/progress"; rc=$?
secs=$(( $(date +%s) - start ))
check "the full audit exits 0 (was $rc) in ${secs} s" test $rc -eq 0
summary=$(tail -1 "$out/progress")
echo "# $summary"
check "no cell is an error" grep -q ', 0 errors in' <<<"$summary"
check "no cell is unverified" grep -q ', 0 unverified,' <<<"$summary"
# Every backend is installed here: the only N/A cells are the cross-tenant ones of backends with one sandbox.
other_na=$(grep ' unsupported ' "$out/progress" | grep -vc ' cross-tenant-\(platform\|user\) *unsupported .*the backend has one sandbox')
check "no cell is n/a but the cross-tenant ones of backends with one sandbox ($other_na others)" test "$other_na" -eq 0
check "... and the backends with a second sandbox ran theirs" grep -Eq ' splitbox +cross-tenant-user +clean ' "$out/progress"
if [ $rc -ne 0 ] || ! grep -q ', 0 errors in' <<<"$summary"; then grep -E ' error | unverified ' "$out/progress" | head -20; fi

# Nothing was sent to the bystander; then, to show that it was alive and
# reachable all along, one ping of our own on each path must reach it.
cp "$out/bystander" "$out/after-audit"
sed 's/^/    /' "$out/after-audit"
if [ "$(grep -c 'bytes=0$' "$out/after-audit")" -eq 4 ]; then ok "the audit wrote no byte to the bystander"; else
  not_ok "the audit wrote no byte to the bystander" "$(head -20 "$out/bystander.log")"; fi
curl -s --max-time 5 --unix-socket "$by_dir/api.sock" http://x/api/ping >/dev/null
curl -s --max-time 5 --unix-socket "$by_run" http://x/api/ping >/dev/null
curl -s --max-time 5 "http://127.0.0.1:$port/api/ping" >/dev/null
for _ in $(seq 100); do [ "$(grep -c 'bytes=[1-9]' "$out/bystander")" -eq 3 ] && break; sleep 0.05; done
check "... and it was alive: our own pings reached it on the unix sockets and TCP" \
  test "$(grep -c 'bytes=[1-9]' "$out/bystander")" -eq 3
finish
