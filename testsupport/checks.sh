# Sourced by the shell tests: TAP-like lines and the closing "N passed, N failed".
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; printf '    %s\n' "$@"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "command: $*"; fi; }
finish() { echo "$passed passed, $failed failed"; test "$failed" -eq 0; }
