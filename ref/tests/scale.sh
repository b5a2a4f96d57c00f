#!/usr/bin/env bash
# splitboxd at scale (issue 16): one daemon per state dir and socket, a
# stalled daemon reports real exits, fds above 1023, no leaks per started
# process, slow and vanished clients. Figures come from scripts/stress, not
# from here: this checks the causes, each after a positive control.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
start_daemon || exit 1
u=$RANDOM$RANDOM

# ---- 5: one daemon per state dir and per socket ----
r=$(req PUT /api/sandboxes/keep '{}'); check "the first daemon made a sandbox" has "$r" '201 '
r=$(req POST /api/sandboxes/keep/shared/write '{"path":"mark","content":"still here"}'); check "... and wrote in it" has "$r" '200 '
out=$("$cli" daemon --socket "$work/second.sock" --state-dir "$state" 2>&1); rc=$?
check "a second daemon on the same state dir exits 1" test $rc -eq 1
check "... naming the first one's pid and the state dir" has "$out" "another splitbox daemon (pid $daemon) serves $state"
check "... and does not take a socket" test ! -e "$work/second.sock"
r=$(req POST /api/sandboxes/keep/shared/read '{"path":"mark"}'); check "the first daemon's sandbox is intact" has "$r" '"content":"still here"'
r=$(req POST /api/sandboxes/keep/user/execute '{"command":"echo alive"}'); check "... and runs commands" has "$r" '"stdout":"alive\n"'
out=$("$cli" daemon --socket "$sock" --state-dir "$work/other-state" 2>&1); rc=$?
check "a second daemon on a live daemon's socket exits 1" test $rc -eq 1
check "... saying so" has "$out" "another daemon serves $sock"
r=$(req GET /api/ping); check "the first daemon still answers on its socket" has "$r" '200 '
# Positive control: a stale socket (nobody listening) is replaced, so the
# refusal above came from the live daemon, not from the socket file.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$work/stale.sock"
"$cli" daemon --socket "$work/stale.sock" --state-dir "$work/stale-state" 2>>"$work/daemon.log" &
stale=$!; fixture_pids="$stale"
for _ in $(seq 100); do curl -s --max-time 2 --unix-socket "$work/stale.sock" http://x/api/ping >/dev/null 2>&1 && break; sleep 0.05; done
check "a stale socket is replaced (control)" curl -sf --max-time 2 --unix-socket "$work/stale.sock" http://x/api/ping
kill -TERM "$stale"; wait "$stale"
check "after the other daemon is gone its state dir serves again (control)" \
  test "$(ls "$work/stale-state")" = daemon.lock -o -z "$(ls -A "$work/stale-state/sandboxes" 2>/dev/null)"

# ---- 8: a stalled daemon does not misreport ----
# Control first: a command that really outlives its timeout under the same
# stall is COMMAND_TIMEOUT, so the check below can tell the two apart.
stall() { # BODY: the exec's result after the daemon was stopped 3 s in its middle
  req POST /api/sandboxes/keep/user/execute "$1" >"$work/stall.out" &
  local c=$!
  for _ in $(seq 100); do pgrep -f "sleep 0.3$u" >/dev/null && break; sleep 0.02; done
  kill -STOP "$daemon"; sleep 3; kill -CONT "$daemon"
  wait $c; cat "$work/stall.out"
}
r=$(stall '{"command":"sleep 0.3'$u'; sleep 30","timeoutMs":1500}')
check "control: a command past its deadline across a stall is COMMAND_TIMEOUT" has "$r" '"code":"COMMAND_TIMEOUT"'
r=$(stall '{"command":"sleep 0.3'$u'; exit 7","timeoutMs":1500}')
check "a command that exited during a daemon stall reports its exit, not a timeout" has "$r" '"exitCode":7'
check "... and no COMMAND_TIMEOUT" test -z "$(grep -o COMMAND_TIMEOUT <<<"$r")"
finish
