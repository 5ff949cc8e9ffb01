#!/bin/sh
# iALS against a vectorised numpy/scipy iALS, in the same run: the same
# algorithm (conjugate-gradient half-steps from the current factors, 3
# steps per row; the same starting item factors, N(0, 0.01^2) from NumPy's
# legacy generator) on the ratings of the synthetic ML-10M-sized set as
# interactions (69,878 users x 10,681 items, 10M), k 64, alpha 10, lambda
# 10: simec's rec.ials_side (scripts/bench/peers.lua) against
# scripts/bench/implicit_numpy.py. Prints the seconds per sweep (medians
# over sweeps and --runs runs), the objective after the last sweep (equal
# within rounding when both compute the same thing), peak RSS, the 1-minute
# load average before each run, and the ratio numpy/simec. Then EASE's fit
# (lambda 200) on the same interactions, simec's models.ease (the Gram
# matrix from the sparse rows, a Cholesky inverse) against the paper's
# numpy code (X^T X, np.linalg.inv): seconds, peak RSS and the sum of B's
# entries (equal when both compute the same B); --ease-runs runs (default
# --runs; 0 skips it).
#   sh scripts/bench/implicit.sh [--size 10m|100k|20k] [--k 64] [--iters 5] [--runs 3] [--ease-runs N] [--json FILE]
# (20k: 20,000 items x 100,000 users, 10M interactions; EASE there needs
# about 13 GB on either side)
set -eu
cd "$(dirname "$0")/../.."
SIZE=10m
K=64
ITERS=5
RUNS=3
EASE_RUNS=""
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --k) K=$2; shift 2 ;;
    --iters) ITERS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --ease-runs) EASE_RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "implicit.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$SIZE" in 100k|10m|20k) ;; *) echo "implicit.sh: --size takes 100k, 10m or 20k, got $SIZE" >&2; exit 2 ;; esac
. scripts/bench/peer.sh
bench_init
./simec scripts/bench/peers.lua interactions "$SIZE" "$DIR" >/dev/null
simec_side() { /usr/bin/time -f "%M" -o "$DIR/rss" ./simec scripts/bench/peers.lua ials "$SIZE" "$K" "$ITERS" 10 10 3; }
numpy_side() { /usr/bin/time -f "%M" -o "$DIR/rss" $PY scripts/bench/implicit_numpy.py "$DIR" "$K" "$ITERS" 10 10 3; }
paired_runs "$RUNS" "$DIR"
RESULTS="$DIR/results"

for run in $(seq "${EASE_RUNS:-$RUNS}"); do
    for side in simec numpy; do
        l=$(load_average)
        if [ $side = simec ]; then
            /usr/bin/time -f "%M" -o "$DIR/rss" ./simec scripts/bench/peers.lua ease "$SIZE" 200 >"$DIR/out"
        else
            /usr/bin/time -f "%M" -o "$DIR/rss" $PY scripts/bench/implicit_numpy.py ease "$DIR" 200 >"$DIR/out"
        fi
        echo "ease-$side $run $l $(cat "$DIR/rss") $(cat "$DIR/out")" >>"$RESULTS"
    done
done

$PY - "$RESULTS" "$SIZE" "$K" "$JSON" <<'PYEOF'
import json, statistics, sys
path, size, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs = {"simec": [], "numpy": []}
ease = {"simec": [], "numpy": []}
cur = None
for line in open(path):
    f = line.split()
    if f[0].startswith("ease-"):  # ease-SIDE run load rss seconds S items N sum B
        ease[f[0][5:]].append({"run": int(f[1]), "load": float(f[2]), "peak_mb": float(f[3]) / 1024,
                               "seconds": float(f[5]), "items": int(f[7]), "sum": float(f[9])})
    elif not line.startswith(" "):
        cur = {"run": int(f[1]), "load": float(f[2]), "peak_mb": float(f[3]) / 1024, "sweep_s": []}
        runs[f[0]].append(cur)
    elif f[0] == "iter":
        cur["sweep_s"].append(float(f[3]))
    else:
        cur["loss"] = float(f[1])
med = {s: statistics.median(x for r in runs[s] for x in r["sweep_s"]) for s in runs}
mb = {s: statistics.median(r["peak_mb"] for r in runs[s]) for s in runs}
print("iALS, k %d, alpha 10, lambda 10, 3 CG steps per row; the %s synthetic interactions; medians" % (k, size))
print("%-6s %10s %18s %9s %s" % ("side", "s/sweep", "objective", "peak MB", "load before each run"))
for s in ["simec", "numpy"]:
    print("%-6s %10.3f %18.10g %9.0f %s" % (s, med[s], runs[s][0]["loss"], mb[s],
                                           " ".join("%.2f" % r["load"] for r in runs[s])))
ratio = med["numpy"] / med["simec"]
rel = abs(runs["simec"][0]["loss"] - runs["numpy"][0]["loss"]) / abs(runs["numpy"][0]["loss"])
print("per sweep numpy/simec %.1fx (target >= 5x: %s); objectives differ by %.1e relative" % (
    ratio, "met" if ratio >= 5 else "NOT met", rel))
results = [{"name": "iALS sweep (k %d, CG 3)" % k, "simec_s": med["simec"], "peer_s": med["numpy"], "ratio": ratio,
            "simec_mb": mb["simec"], "peer_mb": mb["numpy"], "simec_loss": runs["simec"][0]["loss"],
            "peer_loss": runs["numpy"][0]["loss"], "runs": runs}]
if ease["simec"]:
    es = {s: statistics.median(r["seconds"] for r in ease[s]) for s in ease}
    em = {s: statistics.median(r["peak_mb"] for r in ease[s]) for s in ease}
    print("EASE fit, lambda 200, %d items: simec %.2f s (peak %.0f MB), numpy %.2f s (peak %.0f MB): %.1fx; "
          "sums of B %.10g and %.10g; load %s" % (ease["simec"][0]["items"], es["simec"], em["simec"], es["numpy"],
          em["numpy"], es["numpy"] / es["simec"], ease["simec"][0]["sum"], ease["numpy"][0]["sum"],
          " ".join("%.2f" % r["load"] for r in ease["simec"] + ease["numpy"])))
    results.append({"name": "EASE fit (%d items)" % ease["simec"][0]["items"], "simec_s": es["simec"],
                    "peer_s": es["numpy"], "ratio": es["numpy"] / es["simec"], "simec_mb": em["simec"],
                    "peer_mb": em["numpy"], "runs": ease})
if out:
    json.dump({"benchmark": "implicit", "peer": "numpy/scipy CG iALS (scripts/bench/implicit_numpy.py), numpy EASE",
               "size": size, "results": results}, open(out, "w"), indent=1)
    print("wrote " + out)
PYEOF
