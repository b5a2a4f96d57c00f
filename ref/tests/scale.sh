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
  for _ in $(seq 100); do pgrep -fx "sleep 0.3$u" >/dev/null && break; sleep 0.02; done
  kill -STOP "$daemon"; sleep 3; kill -CONT "$daemon"
  wait $c; cat "$work/stall.out"
}
r=$(stall '{"command":"sleep 0.3'$u'; sleep 30","timeoutMs":1500}')
check "control: a command past its deadline across a stall is COMMAND_TIMEOUT" has "$r" '"code":"COMMAND_TIMEOUT"'
r=$(stall '{"command":"sleep 0.3'$u'; exit 7","timeoutMs":1500}')
check "a command that exited during a daemon stall reports its exit, not a timeout" has "$r" '"exitCode":7'
check "... and no COMMAND_TIMEOUT" test -z "$(grep -o COMMAND_TIMEOUT <<<"$r")"

# ---- a helper that holds connections open: hold ADDR N MODE READYFILE ----
# ADDR is a unix socket path or 127.0.0.1:PORT; MODE idle (nothing sent) or
# half (a request's headers and part of its body). It writes READYFILE once all
# are connected, and how many the daemon has closed since, on each SIGUSR1.
cat >"$work/hold.py" <<'PY'
import os, signal, socket, sys, time
addr, n, mode, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
import resource
resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
held = []
for _ in range(n):
    if ":" in addr:
        h, p = addr.rsplit(":", 1); s = socket.create_connection((h, int(p)))
    else:
        s = socket.socket(socket.AF_UNIX); s.connect(addr)
    if mode == "half":
        s.sendall(b"POST /api/sandboxes/keep/user/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    held.append(s)
def closed():
    c = 0
    for s in held:
        s.setblocking(False)
        try:
            c += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            c += 1
    return c
def report(*_):
    with open(ready + ".closed", "w") as f: f.write("%d\n" % closed())
signal.signal(signal.SIGUSR1, report)
with open(ready, "w") as f: f.write("%d\n" % len(held))
while True: time.sleep(1)
PY
hold() { # ADDR N MODE: starts the holder, waits until it is connected; sets holder
  rm -f "$work/ready" "$work/ready.closed"
  python3 "$work/hold.py" "$1" "$2" "$3" "$work/ready" & holder=$!
  fixture_pids="${fixture_pids:-} $holder"
  for _ in $(seq 600); do [ -s "$work/ready" ] && return 0; kill -0 $holder 2>/dev/null || return 1; sleep 0.05; done
  return 1
}
closed_count() { # how many of the holder's connections the daemon has closed
  rm -f "$work/ready.closed"; kill -USR1 $holder
  for _ in $(seq 100); do [ -s "$work/ready.closed" ] && break; sleep 0.02; done
  cat "$work/ready.closed" 2>/dev/null || echo -1
}
nfds() { ls /proc/$1/fd | wc -l; }
stop_daemon() { kill -TERM "$daemon"; wait "$daemon"; daemon=; }

# ---- 1: fds above 1023 (select() could not watch them) ----
check "control: the daemon answers before" has "$(req GET /api/ping)" '200 '
before=$(nfds $daemon)
hold "$sock" 1100 idle; check "1100 connections held open" test "$(cat "$work/ready")" = 1100
check "the daemon holds more than 1024 fds" test "$(nfds $daemon)" -gt 1024
r=$(req GET /api/ping); check "a ping on a connection past fd 1024 is answered" has "$r" '200 {"success":true'
r=$(req POST /api/sandboxes/keep/user/execute '{"command":"echo high"}'); check "... and an execute" has "$r" '"stdout":"high\n"'
kill $holder; wait $holder 2>/dev/null
for _ in $(seq 100); do [ "$(nfds $daemon)" -le $((before + 5)) ] && break; sleep 0.05; done
check "their fds are released when they close" test "$(nfds $daemon)" -le $((before + 5))

# ---- 4: no leak per started process ----
sweep_wait() { # until the daemon's children are back to N (its periodic sweep reaps)
  for _ in $(seq 100); do [ "$(ps --ppid $daemon -o pid= | wc -l)" -le "$1" ] && return 0; sleep 0.05; done; return 1
}
# cycles N CTX... : N start+kill cycles over one keep-alive connection (curl per
# request is too slow here), the contexts in turn, SIGTERM and SIGKILL in turn.
cat >"$work/cycles.py" <<'PY'
import http.client, json, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
c, errors = C("x"), 0
def call(method, path, body):
    c.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse(); return r.status, json.loads(r.read())
ctxs = sys.argv[3:]
for i in range(int(sys.argv[2])):
    ctx = ctxs[i % len(ctxs)]
    st, doc = call("POST", "/api/sandboxes/keep/%s/process/start" % ctx, {"command": "sleep 100"})
    if st != 200: errors += 1; continue
    st, _ = call("DELETE", "/api/sandboxes/keep/%s/process/%s" % (ctx, doc["processId"]),
                 {"signal": "SIGKILL" if i % 3 == 0 else "SIGTERM"})
    errors += st != 200
print(errors)
PY
cycles() { python3 "$work/cycles.py" "$sock" "$@"; }
cycles 8 user platform >/dev/null
kids=$(ps --ppid $daemon -o pid= | wc -l)
sweep_wait "$kids"; fd0=$(nfds $daemon); kids=$(ps --ppid $daemon -o pid= | wc -l)
check "200 start+kill cycles run without error" test "$(cycles 200 user platform)" = 0
check "control: the cycles started processes" test "$(ls "$state"/sandboxes/keep.*/logs | wc -l)" -gt 100
sweep_wait "$kids"
for _ in $(seq 60); do [ "$(nfds $daemon)" -le "$fd0" ] && break; sleep 0.05; done
check "... and leave the daemon's fds flat" test "$(nfds $daemon)" -le "$fd0"
# A process that just ended may be a zombie for up to a sweep (a second): one left is a leak.
for _ in $(seq 100); do [ "$(ps --ppid $daemon -o stat= | grep -c Z)" -eq 0 ] && break; sleep 0.05; done
check "... no zombie left" test "$(ps --ppid $daemon -o stat= | grep -c Z)" -eq 0
check "... and its children flat" test "$(ps --ppid $daemon -o pid= | wc -l)" -le "$kids"
cycles 120 user >/dev/null
check "finished processes past 256 are forgotten with their logs" \
  test "$(ls "$state"/sandboxes/keep.*/logs | wc -l)" -le $((2 * 256 + 4))
r=$(req GET /api/sandboxes/keep/user/process/list); check "... the list keeps the newest" has "$r" '"status":"killed"'

# ---- 3: a client that goes away: its command's tree is killed ----
req POST /api/sandboxes/keep/platform/execute '{"command":"sleep 300.'$u'9"}' >/dev/null &
c=$!
# -x: the command itself, not its client (curl holds the body in its argv).
check "control: the command runs" until_ok 5 pgrep -fx "sleep 300.${u}9"
kill $(pgrep -P $c curl) 2>/dev/null; kill $c 2>/dev/null; wait $c 2>/dev/null
for _ in $(seq 100); do pgrep -f "sleep 300.${u}9" >/dev/null || break; sleep 0.05; done
check "its client gone, the command is killed" test -z "$(pgrep -f "sleep 300.${u}9")"
stop_daemon

# ---- 3: slow clients starve no one; per-client limit; idle timeout ----
port=$((20000 + RANDOM % 20000)); echo tok-$u > "$work/token"
start_daemon --idle-timeout 2 --max-connections-per-client 200 --listen 127.0.0.1:$port --token-file "$work/token" || exit 1
tcp() { curl -s --max-time 5 -w ' %{http_code}' "$@" "http://127.0.0.1:$port/api/ping"; }
r=$(tcp -H "Authorization: Bearer tok-$u"); check "control: the TCP port answers with the token" has "$r" ' 200'
r=$(tcp); check "control: ... and refuses without it" has "$r" ' 401'
hold 127.0.0.1:$port 300 idle
check "300 unauthenticated TCP connections open" test "$(cat "$work/ready")" = 300
r=$(tcp -H "Authorization: Bearer tok-$u"); check "... do not lock out a client with the token" has "$r" ' 200'
kill $holder; wait $holder 2>/dev/null
req PUT /api/sandboxes/keep '{}' >/dev/null
base=$(nfds $daemon)
hold "$sock" 100 half
check "100 half-sent requests are open on the unix socket" test "$(cat "$work/ready")" = 100
r=$(req GET /api/ping); check "... and a ping is answered beside them" has "$r" '200 '
r=$(req POST /api/sandboxes/keep/user/execute '{"command":"echo x"}'); check "... and an execute" has "$r" '"stdout":"x\n"'
for _ in $(seq 100); do [ "$(closed_count)" = 100 ] && break; sleep 0.1; done
check "idle half-sent connections are closed (idle timeout 2 s)" test "$(closed_count)" = 100
kill $holder; wait $holder 2>/dev/null
for _ in $(seq 100); do [ "$(nfds $daemon)" -le $((base + 2)) ] && break; sleep 0.05; done
hold "$sock" 200 idle
check "control: 200 connections of one uid are all admitted" test "$(closed_count)" = 0
r=$(req GET /api/ping)
check "past 200 connections of one uid, the next is refused: 503" has "$r" '503 {"success":false,"code":"TOO_MANY_CONNECTIONS"'
r=$(req GET /api/ping); check "... and the daemon still refuses, it does not fall over" has "$r" '503 '
check "... still alive" kill -0 $daemon
kill $holder; wait $holder 2>/dev/null
for _ in $(seq 100); do req GET /api/ping | grep -q '^200 ' && break; sleep 0.05; done
r=$(req GET /api/ping); check "... and accepted once they close" has "$r" '200 '
finish
