#!/usr/bin/env bash
# End to end through the CLI: help everywhere, the demo's output identical on every scheduler
# and unit size, progress JSON, plan printing, SIGKILL + --resume, Ctrl-C, bench, bad flags.
source "$(dirname "$0")/lib.bash"

help_everywhere() {
    "$BF" --help | grep -q "commands:" || return 1
    for c in demo plan config bench; do
        "$BF" "$c" --help | grep -q "usage: beamflow $c" || { echo "no help for $c"; return 1; }
    done
    ! "$BF" frobnicate 2>/dev/null
}
check "every subcommand has --help" help_everywhere

same_everywhere() {
    "$BF" demo engine --items 24 --samples 5000 --scheduler serial --progress none -o ref.txt || return 1
    for args in "--scheduler threads --workers 1" "--scheduler threads --workers 4 --max-batch 5" \
                "--scheduler processes --workers 3 --max-batch 2" "--scheduler processes --workers 1"; do
        # shellcheck disable=SC2086
        "$BF" demo engine --items 24 --samples 5000 $args --progress none -o out.txt || return 1
        cmp ref.txt out.txt || { echo "differs with $args"; return 1; }
    done
}
check "demo output identical on every scheduler and unit size" same_everywhere

progress_json() {
    "$BF" demo engine --items 40 --samples 2000 --max-batch 1 --unit-delay 0.01 --progress json -o p.txt 2>progress.jsonl || return 1
    "$PY" - progress.jsonl <<'PYEOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) >= 2, lines
assert lines[-1]["final"] is True and lines[-1]["percent"] == 100.0, lines[-1]
assert lines[-1]["units_done"] == lines[-1]["units_total"] == 40
assert all(not l["final"] for l in lines[:-1])
PYEOF
}
check "progress JSON lines parse and end at 100%" progress_json

plan_prints() {
    "$BF" plan demo engine --items 1000 --chunk-size 64MiB --dot plan.dot >plan.txt || return 1
    grep -q "shape        (1000, 1000000)" plan.txt && grep -q "chunk shape  (4, 1000000)" plan.txt &&
        grep -q "units        250" plan.txt && grep -q "digraph" plan.dot && [ ! -e beamflow-demo.txt ]
}
check "plan prints shape, chunks, units, bytes and writes --dot" plan_prints

kill_and_resume() {
    "$BF" demo engine --items 30 --samples 20000 --max-batch 1 --progress none -o whole.txt || return 1
    "$BF" demo engine --items 30 --samples 20000 --max-batch 1 --unit-delay 0.05 --progress none \
        --workers 2 -o killed.txt &
    local pid=$!
    for _ in $(seq 500); do
        [ "$(wc -l <killed.txt.journal 2>/dev/null || echo 0)" -ge 6 ] && break
        sleep 0.01
    done
    kill -9 $pid
    wait $pid && return 1
    [ ! -e killed.txt ] || { echo "output appeared before the run finished"; return 1; }
    "$BF" demo engine --items 30 --samples 20000 --max-batch 1 --progress none --resume -o killed.txt \
        2>resume.log || return 1
    grep -q "already done" resume.log && cmp whole.txt killed.txt
}
check "SIGKILL then --resume gives identical output" kill_and_resume

ctrl_c() {
    "$BF" demo engine --items 40 --samples 1000 --max-batch 1 --unit-delay 0.05 --progress none \
        --scheduler processes --workers 2 -o c.txt 2>c.log &
    local pid=$!
    for _ in $(seq 500); do
        [ "$(wc -l <c.txt.journal 2>/dev/null || echo 0)" -ge 4 ] && break
        sleep 0.01
    done
    kill -INT $pid
    wait $pid && return 1
    grep -q "canceled" c.log || return 1
    "$BF" demo engine --items 40 --samples 1000 --max-batch 1 --progress none --resume -o c.txt || return 1
    "$BF" demo engine --items 40 --samples 1000 --progress none -o c2.txt && cmp c.txt c2.txt
}
check "Ctrl-C stops cleanly and --resume finishes" ctrl_c

bench_json() {
    "$BF" bench engine --units 400 | tail -1 | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["threads_us_per_unit"] > 0 and d["processes_us_per_unit"] > 0 and d["units"] == 400'
}
check "bench engine ends with a JSON line" bench_json

bad_flags() {
    ! "$BF" demo engine --workers 0 2>err.txt && grep -q -- "--workers" err.txt || return 1
    ! "$BF" demo engine --chunk-size "12 parsecs" 2>err.txt && grep -q "parsecs" err.txt || return 1
    ! "$BF" demo engine --max-batch -3 2>err.txt && grep -q -- "--max-batch" err.txt
}
check "bad flags name the flag" bad_flags

finish
