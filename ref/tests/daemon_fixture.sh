# Sourced by the daemon's shell tests: a daemon of its own on a temp socket,
# stopped and removed at exit. Sets work, sock, state, daemon; defines req and has.
# DAEMON_ARGS adds arguments to `splitbox daemon`; DAEMON_WRAP is a command
# the daemon runs under (setpriv, sbx-no-namespaces).
cli=${SPLITBOX_CLI:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../testsupport/checks.sh"

# Not under /tmp: platform views have a /tmp of their own, and the tests must
# see that they hide the daemon's state and socket by other means.
work=$(mktemp -d -p /var/tmp)
sock=$work/api.sock state=$work/state
start_daemon() {
  # shellcheck disable=SC2086
  ${DAEMON_WRAP:-} "$cli" daemon --socket "$sock" --state-dir "$state" ${DAEMON_ARGS:-} "$@" 2>>"$work/daemon.log" &
  daemon=$!
  # A ping, not the socket file: a crashed daemon's socket may still be there.
  for _ in $(seq 100); do
    curl -s --max-time 2 --unix-socket "$sock" http://splitbox/api/ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "the daemon did not start:"; cat "$work/daemon.log"; return 1
}
fixture_cleanup() {
  [ -n "${daemon:-}" ] && { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
  for p in ${fixture_pids:-}; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  # Files a test had to make outside $work (a socket in /run): a killed server leaves its socket.
  for f in ${fixture_files:-}; do rm -rf "$f"; done
  rm -rf "$work"
}
trap fixture_cleanup EXIT

# req METHOD PATH [BODY]: prints "STATUS BODY"
req() {
  local out
  out=$(curl -s --max-time 60 --unix-socket "$sock" -X "$1" -w '\n%{http_code}' ${3:+--data-binary "$3"} "http://splitbox$2")
  printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}
# has TEXT PATTERN: PATTERN, one line, is in TEXT. A newline in PATTERN would
# make grep -F look for each line alone, and "" matches anything.
has() {
  [[ -n $2 && $2 != *$'\n'* ]] || { echo "    has: an empty or multi-line pattern"; return 2; }
  grep -qF -- "$2" <<<"$1"
}
