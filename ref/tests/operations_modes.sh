#!/usr/bin/env bash
# Platform operations in the other isolation modes: a daemon run as uid 65534
# (userns), and one under a seccomp filter that denies namespaces (fallback,
# where platform code finds the socket through $SPLITBOX_RUN_DIR and user
# code, another uid, is refused by the socket's mode).
set -u
mode=${1:?userns or fallback}
nons=${SBX_NO_NAMESPACES:?set by meson}
echo_server=${SBX_OP_ECHO:?set by meson}
case $mode in
  userns) DAEMON_WRAP="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all" ;;
  fallback) DAEMON_WRAP=$nons ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
chmod 1777 "$work" # the daemon and the callback may run as uid 65534
start_daemon || exit 1
# The callback runs as the daemon's uid: its socket must let the daemon in.
${DAEMON_WRAP/$nons/} "$echo_server" "$work/echo.sock" & fixture_pids=$!
check "the echo server listens" until_ok 10 test -S "$work/echo.sock"

r=$(req PUT /api/sandboxes/a '{}'); check "$mode: the sandbox runs in $mode mode" has "$r" "\"isolation\":\"$mode\""
shared=$(echo "$state"/sandboxes/a.*/shared)
cp "$cli" "$shared/"
if [ "$mode" = fallback ]; then app=$shared; else app=/app; fi
req POST /api/sandboxes/a/operations/echo '{"callbackSocket":"'"$work/echo.sock"'"}' >/dev/null
r=$(req POST /api/sandboxes/a/platform/execute '{"command":"splitbox call echo --params 7; echo rc=$?"}')
check "$mode: platform code calls the operation with the splitbox on its PATH" has "$r" '\"params\":7}}\nrc=0\n'
r=$(req POST /api/sandboxes/a/user/execute '{"command":"'"$app"'/splitbox call echo --socket '"$(echo "$state"/run/*)"'/ops.sock; echo rc=$?"}')
check "$mode: user code cannot call it, even by the host path" has "$r" 'rc=3'
r=$(req POST /api/sandboxes/a/user/execute '{"command":"'"$app"'/splitbox call echo; echo rc=$?"}')
check "$mode: nor by the default path (no socket found)" has "$r" 'no daemon: give --socket PATH or --url URL (or set SPLITBOX_SOCKET)\n'
finish
