#!/usr/bin/env bash
# Files through the daemon: the raw-bytes route (PUT/GET .../files?path=) at
# its cap and past it, its bad input against the JSON route's, atomic writes
# under concurrent writers and readers, and a daemon killed mid-write.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
start_daemon || exit 1
req PUT /api/sandboxes/a '{}' >/dev/null
base=http://splitbox/api/sandboxes/a

# put SCOPE PATH FILE: prints "STATUS BODY"; get SCOPE PATH OUT: prints the status
put() { curl -s --max-time 60 --unix-socket "$sock" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary "@$3" -w '\n%{http_code}' "$base/$1/files?path=$2" | { b=$(cat); printf '%s %s\n' "${b##*$'\n'}" "${b%$'\n'*}"; }; }
get() { curl -s --max-time 60 --unix-socket "$sock" -o "$3" -w '%{http_code}' "$base/$1/files?path=$2"; }

cap=$((64 * 1024 * 1024))
head -c "$cap" /dev/urandom > "$work/cap"
r=$(put shared big "$work/cap"); check "PUT raw bytes at the cap (64 MiB)" has "$r" "200 {\"success\":true,\"path\":\"big\",\"size\":$cap}"
check "GET gives them back, byte for byte" test "$(get shared big "$work/back")" = 200
check "... the same bytes" cmp -s "$work/cap" "$work/back"
head -c 1 /dev/zero >> "$work/cap"
r=$(put shared big "$work/cap"); check "one byte past the cap is 413 PAYLOAD_TOO_LARGE" has "$r" '413 {"success":false,"code":"PAYLOAD_TOO_LARGE"'
get shared big "$work/back" >/dev/null
check "... and the file is the old one" cmp -s <(head -c "$cap" "$work/cap") "$work/back"
rm -f "$work/back"
printf 'a\0b\377' > "$work/bin"
r=$(put user /tmp/u%20x "$work/bin"); check "user scope: PUT (a %-escaped space in the path)" has "$r" '200 {"success":true,"path":"/tmp/u x","size":4}'
r=$(req POST "/api/sandboxes/a/user/execute" '{"command":"od -An -c \"/tmp/u x\" | tr -s \" \"; stat -c %u \"/tmp/u x\""}')
check "user code reads the bytes, and owns the file" has "$r" '"stdout":" a \\0 b 377\n1000\n"'
check "user scope: GET" test "$(get user '/tmp/u%20x' "$work/back")" = 200
check "... the same bytes" cmp -s "$work/bin" "$work/back"
r=$(curl -s --unix-socket "$sock" -X PUT --data-binary compat 'http://splitbox/api/files?path=/tmp/c'); check "compatibility PUT /api/files" has "$r" '"size":6'
check "compatibility GET /api/files" test "$(curl -s --unix-socket "$sock" 'http://splitbox/api/files?path=/tmp/c')" = compat

# Bad input: the raw route answers as the JSON route does, code for code.
r=$(req POST /api/sandboxes/a/user/execute '{"command":"ln -sfn /etc /app/out && echo planted"}')
check "user code plants a symlink out of the shared dir" has "$r" '"stdout":"planted\n"'
while IFS='|' read -r scope query json want; do
  r=$(put "$scope" "$query" "$work/bin"); check "PUT $scope ?path=$query is $want" has "$r" "\"code\":\"$want\""
  r=$(curl -s --unix-socket "$sock" "$base/$scope/files?path=$query"); check "GET $scope ?path=$query is $want" has "$r" "\"code\":\"$want\""
  r=$(req POST "/api/sandboxes/a/$scope/write" "{\"path\":$json,\"content\":\"x\"}"); check "... as the JSON write" has "$r" "\"code\":\"$want\""
done <<'TABLE'
shared|../../etc/passwd|"../../etc/passwd"|PATH_OUTSIDE_ROOT
shared|/etc/passwd|"/etc/passwd"|PATH_OUTSIDE_ROOT
shared|out/passwd|"out/passwd"|PATH_OUTSIDE_ROOT
platform|/platform/../etc/x|"/platform/../etc/x"|PATH_OUTSIDE_ROOT
shared|a%00b|"a\u0000b"|VALIDATION_FAILED
shared||""|VALIDATION_FAILED
TABLE
r=$(curl -s --unix-socket "$sock" -X PUT --data-binary x "$base/shared/files"); check "no path is VALIDATION_FAILED" has "$r" '"code":"VALIDATION_FAILED"'
check "nothing was written through the symlink" test ! -e /etc/passwd.sbx-never -a "$(stat -c %s /etc/passwd)" -gt 4

# Torn reads: 6 writers of 3 MiB each on one path, readers meanwhile. A read is
# whole when it is 3 MiB of one writer's letter. The control first: the same
# readers against user code writing in place (truncate, then write) must see
# torn reads, or the check could not tell.
size=$((3 * 1024 * 1024))
for l in A B C D E F; do head -c "$size" /dev/zero | tr '\0' "$l" > "$work/$l"; done
whole() { local c; c=$(head -c 1 "$1" | tr -d '\0'); [ "$(stat -c %s "$1")" = "$size" ] && [[ $c == [A-F] ]] && [ "$(tr -d "$c" < "$1" | head -c 1 | wc -c)" = 0 ]; }
readers() { # readers N DIR: N reads in each of 3 readers, results in DIR
  mkdir -p "$2"
  for k in 1 2 3; do
    ( for i in $(seq "$1"); do
        if [ "$(get shared t "$2/$k.$i")" = 200 ] && ! whole "$2/$k.$i"; then echo torn; else echo ok; fi
        rm -f "$2/$k.$i"
      done > "$2/r$k" ) &
  done
  wait
  cat "$2"/r[123]
}
put shared t "$work/A" >/dev/null
# The control's writers: user code, in place, 6 at once (the shared dir is /app).
r=$(req POST /api/sandboxes/a/user/process/start '{"command":"rm -f /app/t; for i in $(seq 400); do for l in A B C D E F; do head -c 3145728 /dev/zero | tr \"\\000\" $l > /app/t & done; wait; done"}')
check "the control's in-place writers start" has "$r" '"processId":"proc-'
wid=$(grep -o '"processId":"[^"]*"' <<<"$r" | cut -d'"' -f4)
control=$(readers 15 "$work/control")
check "control: in-place writes give torn reads ($(grep -c torn <<<"$control") of 45)" has "$control" torn
req DELETE "/api/sandboxes/a/user/process/$wid" '{"signal":"SIGKILL"}' >/dev/null
stopped() { ! has "$(req GET "/api/sandboxes/a/user/process/$wid")" '"status":"running"'; }
check "the control's writers are stopped" until_ok 30 stopped
put shared t "$work/A" >/dev/null
writers=
for l in A B C D E F; do
  ( for i in $(seq 12); do put shared t "$work/$l" | grep -q '^200 ' || echo fail; done > "$work/w$l" ) &
  writers="$writers $!"
done
fixed=$(readers 15 "$work/fixed")
# shellcheck disable=SC2086
wait $writers # not a bare wait: the daemon is a child too
check "the 6 writers' 72 writes all succeeded" test -z "$(cat "$work"/w[A-F])"
check "every one of 45 reads meanwhile was whole ($(grep -c torn <<<"$fixed") torn)" test "$(grep -c ok <<<"$fixed")" = 45

# A daemon killed mid-write leaves the old file, and nothing else: the new
# content's file is unnamed (O_TMPFILE) until just before the rename. That
# naming (a linkat: in the daemon; for a user write in the sandbox's init, or in
# fallback in a child of the daemon, as the user) is held up by strace, so the
# kill lands while the file is unnamed, whatever the fill's speed.
check "strace is installed (scripts/bootstrap --test)" command -v strace
head -c "$cap" /dev/urandom > "$work/cap"
printf old > "$work/old"
for run in user shared user-fallback; do
  # Sandbox a's shared dir, which user code sees as /app. In fallback user code
  # sees the host, where $work is closed to it: a dir of its own in /tmp.
  shared=$(find "$state/sandboxes" -mindepth 2 -maxdepth 2 -path "*/a.*/shared" -type d)
  if [ $run = user-fallback ]; then
    shared=$(mktemp -d /tmp/sbx-files-XXXXXX) && chmod 1777 "$shared" && fixture_files="${fixture_files:-} $shared"
  fi
  scope=${run%-fallback}; n=k$run
  case $run in user) path=/app/$n ;; shared) path=$n ;; *) path=$shared/$n ;; esac
  r=$(put $scope "$path" "$work/old"); check "$run: a first write" has "$r" '200 {"success":true'
  check "... its file is in the shared dir on the host" cmp -s "$work/old" "$shared/$n"
  dev=$(stat -c %d "$shared")
  pids="$daemon $(pgrep -P "$daemon" | tr '\n' ' ')" # the daemon and its children: the sandbox's init
  # shellcheck disable=SC2086
  strace -f -qq -o /dev/null -e trace=linkat -e inject=linkat:delay_enter=20000000 $(printf -- '-p %s ' $pids) \
    2>>"$work/strace.log" &
  tracer=$!
  traced() {
    local p t
    for p in $pids; do
      [ -d "/proc/$p" ] || continue # a child that ended meanwhile
      for t in /proc/"$p"/task/*; do grep -qx "TracerPid:	$tracer" "$t/status" || return 1; done
    done
  }
  check "$run: strace holds the daemon, its children and their threads" until_ok 10 traced
  put $scope "$path" "$work/cap" >/dev/null &
  putpid=$!
  # A file of the shared dir's filesystem, held by the daemon, with no name (whatever path its fd shows).
  unnamed() { find -L "/proc/$daemon/fd" -mindepth 1 -maxdepth 1 -type f -links 0 -printf '%D\n' 2>/dev/null | grep -qx "$dev"; }
  check "$run: the write's file is unnamed while its naming waits" until_ok 30 unnamed
  check "... and nothing named beside the file meanwhile" test -z "$(compgen -G "$shared/.$n.*")"
  kill -KILL "$daemon"; wait "$daemon" 2>/dev/null; daemon=
  wait "$putpid" 2>/dev/null
  kill "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null
  check "$run: after SIGKILL the file holds the old content" cmp -s "$work/old" "$shared/$n"
  check "... and nothing is left beside it" test "$(ls -A "$shared" | grep -c "^\\.$n\\.")" = 0
  case $run in
    user) start_daemon || exit 1 ;;
    shared)
      DAEMON_WRAP=${SBX_NO_NAMESPACES:?set by meson} start_daemon || exit 1
      r=$(req GET /api/capabilities); check "control: the next daemon runs without namespaces" has "$r" '"isolation":"fallback"'
      ;;
    *) continue ;;
  esac
  r=$(req PUT /api/sandboxes/a '{}'); check "the next daemon makes the sandbox again" has "$r" '201 {'
done
finish
