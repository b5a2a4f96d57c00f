#!/usr/bin/env bash
# The client verbs (exec, start, ps, kill, read, write, ls, call) against a
# daemon: their output, --json, and their documented exit statuses.
set -u
# shellcheck source=daemon_fixture.sh
. "$(dirname "$0")/daemon_fixture.sh"
start_daemon || exit 1
export SPLITBOX_SOCKET=$sock SPLITBOX_SANDBOX=s
req PUT /api/sandboxes/s '{}' >/dev/null
sb() { "$cli" "$@"; }

out=$(sb exec -- echo hello '$HOME'); rc=$?
check "exec prints the command's output" test "$out" = "hello /home/user"
check "exec exits 0" test $rc -eq 0
sb exec -- 'exit 7'; rc=$?; check "exec exits with the command's status" test $rc -eq 7
err=$(sb exec -- 'echo oops >&2' 2>&1 >/dev/null); check "exec passes stderr through" test "$err" = oops
out=$(sb exec --context platform --env SECRET=s3 --cwd /platform -- 'echo $SECRET; pwd')
check "exec --context platform, --env, --cwd" test "$out" = $'s3\n/platform'
out=$(sb exec --context platform -- 'echo $$'); check "a platform exec is PID 1 (was $out)" test "$out" = 1
out=$(sb exec --context platform --init -- 'echo $$'); check "... and not with --init (was $out)" test -n "$out" -a "$out" != 1
err=$(sb exec --init -- true 2>&1); rc=$?
check "--init in the user context is refused (125), and says why" test $rc -eq 125 -a -n "$(grep -F -e '--init is for exec in the platform context' <<<"$err")"
err=$(sb ps --init 2>&1); rc=$?
check "--init with another verb is a usage error (2)" test $rc -eq 2 -a -n "$(grep -F -e '--init is for exec' <<<"$err")"
sb exec --timeout 200 -- sleep 5 2>/dev/null; rc=$?; check "exec on a timeout exits 124" test $rc -eq 124
sb exec --sandbox nope -- true 2>/dev/null; rc=$?; check "exec when splitbox fails exits 125" test $rc -eq 125
out=$(sb exec --json -- 'printf x; exit 2'); rc=$?
check "exec --json prints the result" has "$out" '{"success":false,"exitCode":2,"stdout":"x","stderr":""'
check "exec --json still exits with the status" test $rc -eq 2
out=$(sb exec --sandbox= -- true 2>&1); rc=$?
check "a bad sandbox id is refused before any request" test $rc -eq 125

id=$(sb start --context platform -- sleep 100); rc=$?
check "start prints the process id" has "$id" proc-
out=$(sb ps --context platform); check "ps lists it" has "$out" "$id"
uid=$(sb start --context user -- sleep 101); rc=$?
check "start of a user process" has "$uid" proc-
out=$(sb ps --context user); rc=$?
check "ps of the user context answers (exit 0) and lists the user's own process" test $rc -eq 0 -a -n "$(grep -F "$uid" <<<"$out")"
check "ps of the user context does not list it" test -z "$(grep -F "sleep 100" <<<"$out")"
out=$(sb ps --context platform --json); check "ps --json" has "$out" '{"processes":[{"id":"'"$id"'"'
sb kill --context platform "$id"; rc=$?; check "kill exits 0" test $rc -eq 0
ended() { out=$(sb ps --context platform --json) && ! has "$out" '"status":"running"'; }
until_ok 10 ended
check "the killed process says so" has "$out" '"status":"killed"'
sb kill --context platform proc-999 2>/dev/null; rc=$?; check "kill of an unknown process exits 1" test $rc -eq 1
err=$(sb kill --context platform proc-999 2>&1); check "... and names the code" has "$err" PROCESS_NOT_FOUND

printf 'line1\nline2\n' | sb write --context shared notes.txt; rc=$?
check "write from stdin" test $rc -eq 0
out=$(sb read --context shared notes.txt); check "read gives the bytes back" test "$out" = $'line1\nline2'
printf '\0\1\2\377' | sb write --context shared bin
check "binary content round-trips" test "$(sb read --context shared bin | od -An -tx1 | tr -d ' ')" = 000102ff
out=$(sb read --context shared bin --json); check "read --json of binary is base64" has "$out" '"content":"AAEC/w==","encoding":"base64"'
sb write --context platform /platform/key --content k3y
out=$(sb read --context platform /platform/key); check "platform files" test "$out" = k3y
sb read --context user /platform/key 2>/dev/null; rc=$?; check "the user context cannot read it (exit 1)" test $rc -eq 1
out=$(sb ls); check "ls lists the shared dir" has "$out" notes.txt
out=$(sb ls --json); check "ls --json" has "$out" '{"name":"notes.txt","type":"file","size":12}'
sb ls --context user 2>/dev/null; rc=$?; check "ls of a context is a usage error (2)" test $rc -eq 2
sb read --context shared ../../etc/passwd 2>/dev/null; rc=$?; check "read outside the root exits 1" test $rc -eq 1

sb ps --socket "$work/none.sock" 2>/dev/null; rc=$?; check "no daemon: exit 3" test $rc -eq 3
sb ps --context elsewhere 2>/dev/null; rc=$?; check "a bad --context: exit 2" test $rc -eq 2
SPLITBOX_SOCKET= sb ps --socket "" 2>/dev/null; rc=$?; check "an empty socket is a usage error (2)" test $rc -eq 2
sb exec 2>/dev/null; rc=$?; check "exec without a command: 125" test $rc -eq 125
out=$(sb call --sandbox s missing 2>&1); rc=$?
check "call of an unregistered operation: exit 1, OPERATION_NOT_FOUND" has "$rc $out" "1 splitbox call: OPERATION_NOT_FOUND"
out=$(unset SPLITBOX_SOCKET SPLITBOX_SANDBOX; SPLITBOX_RUN_DIR=$work "$cli" call x 2>&1); rc=$?
check "call outside a platform context finds no operations socket (3)" has "$rc $out" "3 splitbox call: DAEMON_UNAVAILABLE: $work/ops.sock"
# On the host, call honours SPLITBOX_SOCKET and SPLITBOX_SANDBOX like every verb.
out=$(unset SPLITBOX_RUN_DIR; sb call missing 2>&1); rc=$?
check "on the host, call goes to \$SPLITBOX_SOCKET for \$SPLITBOX_SANDBOX (exit 1, OPERATION_NOT_FOUND)" \
  has "$rc $out" "1 splitbox call: OPERATION_NOT_FOUND"
out=$(unset SPLITBOX_RUN_DIR SPLITBOX_SANDBOX; sb call missing 2>&1); rc=$?
check "on the host, call without a sandbox is a usage error (2)" has "$rc $out" "2 splitbox call: call on the daemon's socket needs --sandbox ID"

# The compatibility routes: no sandbox means "default", user context only.
out=$(SPLITBOX_SANDBOX= sb exec --json -- true); check "without a sandbox, exec goes to the default sandbox's user context" has "$out" '"context":"user"'
out=$(unset SPLITBOX_SANDBOX; sb exec --context platform -- true 2>&1); rc=$?
check "without a sandbox there is no platform context" has "$rc $out" "125 splitbox exec: VALIDATION_FAILED: the platform context needs a sandbox id"
# Sandboxes from the CLI: create, list, delete (the README's client quick start needs no curl).
(unset SPLITBOX_SANDBOX; sb sandbox create cli-made >/dev/null); rc=$?
check "sandbox create: exit 0 (was $rc)" test $rc -eq 0
out=$(unset SPLITBOX_SANDBOX; sb exec --sandbox cli-made --context platform -- echo made-here); rc=$?
check "... and the sandbox runs commands" has "$rc $out" "0 made-here"
out=$(unset SPLITBOX_SANDBOX; sb sandbox list); rc=$?
check "sandbox list names it (exit $rc)" grep -qx cli-made <<<"$out"
(unset SPLITBOX_SANDBOX; sb sandbox delete cli-made >/dev/null); rc=$?
check "sandbox delete: exit 0 (was $rc)" test $rc -eq 0
out=$(unset SPLITBOX_SANDBOX; sb sandbox list); rc=$?
check "... and it is gone from the list (the list ran: exit $rc)" bash -c "test $rc -eq 0 && ! grep -qx cli-made <<<'$out'"
out=$(unset SPLITBOX_SANDBOX; sb sandbox delete cli-made 2>&1); rc=$?
check "deleting it again: exit 1, SANDBOX_NOT_FOUND" has "$rc $out" "1 splitbox sandbox: SANDBOX_NOT_FOUND"
out=$(unset SPLITBOX_SANDBOX; sb sandbox frob 2>&1); rc=$?
check "an unknown sandbox action is a usage error (2)" test $rc -eq 2
finish
