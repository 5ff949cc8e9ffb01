#!/bin/sh
# Runs each libFuzzer target (built by `make fuzz` into build/fuzz) for a
# bounded time on a working corpus seeded from tests/fuzz/seeds and
# tests/fuzz/regress; prints executions per target and ends with
# "N passed, N failed" (a target fails on any finding: crash, leak,
# sanitizer report or timeout, saved to tests/fuzz/found/TARGET-*; fix it,
# then move the input to tests/fuzz/regress/TARGET/ so the tests replay it).
#   scripts/run-fuzz.sh [--seconds 60] [--targets "triplets npy ..."]
set -u
SECONDS_EACH=60
TARGETS="triplets mtx npy model ml100k mldat mlcsv pairs features genome dti api"
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    *) echo "run-fuzz: unknown argument $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.." || exit 2
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OPENBLAS_NUM_THREADS=1
mkdir -p tests/fuzz/found
pass=0
fail=0
for t in $TARGETS; do
    case $t in
    triplets | mtx | npy | model) bin=build/fuzz/fuzz_$t ;;
    *) bin=build/fuzz/fuzz_lua_$t ;;
    esac
    [ -x "$bin" ] || { echo "run-fuzz: $bin not built (run make fuzz)" >&2; exit 2; }
    work=build/fuzz/corpus/$t
    mkdir -p "$work"
    log=build/fuzz/$t.log
    "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="tests/fuzz/found/$t-" "$work" tests/fuzz/seeds/$t \
        $( [ -d tests/fuzz/regress/$t ] && echo tests/fuzz/regress/$t ) >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        printf '%-10s %10s runs in %ss, no findings\n' "$t" "${execs:-?}" "$SECONDS_EACH"
    else
        fail=$((fail + 1))
        printf '%-10s FINDING (exit %d), see %s:\n' "$t" "$rc" "$log"
        grep -E 'ERROR|SUMMARY|Test unit written|abort|fuzz_lua' "$log" | head -n 8 | sed 's/^/    | /'
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
