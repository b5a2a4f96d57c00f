#!/usr/bin/env bash
# A daemon killed with SIGKILL leaves nothing running: user contexts end with
# their init, platform commands with their supervisor (the executor's
# lifeline hangs up). A restart on the same state dir removes what is left.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
u=$RANDOM$RANDOM
start_daemon || exit 1

req PUT /api/sandboxes/a '{}' >/dev/null
req PUT /api/sandboxes/b '{"requireIsolation":true}' >/dev/null
r=$(req POST /api/sandboxes/a/platform/process/start '{"command":"sleep 300.'$u'1"}')
check "a platform process runs" has "$r" '"processId"'
req POST /api/sandboxes/a/user/process/start '{"command":"sleep 300.'$u'2"}' >/dev/null
req POST /api/sandboxes/b/platform/process/start '{"command":"sh -c \"sleep 300.'$u'3 & wait\""}' >/dev/null
req POST /api/sandboxes/a/platform/execute/stream '{"command":"sleep 300.'$u'4"}' >/dev/null &
fixture_pids=$!
four_run() { test "$(pgrep -fxc "sleep 300.$u[1-4]")" -ge 4; }
check "four commands run on the host" until_ok 20 four_run

kill -KILL "$daemon"
wait "$daemon" 2>/dev/null
daemon=
none_left() { ! pgrep -f "sleep 300.$u" >/dev/null; }
check "after SIGKILL of the daemon no command of its sandboxes is left (within 2 s)" until_ok 2 none_left
check "no mount of the daemon's state is left on the host" test -z "$(grep -F "$state" /proc/self/mountinfo)"
check "the crashed daemon left state behind (what the restart must clean)" test -n "$(ls -A "$state/sandboxes")"

start_daemon || exit 1
check "a restart removes the crashed daemon's sandboxes" test -z "$(ls -A "$state/sandboxes")"
check "... and their operations sockets" test -z "$(ls -A "$state/run")"
r=$(req PUT /api/sandboxes/a '{}'); check "the restarted daemon serves" has "$r" '201 '
r=$(req POST /api/sandboxes/a/user/execute '{"command":"echo again"}'); check "... and runs commands" has "$r" '"stdout":"again\n"'

# A state directory whose socket paths cannot fit a unix address is refused at start.
long=$work/$(printf 'd%.0s' $(seq 100))
out=$("$cli" daemon --socket "$work/long.sock" --state-dir "$long" 2>&1); rc=$?
check "a state directory too long for socket paths: exit 1 at start" test $rc -eq 1
check "... saying why" has "$out" "is too long: its sockets' paths must fit in 108 bytes"
finish
