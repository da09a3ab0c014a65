# Helpers for the CLI tests (sourced; not a test itself): check NAME COMMAND... counts a pass or
# a failure, and finish prints "N passed, N failed" and sets the exit status.
set -u
BF=${BF_CLI:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin/beamflow}
PY=${BF_PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d /tmp/bf_cli_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
passed=0
failed=0

check() {
    local name=$1
    shift
    if "$@" >"$WORK/last.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     | /' "$WORK/last.log" | tail -20
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
