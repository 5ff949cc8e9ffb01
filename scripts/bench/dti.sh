#!/bin/sh
# KronRLS with GIP kernels against a vectorised numpy KronRLS, in the same
# run: 10-fold cross-validation in the pairs setting (CVS1, split seed 13),
# each fold's kernels 0.5 similarity + 0.5 GIP of the training profiles,
# sigma 1, the fold's pairs scored from the fitted values; simec's
# models.kronrls (scripts/bench/dti.lua) against scripts/bench/dti_numpy.py
# (the reference code's formulation) on the same folds. By default on
# synthetic data the shape of Yamanishi's Enzyme set (445 drugs x 664
# targets, 2,926 interactions; data.synthetic_dti), or on a data.dti set
# with --data DIR NAME (e.g. ../shared/data/dti gpcr). Prints the seconds
# per fold (medians over folds and runs), the whole cross-validation's
# (median over runs), peak RSS, the 1-minute load average before each run,
# the ratio numpy/simec and whether the test scores agree.
#   sh scripts/bench/dti.sh [--data DIR NAME] [--runs 3] [--json FILE]
set -eu
cd "$(dirname "$0")/../.."
DATA=""
NAME=""
RUNS=3
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --data) [ $# -ge 3 ] || { echo "dti.sh: --data takes DIR NAME" >&2; exit 2; }; DATA=$2; NAME=$3; shift 3 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "dti.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "dti.sh: --runs takes a positive integer, got $RUNS" >&2; exit 2 ;; esac
. scripts/bench/peer.sh
bench_init
SET=$(./simec scripts/bench/dti.lua write "$DIR" ${DATA:+"$DATA" "$NAME"})
simec_side() { /usr/bin/time -f "%M" -o "$DIR/rss" ./simec scripts/bench/dti.lua kron "$DIR" ${DATA:+"$DATA" "$NAME"}; }
numpy_side() { /usr/bin/time -f "%M" -o "$DIR/rss" $PY scripts/bench/dti_numpy.py "$DIR"; }
paired_runs "$RUNS" "$DIR"
RESULTS="$DIR/results"

$PY - "$RESULTS" "${NAME:-synthetic Enzyme-shaped}" "$SET" "$JSON" <<'PYEOF'
import json, statistics, sys
path, name, shape, out = sys.argv[1:5]
runs = {"simec": [], "numpy": []}
cur = None
for line in open(path):
    f = line.split()
    if not line.startswith(" "):
        cur = {"run": int(f[1]), "load": float(f[2]), "peak_mb": float(f[3]) / 1024, "fold_s": [], "sums": []}
        runs[f[0]].append(cur)
    else:  # fold F seconds S sum Z
        cur["fold_s"].append(float(f[3]))
        cur["sums"].append(float(f[5]))
fold = {s: statistics.median(x for r in runs[s] for x in r["fold_s"]) for s in runs}
cv = {s: statistics.median(sum(r["fold_s"]) for r in runs[s]) for s in runs}
mb = {s: statistics.median(r["peak_mb"] for r in runs[s]) for s in runs}
rel = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(runs["simec"][0]["sums"], runs["numpy"][0]["sums"]))
print("KronRLS-GIP, 10-fold CV (pairs), sigma 1, kernels 0.5 similarity + 0.5 GIP; %s (%s); medians" % (name, shape))
print("%-6s %10s %10s %9s %s" % ("side", "s/fold", "CV s", "peak MB", "load before each run"))
for s in ["simec", "numpy"]:
    print("%-6s %10.4f %10.3f %9.0f %s" % (s, fold[s], cv[s], mb[s], " ".join("%.2f" % r["load"] for r in runs[s])))
ratio = fold["numpy"] / fold["simec"]
print("per fold numpy/simec %.1fx (target >= 3x: %s); the folds' test-score sums differ by at most %.1e relative" % (
    ratio, "met" if ratio >= 3 else "NOT met", rel))
if out:
    json.dump({"benchmark": "dti", "peer": "numpy KronRLS-GIP (scripts/bench/dti_numpy.py)", "data": name,
               "shape": shape, "results": [{"name": "KronRLS-GIP fold (pairs)", "simec_s": fold["simec"],
                                            "peer_s": fold["numpy"], "ratio": ratio, "simec_cv_s": cv["simec"],
                                            "peer_cv_s": cv["numpy"], "simec_mb": mb["simec"], "peer_mb": mb["numpy"],
                                            "max_rel_diff": rel, "runs": runs}]}, open(out, "w"), indent=1)
    print("wrote " + out)
PYEOF
