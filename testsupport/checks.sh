# Sourced by the shell tests: TAP-like lines and the closing "N passed, N failed".
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; printf '    %s\n' "$@"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "command: $*"; fi; }
# until_ok SECONDS CMD...: polls CMD every 50 ms until it succeeds (0) or SECONDS pass (1): how a test
# waits for a condition (a bare sleep is not synchronisation).
until_ok() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.05; done
}
finish() { echo "$passed passed, $failed failed"; test "$failed" -eq 0; }
