#!/usr/bin/env bash
# Builds beamflow and runs the whole test suite with CTest (its summary is the last line).
#   scripts/test.sh              optimised build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
# Extra arguments go to ctest (e.g. -L quick, -R engine).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
    shift
    dir=build-asan
    cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DBF_SANITIZE=ON)
    # leaks are errors too; a failed check stops the test at once
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
fi
jobs=$(nproc)
cmake -S . -B "$dir" "${cmake_args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
