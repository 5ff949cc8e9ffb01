#!/bin/sh
# The baseline pipeline (load, item features, T1 split, means, SVD k=100,
# ridge from item features to the factors, prediction of every test rating)
# on synthetic data the size of MovieLens-10M (10M ratings, 10,681 items x
# 69,878 users, 20 features per item), timed stage by stage with simec and,
# in the same run, with (a) the vectorised Python way (pandas, scipy CSR,
# numpy, scipy svds, sklearn Ridge) and (b) the study's code path (dicts,
# lil_matrix, Python loops). Medians of --runs runs for simec and (a);
# (b) takes minutes and runs --study-runs times (default 1; 0 skips it).
# The 1-minute load average before each run is printed under the table.
#   sh scripts/bench/baselines.sh [--ratings N] [--runs K] [--study-runs K] [--json FILE]
set -eu
cd "$(dirname "$0")/../.."
N=10000054
RUNS=3
STUDY_RUNS=1
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --ratings) N=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --study-runs) STUDY_RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "baselines.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
. scripts/bench/peer.sh
bench_init
./simec scripts/bench/baselines_gen.lua "$DIR" "$N"

# run NAME CMD...: appends "stage seconds" lines to $DIR/NAME.<i>, peak KB
# to $DIR/NAME.rss and the load average before the run to $DIR/NAME.load
run() {
    name=$1
    shift
    i=$(ls "$DIR" | grep -c "^$name\.[0-9]" || true)
    load_average >>"$DIR/$name.load"
    /usr/bin/time -f "%M" -o "$DIR/rss.tmp" "$@" "$DIR/ratings.tsv" "$DIR/items.tsv" >"$DIR/$name.$i" 2>"$DIR/err" ||
        { cat "$DIR/err" >&2; exit 1; }
    cat "$DIR/rss.tmp" >>"$DIR/$name.rss"
}
for i in $(seq "$RUNS"); do
    run simec ./simec scripts/bench/baselines_simec.lua
    run numpy $PY scripts/bench/baselines_numpy.py
done
for i in $(seq "$STUDY_RUNS"); do
    run study $PY scripts/bench/baselines_study.py
done

$PY - "$DIR" "$N" "$RUNS" "$STUDY_RUNS" "$JSON" <<'PYEOF'
import glob, json, statistics, sys
d, n, runs, study_runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
STAGES = ["load", "features", "split", "means", "svd", "ridge", "predict"]

def runs_of(name):
    res = []
    for f in sorted(glob.glob("%s/%s.[0-9]*" % (d, name))):
        r = {}
        for line in open(f):
            w = line.split()
            if w and w[0] in STAGES + ["rmse"]:
                r[w[0]] = float(w[1])
            elif w and w[0] in ("svd_top", "svd_arpack", "svd_randomized"):
                r[w[0]] = [float(x) for x in w[1:]]
        res.append(r)
    return res

def med(rs, key):
    v = [r[key] for r in rs if key in r]
    return statistics.median(v) if v else None

def loads(name):
    try:
        return [float(x) for x in open("%s/%s.load" % (d, name))]
    except OSError:
        return []

def rss(name):
    try:
        return statistics.median(float(x) for x in open("%s/%s.rss" % (d, name))) / 1024
    except OSError:
        return None

S, A, B = runs_of("simec"), runs_of("numpy"), runs_of("study")
print("baselines benchmark: %d ratings, 10681 items x 69878 users; medians of %d runs (study: %d)" % (n, runs, study_runs))
print("%-10s %10s %10s %8s %10s %8s" % ("stage", "simec", "(a) numpy", "ratio", "(b) study", "ratio"))
results = []
tot = {}
for name, rs in (("simec", S), ("numpy", A), ("study", B)):
    tot[name] = sum(med(rs, st) or 0 for st in STAGES) if rs else None
for st in STAGES + ["total"]:
    s = tot["simec"] if st == "total" else med(S, st)
    a = tot["numpy"] if st == "total" else med(A, st)
    b = (tot["study"] if st == "total" else med(B, st)) if B else None
    fb = ("%9.2fs %7.1fx" % (b, b / s)) if b is not None else "%10s %8s" % ("-", "-")
    print("%-10s %9.2fs %9.2fs %7.2fx %s" % (st, s, a, a / s, fb))
    results.append({"name": "%s vs numpy/scipy" % st if st != "total" else "total vs numpy/scipy",
                    "simec_s": round(s, 3), "peer_s": round(a, 3), "ratio": round(a / s, 3)})
    if st == "total" and b is not None:
        results.append({"name": "total vs the study's code path", "simec_s": round(s, 3), "peer_s": round(b, 3),
                        "ratio": round(b / s, 3)})
load = {name: v for name, v in ((name, loads(name)) for name in ("simec", "numpy", "study")) if v}
print("load before each run: " + "; ".join("%s %s" % ({"numpy": "(a)", "study": "(b)"}.get(k, k),
      " ".join("%.2f" % x for x in v)) for k, v in load.items()))
ms, ma, mb = rss("simec"), rss("numpy"), rss("study")
print("peak RSS: simec %.0f MB, (a) %.0f MB%s" % (ms, ma, (", (b) %.0f MB" % mb) if mb else ""))
results[-1 if B else len(results) - 1]["simec_mb"] = round(ms, 1)
results[-1 if B else len(results) - 1]["peer_mb"] = round(mb if B else ma, 1)
print("RMSE on the test ratings: simec %.6f, (a) %.6f%s" % (med(S, "rmse"), med(A, "rmse"),
      (", (b) %.6f" % med(B, "rmse")) if B else ""))
top_s, top_a = S[0]["svd_top"], A[0]["svd_top"]
worst = max(abs(x / y - 1) for x, y in zip(top_s, top_a))
sv_ratio = med(A, "svd") / med(S, "svd")
verdict = "met" if sv_ratio >= 4 and worst <= 1e-6 else "NOT met"
print("svd k=100 (the default: block Lanczos): %.2fs vs svds %.2fs (%.2fx); top-100 singular values within %.1e "
      "relative of svds (target >= 4x within 1e-6: %s)" % (med(S, "svd"), med(A, "svd"), sv_ratio, worst, verdict))
tot_ratio = tot["numpy"] / tot["simec"]
print("pipeline end to end %.2fx numpy/scipy (target >= 4x: %s)" % (tot_ratio, "met" if tot_ratio >= 4 else "NOT met"))
results.append({"name": "svds k=100 (block Lanczos, the default)", "simec_s": round(med(S, "svd"), 3),
                "peer_s": round(med(A, "svd"), 3), "ratio": round(sv_ratio, 3), "max_rel_diff": worst})
for method, label in (("arpack", "ARPACK"), ("randomized", "randomized block Krylov, 6 blocks of 112")):
    rows = [r["svd_" + method] for r in S if "svd_" + method in r]
    rt = statistics.median(x[0] for x in rows)
    vs_svds = max(abs(x / y - 1) for x, y in zip(rows[0][3:], top_a))
    print("svd k=100 (%s): %.2fs (%.2fx faster than svds); top-100 singular values within %.1e relative of svds "
          "(top 20 within %.1e of the default's)" % (label, rt, med(A, "svd") / rt, vs_svds, rows[0][1]))
    results.append({"name": "svds k=100 (%s)" % method, "simec_s": round(rt, 3), "peer_s": round(med(A, "svd"), 3),
                    "ratio": round(med(A, "svd") / rt, 3), "max_rel_diff": vs_svds})
results.append({"name": "peak memory vs numpy/scipy", "simec_mb": round(ms, 1), "peer_mb": round(ma, 1)})
if out:
    json.dump({"benchmark": "baselines", "load_before_runs": load, "results": results}, open(out, "w"), indent=1)
    print("wrote", out)
PYEOF
