#!/bin/sh
# Fault figures: malformed inputs per loader (loaded / clean errors / silent
# wrong, against a reference parser for the tab triplets / crashes), random
# API programs (crashes), corrupted model files (all refused, and the
# largest allocation before refusal), and saves killed midway (the target
# intact after every kill, no temporary left after the next save).
#   sh scripts/bench/faults.sh [--inputs N] [--kills K]
set -eu
cd "$(dirname "$0")/../.."
N=300
K=20
while [ $# -gt 0 ]; do
    case "$1" in
    --inputs) N=$2; shift 2 ;;
    --kills) K=$2; shift 2 ;;
    *) echo "faults.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -x ./simec ] || make -s
./simec scripts/bench/faults.lua "$N"

# kills during saves: a 4 MB model saved over and over, killed with SIGKILL
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$work/model"
./simec -e "SimEc.new{input = 1000, embedding = 500, output = 2, seed = 1}:save('$target')"
intact=0
for k in $(seq 1 "$K"); do
    ./simec -e "local m = SimEc.new{input = 1000, embedding = 500, output = 2, seed = $k}
                while true do m:save('$target') end" &
    pid=$!
    sleep "0.$(( (k * 37) % 90 + 10 ))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ./simec -e "SimEc.load('$target')" 2>/dev/null; then intact=$((intact + 1)); fi
done
left=$(find "$work" -name 'model.tmp*' | wc -l)
sleep 1 # the next process starts after every leftover was last written
./simec -e "SimEc.load('$target'):save('$target')"
after=$(find "$work" -name 'model.tmp*' | wc -l)
echo "saves killed $K, target intact after $intact, temporaries left $left, after the next save $after"
[ "$intact" -eq "$K" ] && [ "$after" -eq 0 ]
