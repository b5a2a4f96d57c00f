#!/usr/bin/env bash
# Platform operations end to end: a client registers a callback, platform code
# calls it with `splitbox call` through /run/splitbox/ops.sock, and user code
# has no way to reach it (nor the control socket). Also the client's own call
# route, failures of the callback, and sandbox against sandbox.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
echo_server=${SBX_OP_ECHO:?set by meson}
start_daemon || exit 1

"$echo_server" "$work/echo.sock" 2>"$work/echo.log" & fixture_pids="$!"
check "the echo server listens" until_ok 10 test -S "$work/echo.sock"

req PUT /api/sandboxes/a '{}' >/dev/null
req PUT /api/sandboxes/b '{}' >/dev/null
# The CLI goes where the contexts can run it: the shared dir of each sandbox.
for s in a b; do cp "$cli" "$state"/sandboxes/$s.*/shared/; done

r=$(req POST /api/sandboxes/a/operations/echo '{"callbackSocket":"'"$work/echo.sock"'"}')
check "register an operation with a callback socket" has "$r" '200 {"success":true,"operation":"echo"}'

r=$(req POST /api/sandboxes/a/operations/echo/call '{"params":{"n":1}}')
check "the client calls its own operation and gets the handler's JSON" \
  has "$r" '200 {"handledBy":"sbx-op-echo","request":{"operation":"echo","sandboxId":"a","params":{"n":1}}}'

# `splitbox` is on platform code's PATH (the daemon's own binary, at /run/splitbox/bin).
r=$(req POST /api/sandboxes/a/platform/execute '{"command":"command -v splitbox; splitbox -V >/dev/null; echo rc=$?"}')
check "platform code finds splitbox on its PATH, and it runs" has "$r" '"stdout":"/run/splitbox/bin/splitbox\nrc=0\n"'
r=$(req POST /api/sandboxes/a/platform/execute '{"command":"touch /run/splitbox/bin/splitbox /run/splitbox/bin/x; echo rc=$?"}')
check "... read-only: platform code cannot replace it" has "$r" 'Read-only file system'
r=$(req POST /api/sandboxes/a/user/execute '{"command":"command -v splitbox; ls /run/splitbox; echo rc=$?"}')
check "user code has no /run/splitbox, nor splitbox on its PATH" has "$r" '"stdout":"rc=2\n"'
r=$(req POST /api/sandboxes/a/platform/execute \
  '{"command":"splitbox call echo --params \"{\\\"from\\\":\\\"platform\\\"}\"; echo rc=$?; echo $SPLITBOX_RUN_DIR"}')
check "platform code calls the operation with splitbox call" \
  has "$r" '"stdout":"{\"handledBy\":\"sbx-op-echo\",\"request\":{\"operation\":\"echo\",\"sandboxId\":\"a\",\"params\":{\"from\":\"platform\"}}}\nrc=0\n/run/splitbox\n"'

r=$(req POST /api/sandboxes/a/platform/process/start '{"command":"splitbox call echo --params 42 > /platform/called.part && mv /platform/called.part /platform/called"}')
check "process/start of a platform process that calls it" has "$r" '"processId"'
called() { r=$(req POST /api/sandboxes/a/platform/read '{"path":"/platform/called"}'); has "$r" '200 '; }
until_ok 20 called
check "a platform process started with process/start calls it too" has "$r" '"params\":42}}'

r=$(req POST /api/sandboxes/a/platform/execute '{"command":"splitbox call missing; echo rc=$?"}')
check "an unknown operation is OPERATION_NOT_FOUND, exit 1" has "$r" 'OPERATION_NOT_FOUND: no operation \"missing\" is registered\n'
check "... with exit status 1" has "$r" '"stdout":"rc=1\n"'

r=$(req POST /api/sandboxes/a/operations/echo/call '{"params":"fail"}')
check "a handler's HTTP error is OPERATION_FAILED (502)" has "$r" '502 {"success":false,"code":"OPERATION_FAILED"'

req POST /api/sandboxes/a/operations/gone '{"callbackSocket":"'"$work/nobody.sock"'"}' >/dev/null
r=$(req POST /api/sandboxes/a/operations/gone/call '{}')
check "an unreachable callback is OPERATION_FAILED" has "$r" '"code":"OPERATION_FAILED","message":"operation \"gone\": its callback'
r=$(req DELETE /api/sandboxes/a/operations/gone); check "DELETE unregisters an operation" has "$r" '200 '
r=$(req POST /api/sandboxes/a/operations/gone/call '{}'); check "... and then it is not found" has "$r" '404 '

# User code: no operations socket, no control socket, no path at all.
r=$(req POST /api/sandboxes/a/user/execute \
  '{"command":"/app/splitbox call echo; echo rc=$?; ls -d /run/splitbox; echo $SPLITBOX_RUN_DIR; cat /proc/net/unix"}')
check "user code cannot call the operation (exit 2, no socket found)" has "$r" 'splitbox call: no daemon: give --socket PATH'
check "user code has no /run/splitbox" has "$r" "ls: cannot access '/run/splitbox': No such file or directory"
check "user code sees no SPLITBOX_RUN_DIR" has "$r" '"stdout":"rc=2\n\nNum'
search='{"command":"cat /proc/net/unix; find / -path /proc -prune -o -path /sys -prune -o -type s -print 2>/dev/null"}'
r=$(req POST /api/sandboxes/a/platform/execute "$search")
check "the search finds the operations socket in the platform's view (control)" has "$r" '/run/splitbox/ops.sock'
r=$(req POST /api/sandboxes/a/user/execute "$search")
check "the same search ran in the user's view (HTTP 200)" has "$r" '200 {"success":'
check "... and read /proc/net/unix" has "$r" '"stdout":"Num       RefCount'
check "no splitbox socket in the user's view or its /proc/net/unix" \
  test -z "$(grep -o -e 'ops\.sock' -e 'api\.sock' -e 'echo\.sock' <<<"$r")"
for path in /run/splitbox/ops.sock "$sock" "$work/echo.sock"; do
  r=$(req POST /api/sandboxes/a/user/execute '{"command":"/app/splitbox call echo --socket '"$path"'; echo rc=$?"}')
  check "user code cannot connect to $(basename "$path") by its host path" has "$r" 'rc=3'
done
r=$(req POST /api/sandboxes/a/user/execute '{"command":"/app/splitbox ps --socket '"$sock"'; echo rc=$?"}')
check "user code cannot reach the control socket either" has "$r" 'rc=3'

# Sandbox b's platform has its own operations socket: a's operations are not on it.
r=$(req POST /api/sandboxes/b/platform/execute '{"command":"/app/splitbox call echo; echo rc=$?"}')
check "sandbox b's platform does not reach a's operation" has "$r" 'OPERATION_NOT_FOUND'
r=$(req POST /api/sandboxes/b/platform/execute \
  '{"command":"curl -s --unix-socket /run/splitbox/ops.sock -X POST -d {} http://x/api/sandboxes/a/operations/echo/call"}')
check "naming sandbox a on b's operations socket is refused" has "$r" '\"code\":\"NOT_FOUND\"'
r=$(req POST /api/sandboxes/b/platform/execute \
  '{"command":"curl -s --unix-socket /run/splitbox/ops.sock -X POST -d {} http://x/api/sandboxes/b/platform/execute"}')
check "the operations socket serves nothing but calls" has "$r" 'serves POST /api/operations/{name}/call only'

# Platform views hide the daemon's state and control socket: no other
# sandbox's operations socket, no /platform of another sandbox, no API.
a_ops=$(echo "$state"/run/*/ops.sock | cut -d' ' -f1)
check "(the host has the paths the next checks try)" test -S "$a_ops" -a -S "$sock"
r=$(req POST /api/sandboxes/b/platform/execute '{"command":"for s in '"$state"'/run/*/ops.sock; do curl -s --unix-socket $s -X POST -d {} http://x/api/operations/echo/call; echo; done; ls -A '"$state"' | wc -l; curl -s --unix-socket '"$sock"' http://x/api/ping; echo rc=$?"}')
check "platform code of b cannot reach a's operations socket by its host path" test -z "$(grep -o handledBy <<<"$r")"
check "platform code sees nothing of the daemon's state directory, nor its socket" has "$r" '"stdout":"\n0\nrc=7\n"'

# /run/splitbox is read-only; the host's /run is there, live, sockets included.
u=$RANDOM$RANDOM
fixture_files="/run/sbx-test-$u.sock /run/sbx-test-$u.d"
"$echo_server" "/run/sbx-test-$u.sock" & fixture_pids="$fixture_pids $!"
mkdir "/run/sbx-test-$u.d"
check "the /run echo server listens" until_ok 10 test -S "/run/sbx-test-$u.sock"
r=$(req POST /api/sandboxes/a/platform/execute '{"command":"test -S /run/sbx-test-'"$u"'.sock && echo sock; test -d /run/sbx-test-'"$u"'.d && echo live; touch /run/splitbox/x 2>/dev/null || echo ro; rm -f /run/splitbox/ops.sock 2>/dev/null || echo kept"}')
rmdir "/run/sbx-test-$u.d"
check "the platform's /run has the host's sockets, and entries made after the sandbox" has "$r" '"stdout":"sock\nlive\n'
check "/run/splitbox is read-only: nothing planted, the socket stays" has "$r" 'ro\nkept\n"'

# A call in flight does not hold up a DELETE of its sandbox (the callback
# might be waiting for that very DELETE).
req PUT /api/sandboxes/c '{}' >/dev/null
cp "$cli" "$state"/sandboxes/c.*/shared/
req POST /api/sandboxes/c/operations/echo '{"callbackSocket":"'"$work/echo.sock"'"}' >/dev/null
req POST /api/sandboxes/c/platform/process/start '{"command":"/app/splitbox call echo --params \"\\\"slow\\\"\""}' >/dev/null
check "the call is in flight: the echo server holds it" until_ok 20 grep -q 'a slow call' "$work/echo.log"
start=$(date +%s%N)
r=$(req DELETE /api/sandboxes/c)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "DELETE with an operation call in flight answers at once ($ms ms)" test "$ms" -lt 3000
check "... and succeeds" has "$r" '200 '

# A loopback URL callback.
port=$((20000 + RANDOM % 20000))
r=$(req POST /api/sandboxes/b/operations/web '{"callbackUrl":"http://127.0.0.1:'"$port"'/hook"}')
check "register an operation with a loopback URL" has "$r" '200 '
r=$(req POST /api/sandboxes/b/operations/web/call '{}')
check "a URL nobody listens on is OPERATION_FAILED" has "$r" '"code":"OPERATION_FAILED"'
finish
