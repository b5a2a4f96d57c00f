#!/usr/bin/env bash
# An installed splitbox finds its own tools and data: `meson install` into a
# scratch DESTDIR (a prefix that is not the configured one), then conform,
# backends, audit and caps from a clean environment (no SPLITBOX_* or SBX_*
# variable), by the installed binary's path only. The probe and the victim
# are in libexec, off PATH; every verb has its man page; the C example of
# docs/API.md compiles against the installed libsplitbox-client, shared and
# static, through pkg-config.
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
check "... four tests ran and passed" test "$(grep -cE '^ok [0-9]+ - errors::' "$out/conform.tap")" -eq 4
(cd "$out" && "${clean[@]}" "$bin" audit --backend splitbox --probe env-self --probe proc-environ --no-latency \
  --out "$out/audit" --quiet 2>"$out/audit.log"); rc=$?
check "audit from the install: exit 0 (was $rc), it found its probe, victim and init" test $rc -eq 0
(cd "$out" && "${clean[@]}" "$bin" caps --json >"$out/caps.json" 2>"$out/caps.log"); rc=$?
check "caps from the install: exit 0 (was $rc)" test $rc -eq 0 -a -s "$out/caps.json"
root=$(dirname "$(dirname "$bin")")
check "the probe and the victim are in libexec/splitbox" \
  test -x "$root/libexec/splitbox/splitbox-probe" -a -x "$root/libexec/splitbox/splitbox-victim"
check "... not in bin (not on PATH)" test ! -e "$root/bin/splitbox-probe" -a ! -e "$root/bin/splitbox-victim"
missing=""
for v in $("$bin" help | sed -n '/^Commands:/,/^$/p' | grep -oE '^  [a-z-]+' | tr -d ' ' | grep -vx 'help\|version'); do
  [ -s "$root/share/man/man1/splitbox-$v.1" ] || missing="$missing $v"
done
check "every verb has its man page, and splitbox(1) too:${missing:- all there}" \
  test -z "$missing" -a -s "$root/share/man/man1/splitbox.1"
check "... a page man reads" bash -c "MANWIDTH=80 man -l '$root/share/man/man1/splitbox-audit.1' 2>/dev/null | grep -q 'splitbox-audit - run every attack probe'"

# The README's C example (docs/API.md), against the install: pkg-config gives the flags.
pc=$(dirname "$(find "$out/root" -name splitbox-client.pc | head -1)")
check "splitbox-client.pc is installed" test -n "$pc" -a -s "$pc/splitbox-client.pc"
{
  echo '#include <stdio.h>'
  echo '#include <splitbox.h>'
  echo 'int main(void)'
  echo '{'
  sed -n '/^```c$/,/^```$/p' "$src/docs/API.md" | sed '1d;$d'
  echo '  return 0;'
  echo '}'
} >"$out/example.c"
check "the example is docs/API.md's" grep -q 'sbx_platform_exec' "$out/example.c"
flags=$(PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR="$out/root" pkg-config --cflags --libs splitbox-client)
cc -o "$out/example" "$out/example.c" $flags >"$out/cc.log" 2>&1; rc=$?
check "it compiles and links against the shared library (was $rc)" test $rc -eq 0
check "... which it needs at run time" bash -c "readelf -d '$out/example' | grep -q 'libsplitbox-client.so'"
archive=$out/root$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir splitbox-client)/libsplitbox-client.a
# The archive first: its symbols are then defined, and --as-needed drops the shared one the flags name too.
# A sanitizer build's archive needs its runtime: link the example the same way.
san=""
nm "$archive" 2>/dev/null | grep -q '__asan_' && san="-fsanitize=address,undefined"
cc $san -o "$out/example-static" "$out/example.c" "$archive" -Wl,--as-needed $flags >>"$out/cc.log" 2>&1; rc=$?
check "and with the static archive, and the dependencies the .pc declares (cjson, curl; was $rc)" test $rc -eq 0
check "... then it needs no libsplitbox-client at run time" \
  bash -c "test -x '$out/example-static' && ! readelf -d '$out/example-static' | grep -q 'libsplitbox-client'"
[ $failed -eq 0 ] || tail -20 "$out/install.log" "$out/conform.log" "$out/audit.log" "$out/caps.log" "$out/cc.log"
finish
