#!/bin/sh
# Where the time goes in the dense parts: achieved GFLOP/s of the
# zero-filled SimEc(X) epoch (at the study's batch of 32 and a larger one),
# ridge regression from the features, a prediction-sized product and a
# square product, each against the machine's dgemm peak measured in the
# same run (OpenBLAS straight, 3000 x 3000, on 1 and on all threads).
# Flops are the core's level-3 BLAS work (simec.flops); seconds are medians
# of three epochs or runs; the load average is printed beside each figure.
#   sh scripts/bench/flops.sh [--ratings N] [--epochs K] [--batches "32,256"] [--json FILE]
set -eu
cd "$(dirname "$0")/../.."
. scripts/bench/peer.sh
N=10000054
EPOCHS=3
BATCHES="32,256"
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --ratings) N=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "flops.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "$EPOCHS" -ge 1 ] 2>/dev/null || { echo "flops.sh: --epochs must be a positive number" >&2; exit 2; }
bench_init
cc -O2 -o "$DIR/dgemm_peak" scripts/bench/dgemm_peak.c $(pkg-config --cflags --libs openblas)
CORES=$(nproc)
PEAK1=$("$DIR/dgemm_peak" 3000 1)
PEAKN=$("$DIR/dgemm_peak" 3000 "$CORES")
LOAD_PEAK=$(load_average)
./simec scripts/bench/baselines_gen.lua "$DIR" "$N"
./simec scripts/bench/flops.lua "$DIR/ratings.tsv" "$DIR/items.tsv" "$EPOCHS" "$BATCHES" >"$DIR/stages" 2>"$DIR/err" ||
    { cat "$DIR/err" >&2; exit 1; }
LOAD=$(load_average)

$PY - "$DIR/stages" "$PEAK1" "$PEAKN" "$CORES" "$LOAD_PEAK" "$LOAD" "$N" "$EPOCHS" "$JSON" <<'PYEOF'
import json, sys
stages_path, peak1, peakn, cores, load_peak, load, n, epochs, out = sys.argv[1:]
peak1, peakn, cores = float(peak1), float(peakn), int(cores)
rows = []
for line in open(stages_path):
    if line.startswith("stage "):
        _, name, secs, flops = line.split()
        rows.append({"stage": name, "seconds": float(secs), "gflop": float(flops) / 1e9})
print("dgemm peak (OpenBLAS, 3000 x 3000, median of 3): %.1f GFLOP/s on 1 thread, %.1f on %d (load %s)"
      % (peak1, peakn, cores, load_peak))
print("%-28s %9s %9s %9s %10s" % ("stage", "seconds", "GFLOP", "GFLOP/s", "% of peak"))
for r in rows:
    r["gflops"] = r["gflop"] / r["seconds"] if r["seconds"] > 0 else 0.0
    r["percent_of_peak"] = 100.0 * r["gflops"] / peakn
    print("%-28s %9.3f %9.1f %9.1f %9.1f%%" % (r["stage"], r["seconds"], r["gflop"], r["gflops"],
                                                r["percent_of_peak"]))
print("(load %s; seconds: medians of %s epochs or 3 runs; GFLOP: the core's level-3 BLAS work)" % (load, epochs))
if out:
    doc = {"benchmark": "flops", "machine": {"cores": cores, "load_average": float(load)},
           "peak_gflops": {"threads_1": peak1, "threads_all": peakn, "load_average": float(load_peak)},
           "data": {"ratings": int(n), "items": 10681, "users": 69878, "item_features": 1000},
           "stages": rows}
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
    print("wrote " + out)
PYEOF
