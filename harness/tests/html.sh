#!/usr/bin/env bash
# The HTML reports as a browser sees them: headless Chromium (Debian's
# chromium, installed by scripts/bootstrap) loads the audit's and the bench's
# pages. The DOM has the guarantee table, hostile evidence stays text, nothing
# is fetched from elsewhere, and a screenshot is not blank (the same check
# calls a blank page blank first, so that it can fail).
set -u
cli=${SPLITBOX_CLI:?set by meson}
src=${SBX_SOURCE_ROOT:?set by meson}
png_stats=${SBX_PNG_STATS:?set by meson}
# shellcheck source=../../testsupport/checks.sh
. "$src/testsupport/checks.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  not_ok "chromium is installed (scripts/bootstrap installs Debian's chromium)"
  finish
  exit
fi
# chrome URL, then what to do: --dump-dom, or --screenshot=FILE
chrome() {
  local url=$1; shift
  HOME=$out/home timeout 90 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$out/profile" --window-size=1280,900 "$@" "$url" 2>>"$out/chromium.log"
}
# not_blank PNG: several colours, and more than a sliver of non-white.
not_blank() {
  local s; s=$("$png_stats" "$1") || return 1
  echo "    $1: $s"
  awk '{ split($2, d, "="); split($3, n, "="); exit !(d[2] >= 8 && n[2] > 0.02) }' <<<"$s"
}

# The control: a blank page must be judged blank.
printf '<!DOCTYPE html><html><body></body></html>\n' >"$out/blank.html"
chrome "file://$out/blank.html" --screenshot="$out/blank.png" >/dev/null
check "a screenshot of a blank page is taken" test -s "$out/blank.png"
if [ -s "$out/blank.png" ] && ! not_blank "$out/blank.png" >/dev/null; then ok "... and judged blank (the check below can fail)"
else not_ok "... and judged blank (the check below can fail)" "$("$png_stats" "$out/blank.png" 2>&1)"; fi

# An audit report whose evidence is hostile markup, as a sandbox could write it.
hostile="<script>document.title=1</script><img src=x onerror=alert(1)>"
sed "0,\\#\"evidence\": \"#s##\"evidence\": \"$hostile#" "$src/fixtures/audit/report.json" >"$out/hostile.json"
check "the report has hostile evidence" grep -qF "$hostile" "$out/hostile.json"
"$cli" report render "$out/hostile.json" --out "$out/r" --format html 2>/dev/null; rc=$?
check "report render --format html exits 0 (was $rc)" test $rc -eq 0
page=$out/r/report.html
check "it wrote report.html" test -s "$page"
self_contained() {
  ! grep -Eq '<[^>]*[[:space:]](src|href)=|url\(|@import' "$1" &&
    test -z "$(grep -Eo 'https?://[^"]*' "$1" | grep -vx 'http://www.w3.org/2000/svg')"
}
check "one self-contained file: no src, href, url(), @import or URL but the SVG namespace" self_contained "$page"
chrome "file://$page" --dump-dom >"$out/dom.html"
check "Chromium loads the page" grep -q '<table id="guarantees">' "$out/dom.html"
missing=0
while IFS= read -r row; do
  grep -qF "<tr><th>$row</th>" "$out/dom.html" || { echo "    no row: $row"; missing=$((missing + 1)); }
done < <(sed -n 's/^| \([^|]*[^ |]\) |.*/\1/p' "$src/fixtures/audit/report.md" | grep -v '^attack vector$' | sed 's/&/\&amp;/g')
check "the DOM's table has every row of the Markdown table" test "$missing" -eq 0
check "cells are coloured by outcome" grep -q '<td class="LEAKED">' "$out/dom.html"
check "each cell's evidence is there to expand" grep -q '<details><summary>' "$out/dom.html"
check "the hostile evidence is text, not markup" grep -qF '&lt;script&gt;document.title=1&lt;/script&gt;&lt;img src=x' "$out/dom.html"
check "... no script or img element came of it" bash -c "! grep -Eq '<script|<img' '$out/dom.html'"
check "host conditions are shown" grep -q '<h2>Host conditions</h2>' "$out/dom.html"
chrome "file://$page" --screenshot="$out/audit.png" >/dev/null
check "a screenshot of the audit's page is not blank" not_blank "$out/audit.png"

# A real audit's page has the latency chart (the golden report has no latency).
"$cli" audit --backend none --probe env-self --format html --out "$out/a" 2>/dev/null; rc=$?
check "audit --format html exits 0 (was $rc)" test $rc -eq 0
check "... self-contained too" self_contained "$out/a/report.html"
chrome "file://$out/a/report.html" --dump-dom >"$out/audit-dom.html"
check "... and its latency chart is inline SVG" grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$out/audit-dom.html"

# The bench's page.
"$cli" bench --backend none --op user.exec --op shared.readFile-4KiB --runs 3 --warmup 0 --format html >"$out/bench.html"; rc=$?
check "bench --format html exits 0 (was $rc)" test $rc -eq 0
chrome "file://$out/bench.html" --dump-dom >"$out/bench-dom.html"
check "its chart has a bar per operation and figure" test "$(grep -o '<rect ' "$out/bench-dom.html" | wc -l)" -ge 4
check "... the floor's reference line" grep -q 'floor p50' "$out/bench-dom.html"
check "... and the design's promised figure" grep -q 'promised by the design: 1 ms' "$out/bench-dom.html"
chrome "file://$out/bench.html" --screenshot="$out/bench.png" >/dev/null
check "a screenshot of the bench's page is not blank" not_blank "$out/bench.png"
"$cli" bench --op user.exec --format pdf 2>/dev/null; rc=$?
check "an unknown bench format is a usage error (2, was $rc)" test $rc -eq 2
finish
