#!/usr/bin/env bash
# An installed splitbox finds its own tools and data: `meson install` into a
# scratch DESTDIR (a prefix that is not the configured one), then conform,
# backends and audit from a clean environment (no SPLITBOX_* or SBX_*
# variable), by the installed binary's path only.
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build=$(cd "$(dirname "$cli")/.." && pwd)

meson install -C "$build" --destdir "$out/root" --no-rebuild --quiet >"$out/install.log" 2>&1; rc=$?
check "meson install into a scratch DESTDIR (was $rc)" test $rc -eq 0
bin=$(find "$out/root" -path '*/bin/splitbox' -type f | head -1)
check "the installed CLI is there" test -n "$bin" -a -x "$bin"
check "... and it is a copy, not the build tree's" test "$(readlink -f "$bin")" != "$(readlink -f "$cli")"
clean=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$out")
(cd "$out" && "${clean[@]}" "$bin" backends >"$out/backends.txt" 2>&1)
check "backends lists the installed specs" grep -q "^Backends in $out/root/.*/share/splitbox/backends:" "$out/backends.txt"
(cd "$out" && "${clean[@]}" "$bin" conform --backend splitbox --tap -- --filter 'errors/*' >"$out/conform.tap" 2>"$out/conform.log")
rc=$?
check "conform --backend splitbox from the install: exit 0 (was $rc)" test $rc -eq 0
check "... four tests ran and passed" test "$(grep -c '^ok - errors::.*(' "$out/conform.tap")" -eq 4
(cd "$out" && "${clean[@]}" "$bin" audit --backend splitbox --probe env-self --probe proc-environ --no-latency \
  --out "$out/audit" --quiet 2>"$out/audit.log"); rc=$?
check "audit from the install: exit 0 (was $rc), it found its probe, victim and init" test $rc -eq 0
[ $failed -eq 0 ] || tail -20 "$out/install.log" "$out/conform.log" "$out/audit.log"
finish
