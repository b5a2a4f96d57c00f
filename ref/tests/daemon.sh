#!/usr/bin/env bash
# splitbox daemon end to end, over its unix socket with curl: the routes, the
# compatibility routes, bad input, isolation through the API, concurrency, the
# TCP port's token, and a clean SIGTERM shutdown.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" > "$work/token"
port=$((20000 + RANDOM % 20000))
start_daemon --listen "127.0.0.1:$port" --token-file "$work/token" || exit 1

r=$(req GET /api/ping); check "GET /api/ping" has "$r" '200 {"success":true'
check "the socket is mode 0600" test "$(stat -c %a "$sock")" = 600
r=$(req GET /api/capabilities); check "GET /api/capabilities names the mode" has "$r" '"isolation":"namespaces"'
check "GET /api/capabilities reports kernel facts" has "$r" '"kernel":{"release":"'"$(uname -r)"'","sysctls":{'
r=$(req PUT /api/sandboxes/a '{}'); check "PUT creates a sandbox" has "$r" '201 {"success":true,"id":"a","created":true'
r=$(req PUT /api/sandboxes/a '{}'); check "PUT again finds it" has "$r" '"created":false'
req PUT /api/sandboxes/b '{}' >/dev/null

r=$(req POST /api/sandboxes/a/user/execute '{"command":"id -u; echo $FOO; exit 3","env":{"FOO":"bar"},"cwd":"/tmp"}')
check "user execute: output, env, exit code" has "$r" '200 {"success":false,"exitCode":3,"stdout":"1000\nbar\n"'
r=$(req POST /api/sandboxes/a/platform/execute '{"command":"echo secret > /platform/s; cat /platform/s"}')
check "platform execute" has "$r" '"stdout":"secret\n"'
r=$(req POST /api/sandboxes/a/user/execute '{"command":"sleep 5","timeoutMs":200}')
check "a timeout is COMMAND_TIMEOUT (408)" has "$r" '408 {'
check "a timeout's body names COMMAND_TIMEOUT" has "$r" '"code":"COMMAND_TIMEOUT"'

r=$(curl -sN --max-time 30 --unix-socket "$sock" -X POST --data-binary '{"command":"echo one; sleep 0.2; echo two >&2; exit 4"}' \
  http://splitbox/api/sandboxes/a/user/execute/stream)
check "execute/stream sends start, stdout, stderr and complete in order" \
  test "$(grep '^event:' <<<"$r" | tr '\n' ' ')" = "event: start event: stdout event: stderr event: complete "
check "the stream's data are JSON with the output" has "$r" 'data: {"type":"stdout","data":"one\n"}'
check "the stream's complete event carries the exit code" has "$r" '"exitCode":4'
u=$((RANDOM * 32768 + RANDOM)) # a unique sleep length names this run's processes on the host
r=$(req POST /api/sandboxes/a/platform/process/start '{"command":"sleep 300.'$u'","env":{"SECRET":"hidden-'$token'"}}')
check "platform process/start" has "$r" '"processId":"proc-'
pid_id=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
r=$(req GET /api/sandboxes/a/platform/process/list); check "process/list" has "$r" "\"id\":\"$pid_id\""
# Commands start with no signal blocked, whatever the daemon blocks for itself (SIGTERM, SIGINT, SIGPIPE),
# and none ignored: bash started the daemon in the background, so it ignores SIGINT and SIGQUIT (the control).
check "control: the daemon ignores some signal" test "$(awk '/^SigIgn/ { print $2 }' "/proc/$daemon/status")" != 0000000000000000
for ctx in user platform; do
  for init in false true; do
    [ $ctx = user ] && [ $init = true ] && continue
    r=$(req POST /api/sandboxes/a/$ctx/execute '{"command":"grep -e SigBlk -e SigIgn /proc/self/status","init":'$init'}')
    check "a $ctx command (init $init) starts with no signal blocked" has "$r" '"SigBlk:\t0000000000000000\n'
    # Signals 32-34 are the C library's own (glibc's posix_spawn, in sanitizer builds, leaves its two
    # ignored whatever it is asked; a libc re-arms them itself): every other one must be at its default.
    ign=$(grep -o 'SigIgn:\\t[0-9a-f]*' <<<"$r" | cut -c10-)
    check "... and none ignored (SigIgn $ign, libc's 32-34 aside)" test -n "$ign" -a $((0x${ign:-1} & ~0x380000000)) -eq 0
  done
done
r=$(req POST /api/sandboxes/a/user/process/start '{"command":"exec sleep 77.'$u'"}')
sid=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
check "user process/start" test -n "$sid"
check "it runs before the DELETE" until_ok 10 pgrep -f "sleep 77.$u"
req DELETE "/api/sandboxes/a/user/process/$sid" '{}' >/dev/null
ended() { r=$(req GET "/api/sandboxes/a/user/process/$sid"); ! has "$r" '"status":"running"'; }
until_ok 10 ended
check "SIGTERM (the default) ends an exec'd command" has "$r" '"status":"killed"'
gone() { ! pgrep -f "$1" >/dev/null; }
# DELETE with waitMs: the answer waits for the end (no client polling) and says the status then.
# Control first: a command that ignores SIGTERM is still running when the wait is over, and says so.
r=$(req POST /api/sandboxes/a/user/process/start '{"command":"trap \"\" TERM; exec sleep 66.'$u'"}')
tid=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
check "control: a command that ignores SIGTERM runs" until_ok 10 pgrep -f "sleep 66.$u"
t0=$(date +%s%N); r=$(req DELETE "/api/sandboxes/a/user/process/$tid" '{"waitMs":400}'); t1=$(date +%s%N)
check "control: DELETE waitMs answers 200 with the process" has "$r" "200 {\"success\":true,\"processId\":\"$tid\",\"process\":{"
check "control: ... still running after the wait" has "$r" '"status":"running"'
check "control: ... after waiting out waitMs (400 ms, was $(((t1 - t0) / 1000000)))" test $(((t1 - t0) / 1000000)) -ge 390
check "control: ... and it does run" pgrep -f "sleep 66.$u"
r=$(req POST /api/sandboxes/a/user/process/start '{"command":"exec sleep 78.'$u'"}')
wid=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
check "a second command runs before its DELETE" until_ok 10 pgrep -f "sleep 78.$u"
t0=$(date +%s%N); r=$(req DELETE "/api/sandboxes/a/user/process/$wid" '{"waitMs":20000}'); t1=$(date +%s%N)
check "DELETE waitMs: the answer says it was killed" has "$r" '"status":"killed"'
check "... as soon as it ended, not at the deadline (was $(((t1 - t0) / 1000000)) ms of 20000)" test $(((t1 - t0) / 1000000)) -lt 10000
check "... and it is gone from the host when the answer comes" gone "sleep 78.$u"
r=$(req DELETE "/api/sandboxes/a/user/process/$tid" '{"signal":"SIGKILL","waitMs":5000}')
check "SIGKILL with waitMs: the one that ignored SIGTERM is killed" has "$r" '"status":"killed"'
check "... and gone from the host" gone "sleep 66.$u"
r=$(req POST /api/sandboxes/a/platform/process/start '{"command":"exec sleep 79.'$u'"}')
wid=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
check "a platform command runs before its DELETE" until_ok 10 pgrep -f "sleep 79.$u"
r=$(req DELETE "/api/sandboxes/a/platform/process/$wid" '{"waitMs":20000}')
check "platform DELETE waitMs: killed when the answer comes" has "$r" '"status":"killed"'
check "... and gone from the host" gone "sleep 79.$u"
r=$(req DELETE "/api/sandboxes/a/platform/process/$wid" '{"waitMs":1000}')
check "DELETE waitMs of an ended process answers at once, with its status" has "$r" '"status":"killed"'
r=$(req GET "/api/sandboxes/a/platform/process/$pid_id"); check "process/{id}" has "$r" '"status":"running"'
r=$(req GET "/api/sandboxes/a/platform/process/$pid_id/logs"); check "process/{id}/logs" has "$r" '"stdout":""'
r=$(req GET /api/sandboxes/a/user/process/list)
check "the user list answers, with the user's own process" has "$r" "200 {\"success\":true"
check "... and lists the user's own process" has "$r" "\"id\":\"$sid\""
check "the platform process is not in the user list" test -z "$(grep -o "\"id\":\"$pid_id\"" <<<"$r")"
check "the platform process runs on the host" pgrep -f "sleep 300.$u"
r=$(req POST /api/sandboxes/a/user/execute '{"command":"ps -eo args; cat /proc/*/environ 2>/dev/null | tr \"\\0\" \"\\n\"","env":{"MINE":"own-'$u'"}}')
check "user code lists its own processes and reads its own env" has "$r" '200 {"success":true'
check "... its ps lists itself" has "$r" 'ps -eo args'
check "... its /proc/*/environ shows its own variable" has "$r" "MINE=own-$u"
check "user code cannot see the platform process or its env" test -z "$(grep -e "sleep 300.$u" -e "hidden-$token" <<<"$r")"
r=$(req DELETE "/api/sandboxes/a/platform/process/$pid_id" '{"signal":"SIGKILL"}'); check "process DELETE" has "$r" '200 {"success":true'
r=$(req GET "/api/sandboxes/a/platform/process/$pid_id"); check "a killed process says so" has "$r" '"status":"killed"'

r=$(req POST /api/sandboxes/a/shared/write '{"path":"/app/hello.txt","content":"hi"}'); check "shared write" has "$r" '"size":2'
r=$(req POST /api/sandboxes/a/shared/read '{"path":"hello.txt"}'); check "shared read" has "$r" '"content":"hi"'
r=$(req POST /api/sandboxes/a/shared/exists '{"path":"hello.txt"}'); check "shared exists" has "$r" '"exists":true'
# limits.sharedMax: the shared dir a tmpfs of its own. Control first: sandbox a's (unbounded) takes 2 MiB.
fill='{"command":"head -c 2097152 /dev/zero > /app/fill && echo filled; rm -f /app/fill"}'
r=$(req POST /api/sandboxes/a/user/execute "$fill"); check "control: an unbounded shared dir takes 2 MiB" has "$r" '"stdout":"filled\n"'
r=$(req PUT /api/sandboxes/bounded '{"limits":{"sharedMax":1048576}}'); check "PUT with limits.sharedMax" has "$r" '201 {'
r=$(req POST /api/sandboxes/bounded/user/execute "$fill"); check "a shared dir of 1 MiB refuses 2 MiB" has "$r" 'No space left on device'
check "... and the write did not complete" test -z "$(grep -o '"stdout":"filled' <<<"$r")"
r=$(req POST /api/sandboxes/bounded/shared/write '{"path":"x","content":"still"}'); check "the executor writes the bounded dir" has "$r" '"size":5'
r=$(req POST /api/sandboxes/bounded/platform/execute '{"command":"cat /app/x"}'); check "the platform sees it" has "$r" '"stdout":"still"'
r=$(req DELETE /api/sandboxes/bounded); check "DELETE a bounded sandbox" has "$r" '200 {"success":true'
# A user command that could not start: no exit status is made up for it (its launch is not waited for; the
# reason comes with its end).
r=$(req POST /api/sandboxes/a/user/execute '{"command":"true","cwd":"/nonexistent"}')
check "a user command that could not start has exitCode -1 and says why" has "$r" '"exitCode":-1,'
check "... FILE_NOT_FOUND, 404" has "$r" '"code":"FILE_NOT_FOUND","message":"cwd /nonexistent: No such file or directory","httpStatus":404}'
# A sandbox deleted while an execute runs: the execute is answered (its command killed), and the sandbox,
# whose last reference that answer held, is torn down after it (its run directory goes), not left behind.
runs() { find "$state/run" -mindepth 1 -maxdepth 1 | wc -l; }
n0=$(runs)
req PUT /api/sandboxes/doomed '{}' >/dev/null
check "control: a sandbox has a run directory" test "$(runs)" -eq $((n0 + 1))
req POST /api/sandboxes/doomed/user/execute '{"command":"exec sleep 301.'$u'"}' > "$work/doomed.out" &
exec_client=$!
# -x: the whole command line, or the client (curl, with the body in its argv) would match before the daemon saw it.
check "its execute runs before the DELETE" until_ok 10 pgrep -fx "sleep 301.$u"
r=$(req DELETE /api/sandboxes/doomed); check "DELETE a sandbox with an execute in flight" has "$r" '200 {"success":true'
wait "$exec_client"
check "the execute is answered, its command killed" has "$(cat "$work/doomed.out")" '"exitCode":137'
gone() { [ "$(runs)" -eq "$n0" ]; }
check "the sandbox is torn down after its last answer" until_ok 10 gone
r=$(req PUT /api/sandboxes/bad '{"limits":{"sharedMax":-2}}'); check "limits.sharedMax -2 is refused" has "$r" '400 {'
r=$(req POST /api/sandboxes/a/shared/list-files '{"path":"."}'); check "shared list-files" has "$r" '{"name":"hello.txt","type":"file","size":2}'
r=$(req POST /api/sandboxes/a/shared/write '{"path":"bin","content":"AAEC/w==","encoding":"base64"}')
r=$(req POST /api/sandboxes/a/shared/read '{"path":"bin"}'); check "binary round-trips as base64" has "$r" '"content":"AAEC/w==","encoding":"base64"'
r=$(req POST /api/sandboxes/a/user/write '{"path":"/tmp/u","content":"mine"}'); check "user write" has "$r" '200 '
r=$(req POST /api/sandboxes/a/user/read '{"path":"/platform/s"}'); check "user read of /platform is FILE_NOT_FOUND" has "$r" '"code":"FILE_NOT_FOUND"'
r=$(req POST /api/sandboxes/a/platform/read '{"path":"/platform/s"}'); check "platform read" has "$r" '"content":"secret\n"'

r=$(req POST /api/execute '{"command":"hostname"}'); check "compatibility /api/execute runs in the user context" has "$r" '"context":"user"'
r=$(req POST /api/write '{"path":"/tmp/c","content":"compat"}'); check "compatibility /api/write" has "$r" '200 '
r=$(req POST /api/read '{"path":"/tmp/c"}'); check "compatibility /api/read" has "$r" '"content":"compat"'
r=$(req POST /api/process/start '{"command":"sleep 100.'$u'"}'); check "compatibility /api/process/start" has "$r" '"processId"'
r=$(req GET /api/process/list); check "compatibility /api/process/list" has "$r" '"context":"user"'
cpid=$(grep -o '"id":"proc-[0-9]*"' <<<"$r" | head -1 | cut -d'"' -f4)
r=$(req GET "/api/process/$cpid"); check "compatibility /api/process/{id}" has "$r" '"status":"running"'
r=$(req GET "/api/process/$cpid/logs"); check "compatibility /api/process/{id}/logs" has "$r" '"processId":"'"$cpid"'"'
r=$(req DELETE "/api/process/$cpid"); check "compatibility DELETE /api/process/{id}" has "$r" '200 {"success":true'
r=$(curl -s -N --max-time 30 --unix-socket "$sock" -X POST --data-binary '{"command":"echo streamed"}' http://splitbox/api/execute/stream)
check "compatibility /api/execute/stream" has "$r" 'data: {"type":"stdout","data":"streamed\n"}'
r=$(req POST /api/exists '{"path":"/tmp/c"}'); check "compatibility /api/exists (the user's files)" has "$r" '"exists":true'
r=$(req POST /api/list-files '{"path":"/tmp"}'); check "compatibility /api/list-files (the user's files)" has "$r" '{"name":"c","type":"file","size":6}'
r=$(req POST /api/operations/none/call '{}'); check "compatibility /api/operations/{name}/call" has "$r" '404 {"success":false,"code":"OPERATION_NOT_FOUND"'
r=$(req POST /api/sandboxes/default/platform/execute '{"command":"test -e /tmp/c || echo separate"}')
check "the default sandbox has a platform context of its own too" has "$r" '"stdout":"separate\n"'
# A platform exec is PID 1 of fresh namespaces; with "init": true it runs under
# splitbox-init, in prepared namespaces (a spare): each used once only.
for i in 1 2 3; do
  r=$(req POST /api/sandboxes/a/platform/execute '{"command":"test -e /tmp/mark || echo fresh; touch /tmp/mark; echo $$"}')
  check "platform exec $i: a fresh /tmp and PID namespace, the shell its PID 1" has "$r" '"stdout":"fresh\n1\n"'
  r=$(req POST /api/sandboxes/a/platform/execute '{"init":true,"command":"test -e /tmp/mark || echo fresh; touch /tmp/mark; ps -eo args | grep -c \"^[s]plitbox-init\""}')
  check "platform exec $i with \"init\": a fresh /tmp and PID namespace, under splitbox-init" has "$r" '"stdout":"fresh\n1\n"'
done
r=$(req POST /api/sandboxes/a/platform/execute '{"init":"yes","command":"true"}')
check "\"init\" must be a boolean" has "$r" '"code":"VALIDATION_FAILED"'
check "... and says so" has "$r" '\"init\" must be a boolean'


# Cross-sandbox: b's user sees nothing of a.
req POST /api/sandboxes/a/user/process/start '{"command":"sleep 123.'$u'"}' >/dev/null
check "a's process runs" until_ok 10 pgrep -f "sleep 123.$u"
r=$(req POST /api/sandboxes/a/user/execute '{"command":"ps -eo args; ls /app; cat /tmp/u"}')
check "a's user sees its own process and files (what b must not)" \
  test -n "$(grep -e "sleep 123" <<<"$r")" -a -n "$(grep hello.txt <<<"$r")" -a -n "$(grep mine <<<"$r")"
r=$(req POST /api/sandboxes/b/user/execute '{"command":"ps -eo args; ls /app; cat /tmp/u 2>&1"}')
check "sandbox b's exec ran, and its ps lists itself" has "$r" 'ps -eo args'
check "sandbox b sees none of a's processes or files" test -z "$(grep -e "sleep 123" -e hello.txt -e mine <<<"$r")"

# The control socket is in no user view.
check "the control socket exists on the host" test -S "$sock"
r=$(req POST /api/sandboxes/a/user/execute '{"command":"cat /proc/net/unix; find / -xdev -type s 2>/dev/null; ls '"$work"' 2>&1"}')
check "user code read /proc/net/unix and looked for the daemon's dir" \
  test -n "$(grep -e 'Num *RefCount' <<<"$r")" -a -n "$(grep -e 'No such file' <<<"$r")"
check "user code finds no splitbox socket" test -z "$(grep -e api.sock -e "$work" <<<"${r#* }" | grep -v 'No such file')"

# Bad input: status and code, and the daemon still answers.
bad=0
while IFS='|' read -r method path body want_status want_code; do
  [ -z "$method" ] && continue
  r=$(req "$method" "$path" "$body")
  if has "$r" "$want_status " && has "$r" "\"code\":\"$want_code\""; then
    passed=$((passed + 1)); echo "ok - bad input: $method $path $body -> $want_status $want_code"
  else
    failed=$((failed + 1)); bad=1; echo "not ok - bad input: $method $path $body"; echo "    got: $r"
  fi
done <<'CASES'
POST|/api/sandboxes/a/user/execute|{bad json|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|[1,2]|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|"str"|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":42}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":""}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","timeoutMs":-1}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","timeoutMs":1e30}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","timeoutMs":1.5}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","timeoutMs":"10"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","env":{"1BAD":"x"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","env":{"A-B":"x"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","env":{"A":1}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","env":[]}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/execute|{"command":"true","env":{"PATH":"/app"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"echo a\u0000b"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","cwd":"relative"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","cwd":"/nonexistent"}|404|FILE_NOT_FOUND
POST|/api/sandboxes/a/nobody/execute|{"command":"true"}|404|NOT_FOUND
POST|/api/sandboxes/bad%20id/user/execute|{"command":"true"}|400|VALIDATION_FAILED
PUT|/api/sandboxes/has.dot|{}|400|VALIDATION_FAILED
POST|/api/sandboxes/missing/user/execute|{"command":"true"}|404|SANDBOX_NOT_FOUND
DELETE|/api/sandboxes/missing||404|SANDBOX_NOT_FOUND
GET|/api/sandboxes/a/user/process/proc-999||404|PROCESS_NOT_FOUND
DELETE|/api/sandboxes/a/user/process/proc-999|{}|404|PROCESS_NOT_FOUND
DELETE|/api/sandboxes/a/user/process/proc-999|{"signal":"SIGNOPE"}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/a/user/process/proc-999|{"waitMs":-1}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/a/user/process/proc-999|{"waitMs":60001}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/a/user/process/proc-999|{"waitMs":1.5}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/a/user/process/proc-999|{"waitMs":"10"}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/a/user/process/proc-999|{"waitMs":100}|404|PROCESS_NOT_FOUND
POST|/api/sandboxes/a/shared/read|{"path":"../../etc/shadow"}|400|PATH_OUTSIDE_ROOT
POST|/api/sandboxes/a/shared/read|{"path":"/etc/shadow"}|400|PATH_OUTSIDE_ROOT
POST|/api/sandboxes/a/shared/read|{"path":"nope"}|404|FILE_NOT_FOUND
POST|/api/sandboxes/a/shared/write|{"path":"x","content":"@@@","encoding":"base64"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/shared/write|{"path":"x","content":"y","encoding":"rot13"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/read|{"path":"/etc/passwd"}|400|PATH_OUTSIDE_ROOT
POST|/api/sandboxes/a/user/read|{"path":"/etc/shadow"}|403|PERMISSION_DENIED
GET|/api/nothing-here||404|NOT_FOUND
PUT|/api/sandboxes/a/user/execute|{}|405|METHOD_NOT_ALLOWED
PUT|/api/sandboxes/c|{"userNetwork":"wifi"}|400|VALIDATION_FAILED
PUT|/api/sandboxes/c|{"envVars":{"K":"v"}}|400|VALIDATION_FAILED
PUT|/api/sandboxes/c|{"legacy":"yes"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackSocket":"/s","callbackUrl":"http://127.0.0.1:1/"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackSocket":"relative.sock"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"http://example.com/hook"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"http://127.0.0.1.example.com/hook"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"https://127.0.0.1/hook"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/na!me|{"callbackSocket":"/s"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/unknown/call|{"params":{}}|404|OPERATION_NOT_FOUND
DELETE|/api/sandboxes/a/operations/unknown||404|OPERATION_NOT_FOUND
POST|/api/sandboxes/missing/operations/op/call|{}|404|SANDBOX_NOT_FOUND
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"http://127.0.0.1:1@example.com/hook"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"http://localhost:x@example.com/"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/op|{"callbackUrl":"http://[::1]:@example.com/"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"echo first"}{"command":"echo second"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true"} junk|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","command":"id"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/user/execute|{"command":"true","env":{"A":"1","A":"2"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/user/execute|{"command":"true"}|400|VALIDATION_FAILED
PUT|/api/sandboxes/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|{}|400|VALIDATION_FAILED
POST|/api/sandboxes//user/execute|{"command":"true"}|400|VALIDATION_FAILED
DELETE|/api/sandboxes/bad!id||400|VALIDATION_FAILED
GET|/api/sandboxes/a/user/process/p.1||400|VALIDATION_FAILED
GET|/api/sandboxes/a/user/process/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx||400|VALIDATION_FAILED
GET|/api/sandboxes/a/user/process//logs||400|VALIDATION_FAILED
DELETE|/api/process/bad!id||400|VALIDATION_FAILED
POST|/api/sandboxes/a/operations/ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo|{"callbackSocket":"/s"}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/execute|{"command":"true","env":{"LD_PRELOAD":"/app/x.so"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/execute|{"command":"true","env":{"LD_LIBRARY_PATH":"/app"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/process/start|{"command":"true","env":{"LD_AUDIT":"/app/x.so"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/execute|{"command":"true","env":{"BASH_ENV":"/app/rc"}}|400|VALIDATION_FAILED
POST|/api/sandboxes/a/platform/execute|{"command":"true","env":{"ENV":"/app/rc"}}|400|VALIDATION_FAILED
CASES
r=$(req GET //api/sandboxes/); check "leading slashes and a trailing one are still the route" has "$r" '200 {"success":true'
# A bad id is 400, a well-formed unknown one 404 (the table's missing and proc-999 rows, its controls).
# User code may set its own loader variables (only its own processes read them).
r=$(req POST /api/sandboxes/a/user/execute '{"command":"echo $LD_PRELOAD $BASH_ENV","env":{"LD_PRELOAD":"","BASH_ENV":"/dev/null"}}')
check "user env may set LD_PRELOAD and BASH_ENV" has "$r" '200 {"success":true,"exitCode":0,"stdout":"/dev/null\n"'
# Too big for exec: one string past MAX_ARG_STRLEN (128 KiB), the control just under it runs.
ok_cmd=$(printf '{"command":": %0130000d; echo fits"}' 0)
r=$(req POST /api/sandboxes/a/user/execute "$ok_cmd"); check "control: a command of 130000 bytes runs" has "$r" '"stdout":"fits\n"'
printf '{"command":": %0140000d"}' 0 >"$work/big_cmd"
printf '{"command":"true","env":{"BIG":"%0140000d"}}' 0 >"$work/big_env"
reqf() { curl -s --max-time 60 --unix-socket "$sock" -X "$1" -w ' %{http_code}' --data-binary "@$3" "http://splitbox$2"; }
for ctx in user platform; do
  r=$(reqf POST /api/sandboxes/a/$ctx/execute "$work/big_cmd" | grep -o '"code":"[A-Z_]*"\| [0-9]*$' | tr '\n' ' ')
  check "a $ctx command of 140000 bytes is 400 VALIDATION_FAILED, not 500 E2BIG ($r)" test "$r" = '"code":"VALIDATION_FAILED"  400 '
  r=$(reqf POST /api/sandboxes/a/$ctx/execute "$work/big_env" | grep -o '"code":"[A-Z_]*"\| [0-9]*$' | tr '\n' ' ')
  check "a $ctx env value of 140000 bytes is 400 VALIDATION_FAILED ($r)" test "$r" = '"code":"VALIDATION_FAILED"  400 '
done
big=$(head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' a)
r=$(curl -s --unix-socket "$sock" -X POST -w '\n%{http_code}' --data-binary @- http://splitbox/api/sandboxes/a/user/execute <<<"$big")
check "a 9 MiB body is PAYLOAD_TOO_LARGE (413)" test "${r##*$'\n'}" = 413
# Expect: 100-continue with a Content-Length past the cap: 413 at once, no "100 Continue" first. The control:
# the same request with a small Content-Length gets its 100 Continue.
expect100() {
  python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
s.sendall(b"POST /api/sandboxes/a/user/execute HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
          b"Content-Length: %s\r\n\r\n" % sys.argv[2].encode())
print((s.recv(4096).decode(errors="replace").splitlines() or ["(closed)"])[0])
PY
}
r=$(expect100 20); check "control: a small body with Expect: 100-continue gets 100 Continue" test "$r" = "HTTP/1.1 100 Continue"
r=$(expect100 $((9 * 1024 * 1024))); check "a body announced past the cap gets 413 before any 100 Continue ($r)" has "$r" "HTTP/1.1 413 "
# Answers stay strict UTF-8 (fuzz-api's finds). Controls first: a UTF-8 path is
# taken and read back as utf-8; the odd name is listed at all.
utf8() { python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' 2>/dev/null; }
r=$(req POST /api/sandboxes/a/shared/write $'{"path":"caf\xc3\xa9","content":"x"}')
check "a UTF-8 path is written" has "$r" $'200 {"success":true,"path":"caf\xc3\xa9"'
r=$(req POST /api/sandboxes/a/shared/read $'{"path":"caf\xc3\xa9"}'); check "and read back as utf-8" has "$r" '"encoding":"utf-8"'
r=$(req POST /api/sandboxes/a/shared/write $'{"path":"caf\xff","content":"x"}')
check "a body that is not UTF-8 is VALIDATION_FAILED" has "$r" '400 {"success":false,"code":"VALIDATION_FAILED"'
req POST /api/sandboxes/a/shared/write '{"path":"surrogate","content":"7aCA","encoding":"base64"}' >/dev/null
r=$(req POST /api/sandboxes/a/shared/read '{"path":"surrogate"}')
check "a surrogate (not UTF-8) is read as base64" has "$r" '"content":"7aCA","encoding":"base64"'
r=$(req POST /api/sandboxes/a/user/execute '{"command":"touch /app/odd$(printf '"'"'\\377'"'"')name"}')
check "user code makes a file whose name is not UTF-8" has "$r" '200 {"success":true'
r=$(req POST /api/sandboxes/a/shared/list-files '{}')
check "list-files shows it with U+FFFD" has "$r" $'"name":"odd\xef\xbf\xbdname"'
check "and its answer is UTF-8" utf8 <<<"$r"
r=$(req GET /api/ping); check "after all that the daemon still answers" has "$r" '200 '

# TCP: loopback only, and only with the token.
r=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/ping"); check "TCP without a token is 401" test "$r" = 401
r=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "http://127.0.0.1:$port/api/ping")
check "TCP with a wrong token is 401" test "$r" = 401
r=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/ping")
check "TCP with the token is 200" test "$r" = 200

# 64 concurrent execs across 4 sandboxes.
for s in c1 c2 c3 c4; do req PUT /api/sandboxes/$s '{}' >/dev/null; done
seq 64 | xargs -P 16 -I{} sh -c 'n={}; s=c$(( n % 4 + 1 )); curl -s --max-time 60 --unix-socket "$0" -X POST \
  --data-binary "{\"command\":\"echo run-$n\"}" "http://splitbox/api/sandboxes/$s/user/execute"; echo' "$sock" >"$work/concurrent"
good=0
for n in $(seq 64); do grep -qF "\"stdout\":\"run-$n\\n\"" "$work/concurrent" && good=$((good + 1)); done
check "64 concurrent execs across 4 sandboxes all succeed with their own output ($good/64)" test $good -eq 64

# DELETE ends what the sandbox runs, and its id is free again at once.
req PUT /api/sandboxes/d '{}' >/dev/null
start=$(date +%s%N)
req POST /api/sandboxes/d/user/execute '{"command":"sleep 20.'$u'"}' >"$work/long" &
long=$!
check "the exec is in flight before the DELETE" until_ok 10 pgrep -fx "sleep 20.$u"
r=$(req DELETE /api/sandboxes/d); check "DELETE a sandbox with an exec in flight" has "$r" '200 '
wait $long
check "the exec in flight ended with the sandbox ($(( ($(date +%s%N) - start) / 1000000 )) ms)" \
  test $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000
r=$(req PUT /api/sandboxes/d '{}'); check "the id of a deleted sandbox is free again" has "$r" '201 '
r=$(req DELETE /api/sandboxes/b); check "DELETE a sandbox" has "$r" '200 '
r=$(req POST /api/sandboxes/b/user/execute '{"command":"true"}'); check "a deleted sandbox is gone" has "$r" 'SANDBOX_NOT_FOUND'

# SIGTERM: every process the daemon started goes, and its state. Its sandboxes'
# inits are its own children (CLONE_PARENT); other tests' are not.
children=$(pgrep -P $daemon | tr '\n' ' ')
check "the daemon has sandbox inits to end" test -n "$children"
check "a process of the daemon's sandboxes runs before SIGTERM" pgrep -f "sleep [0-9]*.$u"
check "the daemon has sandbox state to remove" test -n "$(ls -A "$state/sandboxes" 2>/dev/null)"
kill -TERM $daemon
wait $daemon; rc=$?
check "SIGTERM exits 0" test $rc -eq 0
left=""
for pid in $children; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
check "none of the daemon's sandbox inits is left" test -z "$left"
check "no process of the daemon's sandboxes is left on the host" test -z "$(pgrep -f "sleep [0-9]*.$u")"
check "the socket is removed" test ! -e "$sock"
check "no sandbox state is left" test -z "$(ls -A "$state/sandboxes" 2>/dev/null)"
check "... and its empty sandboxes/ and run/ are gone" test ! -e "$state/sandboxes" -a ! -e "$state/run"
finish
