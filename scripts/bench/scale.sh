#!/bin/sh
# Scaling in the number of ratings at the ML-25M shape (62,423 items x
# 162,541 users): load -> T1 split -> means -> SVD (k 100) -> one SimEc(I)
# masked epoch -> 20 MCMC sweeps (scripts/bench/scale.lua) at each size,
# one process per size; prints per stage and size the seconds and the peak
# RSS so far, and per stage the growth exponent b of seconds ~ a nnz^b
# (least squares on the logs; target <= 1.1 for every stage but the SVD,
# whose cost has a part that follows the shape and k, not nnz), and whether
# the largest size stayed under 8 GB of peak RSS.
#   sh scripts/bench/scale.sh [--sizes "1000000 3000000 10000000 25000095"] [--json FILE]
set -eu
cd "$(dirname "$0")/../.."
SIZES="1000000 3000000 10000000 25000095"
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "scale.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
. scripts/bench/peer.sh
bench_init
: >"$DIR/results"
for n in $SIZES; do
    ./simec scripts/bench/scale.lua write "$n" "$DIR"
    l=$(load_average)
    ./simec scripts/bench/scale.lua run "$DIR" | sed "s/^/$n $l /" >>"$DIR/results"
    rm -f "$DIR/ratings.tsv"
done
$PY - "$DIR/results" "$JSON" <<'PYEOF'
import json, math, sys
path, out = sys.argv[1], sys.argv[2]
rows, stages, sizes, loads, nnz = {}, [], [], {}, {}
for line in open(path):
    f = line.split()
    n, load, what = int(f[0]), float(f[1]), f[2]
    loads[n] = load
    if n not in sizes:
        sizes.append(n)
    if what == "ratings":
        nnz[n] = int(f[3])
        continue
    if what not in stages:
        stages.append(what)
    rows[(what, n)] = (float(f[3]), float(f[4]))
print("Scaling at the ML-25M shape (62,423 x 162,541): seconds (peak RSS MB so far) per stage and size")
print("%-12s" % "stage" + "".join("%20s" % ("%d" % n) for n in sizes) + "%10s" % "exponent")
results = []
for st in stages:
    xs = [math.log(nnz[n]) for n in sizes]
    ys = [math.log(max(rows[(st, n)][0], 1e-4)) for n in sizes]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else float("nan")
    print("%-12s" % st + "".join("%20s" % ("%.2f (%.0f)" % rows[(st, n)]) for n in sizes) + "%10.2f" % b)
    results.append({"name": "%s growth exponent in nnz" % st, "exponent": b,
                    "seconds": {str(n): rows[(st, n)][0] for n in sizes},
                    "peak_mb": {str(n): rows[(st, n)][1] for n in sizes}})
big = sizes[-1]
peak = max(rows[(st, big)][1] for st in stages)
print("load average before each size: " + " ".join("%.2f" % loads[n] for n in sizes))
print("largest size %d: peak RSS %.0f MB (target < 8192 MB: %s); exponents <= 1.1 but the SVD's: %s" % (
    big, peak, "met" if peak < 8192 else "NOT met",
    "met" if all(r["exponent"] <= 1.1 for r in results if not r["name"].startswith("svd")) else "NOT met"))
if out:
    json.dump({"benchmark": "scale", "shape": [62423, 162541], "sizes": [nnz[n] for n in sizes], "results": results,
               "peak_mb_largest": peak}, open(out, "w"), indent=1)
    print("wrote " + out)
PYEOF
