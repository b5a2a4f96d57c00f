#!/usr/bin/env bash
# Every probe as user code of `splitbox run`, while another `splitbox run`
# holds the victim in its platform context: two runs at once must be as
# isolated as two contexts of one sandbox. No probe may find the canary.
set -u
cli=${SPLITBOX_CLI:?set by meson}
probe=${SBX_PROBE:?set by meson}
victim=${SBX_VICTIM:?set by meson}
passed=0 failed=0

work=$(mktemp -d)
platform_dir=$work/platform-shared user_dir=$work/user-shared
mkdir -p "$platform_dir" "$user_dir"
cp "$victim" "$platform_dir/"
cp "$probe" "$user_dir/"
chmod 755 "$work" "$platform_dir" "$user_dir"
chown -R 100000:100000 "$user_dir"
canary=SPLITBOX-CANARY-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
marker=sbxm$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')

AWS_SECRET_ACCESS_KEY=$canary "$cli" run --shared "$platform_dir" --context platform --env AWS_SECRET_ACCESS_KEY -- \
  "/app/splitbox-victim --marker $marker --private-dir /platform --ready-file /app/ready --argv-canary" &
holder=$!
# SIGTERM to the victim itself, so that it removes its traces (its key is in a
# keyring, which no namespace ends); then its run ends by itself.
trap 'pkill -TERM -x "$marker"; wait $holder 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -e "$platform_dir/ready" ] && break; sleep 0.05; done
if [ ! -e "$platform_dir/ready" ]; then
  echo "not ok - the victim did not get ready in its platform run"
  echo "0 passed, 1 failed"
  exit 1
fi

for name in $("$probe" --list | awk '{print $1}'); do
  # These two are about one sandbox's shared dir, which two runs do not share:
  # the test of probes (splitbox_root, splitbox_userns) runs them in one sandbox.
  case $name in ownership | symlink-deputy) echo "# skip $name: two runs share no shared dir"; continue ;; esac
  out=$("$cli" run --shared "$user_dir" --context user --timeout-ms 60000 -- \
    "/app/splitbox-probe $name --marker $marker --shared /app" 2>&1)
  if grep -q "\"status\":\"ran\"" <<<"$out" && ! grep -q "SPLITBOX-CANARY-" <<<"$out" \
    && ! grep -qF '"marker_visible":"true"' <<<"$out" && ! grep -qF '"stopped":"true"' <<<"$out" \
    && ! grep -qE '"dangerous":"[^"]' <<<"$out" && ! grep -qE '"fds_stolen":"[1-9]' <<<"$out" \
    && pgrep -x "$marker" >/dev/null; then
    passed=$((passed + 1)); echo "ok - $name finds nothing in a concurrent splitbox run"
  else
    failed=$((failed + 1)); echo "not ok - $name against splitbox run (or the victim was gone after it)"
    pgrep -x "$marker" >/dev/null || echo "    the victim is not running: nothing was there to find"
    echo "    $out" | head -c 2000; echo
  fi
done
pkill -TERM -x "$marker"
wait $holder
# An invalidated (i), revoked (R) or dead (D) key awaits garbage collection, unreadable.
# The description is "splitbox-MARKER CANARY" (the canary too, for the keyring probe).
if awk -v d="splitbox-$marker" '($9 == d || $9 == d":") && $2 !~ /[iRD]/' /proc/keys | grep -q .; then
  failed=$((failed + 1)); echo "not ok - the victim's key outlived the run"
else
  passed=$((passed + 1)); echo "ok - the victim's key is gone after the run"
fi
echo "$passed passed, $failed failed"
test $failed -eq 0
