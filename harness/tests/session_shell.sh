#!/usr/bin/env bash
# A server like Cloudflare's container server (sbx-session-server: one
# persistent bash per session, no contexts, plain processes of its uid),
# through fixtures/backends-test/session-shell.json: the server behaves like
# the real one (an exec ends the session: the positive control of why the
# harness never sends one); the audit gives a verdict in every cell, and the
# right one; conform gives failures and skips, never a crash, and leaves no
# server behind; a server that does not come up is a clear error.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
server=${SBX_SESSION_SERVER:?set by meson}
token=${SBX_SESSION_TOKEN:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$out"' EXIT
spec="$src/fixtures/backends-test/session-shell.json"

# The server, by hand: a port of its own, up within 10 s.
for try in 1 2 3 4 5; do
  port=$(shuf -i 20000-60000 -n 1)
  SESSION_SERVER_TOKEN=$token "$server" --port "$port" --root "$out" 2>"$out/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/ping" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/api/ping" >/dev/null && break
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
done
check "the server answers /api/ping" test -n "$pid"
api() { curl -s -o "$out/body" -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -X POST "http://127.0.0.1:$port/api/execute" -d "$1"; }
out_of() { jq -r .stdout "$out/body" | base64 -d; }
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/execute" -d '{"command":"true"}')
check "without the token: 401 (was $status)" test "$status" = 401
api '{"command":"SBX_KEPT=kept"}' >/dev/null
status=$(api '{"command":"echo $SBX_KEPT"}')
check "one shell per session: a variable set in one execute is there in the next (HTTP $status, $(out_of))" \
  test "$status" = 200 -a "$(out_of)" = kept
status=$(api '{"command":"exec true"}')
check "control: an exec ends the session's shell: HTTP 410 (was $status)" test "$status" = 410
status=$(api '{"command":"echo again"}')
check "... and the session stays gone: HTTP 410 (was $status)" test "$status" = 410
status=$(api '{"command":"echo fresh","sessionId":"another"}')
check "another session has its own shell (HTTP $status)" test "$status" = 200 -a "$(out_of)" = fresh
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
check "SIGTERM ends the server" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid" 2>/dev/null
pid=""

# The audit: a verdict in every cell, and the right one. No isolation: every row leaks, as on the control,
# except env vars: secrets go per call, so user code's own env never holds the victim's.
"$cli" audit --backend "$spec" --out "$out/audit" --no-latency 2>"$out/audit.log"; rc=$?
check "audit on the session-shell server exits 0 (was $rc)" test $rc -eq 0
check "no cell is ERROR" grep -q ', 0 errors in' "$out/audit.log"
[ $rc -eq 0 ] || grep -E ' error ' "$out/audit.log" | head -5
"$cli" report rows "$out/audit/report.json" >"$out/rows"
check "the report has rows" test "$(grep -c '^session-shell' "$out/rows")" -gt 10
while IFS=$'\t' read -r backend row outcome _; do
  [ "$backend" = session-shell ] || continue
  want=LEAKED
  [ "$row" = "Read env vars" ] && want=BLOCKED
  # One sandbox per server (its spec has no sandbox.create): no second tenant to reach.
  case $row in Cross-tenant*) want=N/A ;; esac
  check "control: none leaks \"$row\"" grep -qF "none	$row	LEAKED" "$out/rows"
  check "session-shell: \"$row\" is $want (was $outcome)" test "$outcome" = "$want"
done <"$out/rows"
check "... the cross-tenant rows are N/A because the server has one sandbox" \
  grep -qE '"secondSandbox":[[:space:]]*"none: the backend has one sandbox"' "$out/audit/report.json"

# conform, twice: failures and skips for what the server lacks, never a crash; no server left behind.
running() { pgrep -f "^$server --port" | wc -l; }
before=$(running)
for run in 1 2; do
  "$cli" conform --backend "$spec" --tap >"$out/conform$run.tap" 2>"$out/conform$run.log"; rc=$?
  check "conform run $run: exit 1, its isolation tests fail (was $rc)" test $rc -eq 1
  check "conform run $run: some tests passed (the server was up)" grep -qE '^ok [0-9]+ - exec::cwd_is_honoured$' "$out/conform$run.tap"
  check "conform run $run: no test crashed" bash -c "! grep -qiE '^not ok .*(crash|signal)' '$out/conform$run.tap'"
  check "conform run $run: a lacking feature is a skip that names it" \
    grep -q '# SKIP session-shell: the http backend has no platform operations' "$out/conform$run.tap"
  check "conform run $run: no server of it left (before $before, now $(running))" test "$(running)" -le "$before"
done

# A server that does not come up: a clear error, and nothing left running.
sed -e 's|"argv": \["{env:SBX_SESSION_SERVER}"[^]]*\]|"argv": ["false"]|' "$spec" >"$out/dies.json"
"$cli" audit --backend "$out/dies.json" --probe env-self --no-latency --out "$out/dies" 2>"$out/dies.log"; rc=$?
check "a server that exits at once: exit 2 (was $rc)" test $rc -eq 2
check "... saying it exited before answering" grep -q 'the server exited (status [0-9]*) before it answered GET /api/ping' "$out/dies.log"
sed -e 's|"argv": \["{env:SBX_SESSION_SERVER}"[^]]*\]|"argv": ["sleep", "30.271828"]|' \
  -e 's|"readyTimeoutMs": 10000|"readyTimeoutMs": 500|' "$spec" >"$out/mute.json"
"$cli" audit --backend "$out/mute.json" --probe env-self --no-latency --out "$out/mute" 2>"$out/mute.log"; rc=$?
check "a server that never answers: exit 2 (was $rc)" test $rc -eq 2
check "... saying so, with the timeout" grep -q 'did not answer GET /api/ping with 200 within 500 ms' "$out/mute.log"
check "... and it is stopped" bash -c "! pgrep -f '^sleep 30.271828' >/dev/null"
SBX_SESSION_TOKEN='' "$cli" audit --backend "$spec" --probe env-self --no-latency --out "$out/notoken" 2>"$out/notoken.log"
rc=$?
check "an {env:NAME} the spec requires, unset: exit 2 before any work (was $rc)" test $rc -eq 2 -a ! -e "$out/notoken/report.json"
check "... naming the variable" grep -q 'SBX_SESSION_TOKEN' "$out/notoken.log"
finish
