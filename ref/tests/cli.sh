#!/usr/bin/env bash
# End-to-end checks of `splitbox run`, as a user of the CLI sees it: exit codes,
# JSON, modes (root, an unprivileged uid, a host without namespaces), and memory.
set -u
cli=${SPLITBOX_CLI:?set by meson}
init=${SPLITBOX_INIT:?set by meson}
nons=${SBX_NO_NAMESPACES:?set by meson}

# shellcheck source=../../testsupport/checks.sh
. "$(dirname "$0")/../../testsupport/checks.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# An unprivileged uid must reach the binaries wherever the checkout lives.
cp "$cli" "$init" "$nons" "$work/"
chmod 755 "$work"/*
bin=$work/splitbox
token=$(od -An -N6 -tu4 /dev/urandom | tr -d ' \n' | cut -c1-6)
none_left() { ! pgrep -f "$1" >/dev/null; }
# at_least N CMDLINE: N processes run CMDLINE exactly (not the runner that names it in its argv).
at_least() { test "$(pgrep -fxc "$2")" -ge "$1"; }

out=$("$bin" run --help); rc=$?
check "--help exits 0 and explains the contexts" test $rc -eq 0 -a -n "$(grep -e 'Exit status' <<<"$out")"
"$bin" run >/dev/null 2>&1; check "a missing --context is a usage error (2)" test $? -eq 2
"$bin" run --context nope -- true >/dev/null 2>&1; check "a bad --context is a usage error (2)" test $? -eq 2

out=$("$bin" run --context user -- 'id -u; echo to-stderr >&2' 2>"$work/err"); rc=$?
check "user context runs as uid 1000" test "$out" = 1000 -a $rc -eq 0
check "stderr passes through" grep -qx to-stderr "$work/err"
"$bin" run --context platform -- 'exit 7'; check "the command's exit code is ours" test $? -eq 7
# A platform exec's shell is PID 1 of its namespace: its own SIGTERM is ignored; --init puts an init above it.
out=$("$bin" run --context platform -- 'echo $$; kill -TERM $$; echo survived'); rc=$?
check "a platform exec is PID 1 and survives kill \$\$" test "$rc:$out" = "0:1
survived"
out=$("$bin" run --context platform --init -- 'echo $$; kill -TERM $$; echo survived'); rc=$?
check "with --init it is not PID 1, and dies of its SIGTERM (143)" test "$rc" -eq 143 -a "$out" != 1

start=$(date +%s%N)
"$bin" run --context user --timeout-ms 300 -- "sleep 30.$token & sleep 30.$token" 2>"$work/err"; rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
check "a timeout exits 124" test $rc -eq 124
check "a timeout names COMMAND_TIMEOUT" grep -q COMMAND_TIMEOUT "$work/err"
check "a timeout returns in under 2 s (took ${elapsed} ms)" test $elapsed -lt 2000
check "no sleep of the timed-out tree is left on the host" until_ok 5 none_left "sleep 30.$token"

# --shared-max: the shared dir a tmpfs of its own. Control first: the default takes 2 MiB.
fill='head -c 2097152 /dev/zero > /app/f && echo filled'
out=$("$bin" run --context user -- "$fill" 2>&1); check "control: the default shared dir takes 2 MiB" test "$out" = filled
out=$("$bin" run --shared-max 1M --context user -- "$fill" 2>&1); rc=$?
check "--shared-max 1M refuses 2 MiB with ENOSPC (exit $rc)" test $rc -ne 0 -a -n "$(grep 'No space left' <<<"$out")"
out=$("$bin" run --shared-max 1M --context platform -- 'df -k /app | tail -1')
check "the platform sees the same 1 MiB tmpfs" test -n "$(grep -E '^tmpfs +1024 ' <<<"$out")"
"$bin" run --shared-max 0 --context user -- true >/dev/null 2>&1; check "--shared-max 0 is a usage error (2)" test $? -eq 2
"$bin" run --context user --cwd /nonexistent -- true 2>"$work/err"; rc=$?
check "an executor error exits 125" test $rc -eq 125
check "an executor error says what failed" grep -q "FILE_NOT_FOUND" "$work/err"
"$bin" run --context user --env '1BAD=x' -- true 2>"$work/err"; rc=$?
check "a bad env name is a VALIDATION_FAILED error" test $rc -eq 125 -a -n "$(grep VALIDATION_FAILED "$work/err")"
"$bin" run --context user --timeout-ms -5 -- true 2>"$work/err"; rc=$?
check "a negative timeout is a VALIDATION_FAILED error" test $rc -eq 125 -a -n "$(grep VALIDATION_FAILED "$work/err")"

json=$("$bin" run --json --context platform --env A=1 -- 'echo $A'); rc=$?
for field in '"success":true' '"exitCode":0' '"stdout":"1\n"' '"context":"platform"' '"isolation":"namespaces"' \
  '"duration":' '"timestamp":"' '"command":"echo $A"'; do
  check "--json has $field" grep -qF "$field" <<<"$json"
done

dump='env; cat /proc/*/environ 2>/dev/null | tr "\0" "\n"'
for ctx in user platform; do
  # Control: passed on purpose (--env NAME), the variable shows in the same dump.
  out=$(SPLITBOX_TEST_LEAK=leak-$token "$bin" run --context $ctx --env SPLITBOX_TEST_LEAK -- "$dump"); rc=$?
  check "control: a variable passed with --env shows in the $ctx dump" test $rc -eq 0 -a -n "$(grep -a "leak-$token" <<<"$out")"
  out=$(SPLITBOX_TEST_LEAK=leak-$token "$bin" run --context $ctx -- "$dump"); rc=$?
  check "the $ctx dump ran and shows its own env" test $rc -eq 0 -a -n "$(grep -a '^PATH=' <<<"$out")"
  check "the executor's environment does not reach the $ctx context" test -z "$(grep -a "leak-$token" <<<"$out")"
done

# More variables than the spawn payload gathers per write (64), each in its place.
many=(); for i in $(seq 150); do many+=(--env "V$i=value$i"); done
for ctx in user platform; do
  out=$("$bin" run --context $ctx --init "${many[@]}" -- 'env | grep -c "^V[0-9]*=value"; echo $V1 $V64 $V65 $V150')
  check "150 variables reach a $ctx command whole" test "$out" = "150"$'\n'"value1 value64 value65 value150"
done
out=$(PASSED_IN=from-env-$token "$bin" run --context platform --env PASSED_IN -- 'echo $PASSED_IN')
check "--env NAME passes the named variable, and only it" test "$out" = "from-env-$token"
"$bin" run --context user --env NOT_SET_ANYWHERE_$token -- true 2>/dev/null
check "--env NAME of an unset variable is a usage error" test $? -eq 2

# Two runs at once: a platform command holding a secret, user code looking for it.
"$bin" run --context platform --env "SECRET=canary-$token" -- "sleep 60; : marker-$token" &
holder=$!
# The command's shell, not the CLI, whose argv holds the same text.
platform_shell() { pgrep -fx "/bin/sh -c sleep 60; : marker-$token"; }
check "the platform run holds its secret on the host" until_ok 10 platform_shell
out=$("$bin" run --context user --env "MINE=own-$token" -- 'ps -eo args; cat /proc/*/environ /proc/*/cmdline 2>/dev/null | tr "\0" "\n"'); rc=$?
check "the user run ran, listed itself and read its own env" \
  test $rc -eq 0 -a -n "$(grep -a 'ps -eo args' <<<"$out")" -a -n "$(grep -a "MINE=own-$token" <<<"$out")"
check "the platform run was still there while the user run looked" platform_shell
check "a concurrent platform run is invisible to a user run" test -z "$(grep -a -e "canary-$token" -e "marker-$token" <<<"$out")"
kill -KILL $holder
wait $holder 2>/dev/null
until_ok 10 none_left "marker-$token" || pkill -KILL -f "marker-$token"

# Killing splitbox run kills what it started, in both contexts and in fallback.
for wrap in "" "$nons"; do
  for ctx in user platform; do
    $wrap "$bin" run --context $ctx -- "sleep 77.$token & sleep 77.$token" 2>/dev/null &
    runner=$!
    check "${wrap:+(no namespaces) }the $ctx command runs before the SIGKILL" \
      until_ok 10 at_least 2 "sleep 77.$token"
    kill -KILL $runner
    wait $runner 2>/dev/null
    check "SIGKILL of splitbox run ${wrap:+(no namespaces) }leaves no $ctx process behind (within 5 s)" \
      until_ok 5 none_left "sleep 77.$token"
    pkill -KILL -f "sleep 77.$token"
  done
done

# Unprivileged: the userns mode.
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
json=$(cd "$work" && "${as_nobody[@]}" "$bin" run --json --context user -- 'id -u; grep CapEff /proc/self/status')
check "as uid 65534 the mode is userns" grep -qF '"isolation":"userns"' <<<"$json"
check "as uid 65534 user code has no capabilities" grep -qF 'CapEff:\t0000000000000000' <<<"$json"
json=$(cd "$work" && "${as_nobody[@]}" "$bin" run --json --context platform -- 'ls -d /platform')
check "as uid 65534 the platform context has /platform" grep -qF '"stdout":"/platform\n"' <<<"$json"

# A host without namespaces: fallback, with warnings; fails closed on request.
"$nons" "$bin" run --context user -- true 2>"$work/err"; rc=$?
check "without namespaces the run falls back and still works" test $rc -eq 0
check "the fallback warns which guarantees are lost" grep -q "warning: isolation fallback.*Lost:" "$work/err"
"$nons" "$bin" run --require-isolation --context user -- true 2>"$work/err"; rc=$?
check "--require-isolation fails closed (125)" test $rc -eq 125
check "--require-isolation names NAMESPACE_NOT_SUPPORTED" grep -q NAMESPACE_NOT_SUPPORTED "$work/err"
out=$(cd "$work" && "${as_nobody[@]}" "$nons" "$bin" run --json --context user -- true 2>/dev/null)
check "unprivileged without namespaces the mode is fallback" grep -qF '"isolation":"fallback"' <<<"$out"

# Output past the cap is dropped, and the executor's memory stays bounded: its
# peak grows by little more than the cap over a run with no output (a baseline
# measured here, so that sanitizer builds compare like with like).
/usr/bin/time -f '%M' -o "$work/rss0" "$bin" run --json --context user -- true >/dev/null
/usr/bin/time -f '%M' -o "$work/rss" "$bin" run --json --output-cap 1048576 --context user -- \
  'head -c 268435456 /dev/zero | tr "\0" x' >"$work/json"
rss0=$(tail -1 "$work/rss0") rss=$(tail -1 "$work/rss")
check "256 MiB of output through a 1 MiB cap is flagged truncated" grep -qF '"truncated":{"stdout":true' "$work/json"
check "the executor's peak RSS grows by under 16 MiB for 256 MiB of output (${rss0} -> ${rss} KiB)" \
  test $((rss - rss0)) -lt 16384

finish
