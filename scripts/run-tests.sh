#!/bin/sh
# Runs every suite (C unit tests, Lua specs under ./simec and under stock
# lua5.4, REPL tests through tmux) and ends with "N passed, N failed".
#   scripts/run-tests.sh [--build DIR] [--bin DIR]
set -u
BUILD=build/rel
BIN=.
while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    *) echo "run-tests: unknown argument $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C
export OPENBLAS_NUM_THREADS=1
if [ "${SIMEC_SANITIZE:-}" = 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:exitcode=23
    export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
# make valgrind: the C tests and the Lua specs under memcheck (errors and
# definite leaks fail a suite); the stock-Lua and REPL suites are left out
VG=""
if [ "${SIMEC_VALGRIND:-}" = 1 ]; then
    VG="valgrind -q --error-exitcode=97 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite"
    export SIMEC_THREADS=2
fi
pass=0
fail=0
log=$(mktemp)

# count SUITE OUTPUT_FILE EXIT_STATUS: adds the suite's "N passed, N failed" line
count() {
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    if [ -z "$line" ]; then
        p=0
        f=1
        echo "  $1: no summary line (exit $3)"
    else
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed*}
        if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            echo "  $1: exit status $3 despite '$line'"
        fi
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    printf '%-28s %s passed, %s failed\n' "$1" "$p" "$f"
    if [ "$f" -ne 0 ]; then
        # each failure with what follows it (warnings can bury them in the
        # tail), then the suite's last lines
        if grep -q '^FAIL ' "$2"; then
            grep -A 12 '^FAIL ' "$2" | head -n 200 | sed 's/^/    | /'
            echo "    | ..."
        fi
        sed 's/^/    | /' "$2" | tail -n 20
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    $VG "$t" >"$log" 2>&1
    count "c/$(basename "$t")" "$log" $?
done

$VG "$BIN/simec" tests/lua/run.lua "$BIN/simec" >"$log" 2>&1
count "lua (simec)" "$log" $?

if [ -z "$VG" ] && command -v lua5.4 >/dev/null 2>&1; then
    if [ "${SIMEC_SANITIZE:-}" = 1 ]; then
        pre="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
        LD_PRELOAD="$pre" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 lua5.4 tests/lua/stock.lua "$BIN" >"$log" 2>&1
    else
        lua5.4 tests/lua/stock.lua "$BIN" >"$log" 2>&1
    fi
    count "lua (stock lua5.4)" "$log" $?
elif [ -z "$VG" ]; then
    echo "  lua5.4 not installed: run scripts/install-deps.sh" >"$log"
    count "lua (stock lua5.4)" "$log" 1
fi

if [ -z "$VG" ]; then
    sh tests/repl/run.sh "$BIN/simec" >"$log" 2>&1
    count "repl (tmux)" "$log" $?
fi

# the Jupyter kernel through jupyter_client, and the example notebooks
# through nbclient, nbconvert and headless Chromium (not under valgrind:
# jupyter_client's start-up timeouts are shorter than memcheck's start-up)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # Debian's, with the packages install-deps.sh adds
if [ -z "$VG" ]; then
    $PY tests/tools/test_check_test_deps.py >"$log" 2>&1
    count "tools (python)" "$log" $?
fi
if [ -n "$VG" ]; then
    :
elif "$BIN/simec" --kernel /nonexistent.json 2>&1 | grep -q "built without the Jupyter kernel"; then
    echo "  the kernel suites skipped: $BIN/simec was built without the kernel (libzmq, jansson, libcrypto)"
elif ! $PY -c "import jupyter_client, nbclient, nbconvert" 2>/dev/null; then
    echo "  the kernel suites skipped: python3-jupyter-client, python3-nbclient or python3-nbconvert missing (scripts/install-deps.sh installs them)"
else
    $PY tests/kernel/test_kernel.py "$BIN/simec" >"$log" 2>&1
    count "kernel (jupyter_client)" "$log" $?
    $PY tests/kernel/test_notebooks.py "$BIN/simec" >"$log" 2>&1
    count "notebooks (nbclient)" "$log" $?
    grep -E '^     ' "$log" | head -n 5
fi

rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
