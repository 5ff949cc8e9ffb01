#!/bin/sh
# The Gibbs sampler against libFM's MCMC, in the same run: the same
# factorization machine (global bias, item and user ids and features, rank
# K, init_stdev 0.1, predictions averaged over every sweep) on synthetic
# ratings the size of ml-100k (1682 x 943, 100,000 ratings, 40 item and 30
# user features) and of ML-10M (10,681 x 69,878, 10M ratings, 1000 item
# features), the study's T1 split. libFM reads the features as two
# relations (its block structure: per item and per user, not per rating),
# its fastest input for this design. Prints per size the seconds per sweep
# (medians over --runs runs: libFM's own per-iteration timer; simec's
# wall time less the setup a one-sweep run takes), the test RMSE, each
# whole run's wall time and peak RSS, the 1-minute load average before each
# run, the nanoseconds a cache line took between the two cores and back
# before each simec run (simec's two threads share rows at every pass, so
# this sets what the second core gains; it moves with where the host puts
# the cores), and the ratio libFM/simec.
#   sh scripts/bench/mcmc.sh [--sizes "100k 10m"] [--k 8] [--sweeps N] [--runs 3] [--json FILE]
# --sweeps defaults to 1000 at 100k (a sweep there takes about a millisecond:
# a shorter run measures mostly its warm-up) and 20 at 10m. libFM is built from
# ../shared/peers/libfm-*.tar.gz (SIMEC_PEERS=DIR elsewhere) in a temporary
# folder; nothing of it stays.
set -eu
cd "$(dirname "$0")/../.."
SIZES="100k 10m"
K=8
SWEEPS=""
RUNS=3
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --k) K=$2; shift 2 ;;
    --sweeps) SWEEPS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "mcmc.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
for s in $SIZES; do
    case "$s" in 100k|10m) ;; *) echo "mcmc.sh: --sizes takes 100k and 10m, got $s" >&2; exit 2 ;; esac
done
. scripts/bench/peer.sh
bench_init
LIBFM_SRC=$(PEER_TARGET=all peer_build libfm "$DIR") || exit 1
BIN="$LIBFM_SRC/bin"
RESULTS="$DIR/results"
: >"$RESULTS"

for size in $SIZES; do
    n=${SWEEPS:-$([ "$size" = 100k ] && echo 1000 || echo 20)}
    D="$DIR/$size"
    mkdir "$D"
    ./simec scripts/bench/peers.lua libfm "$size" "$D" >/dev/null
    for r in item user; do
        "$BIN/convert" --ifile "$D/$r.libfm" --ofilex "$D/$r.x" --ofiley "$D/$r.y" >/dev/null
        "$BIN/transpose" --ifile "$D/$r.x" --ofile "$D/$r.xt" >/dev/null
    done
    for run in $(seq "$RUNS"); do
        l=$(load_average)
        ns=$(core_latency)
        /usr/bin/time -f "%e %M" -o "$D/time" ./simec scripts/bench/peers.lua mcmc "$size" "$K" "$n" "$run" >"$D/simec.out"
        echo "$size simec $run $l $n $(cat "$D/simec.out") $(cat "$D/time") $ns" >>"$RESULTS"
        l=$(load_average)
        (cd "$D" && /usr/bin/time -f "%e %M" -o time "$BIN/libFM" -task r -train train.libfm -test test.libfm \
            -relation item,user -dim "1,1,$K" -iter "$n" -method mcmc -init_stdev 0.1 -seed "$run" \
            -out pred.txt -rlog rlog.txt >libfm.out 2>&1) || { tail -20 "$D/libfm.out" >&2; exit 1; }
        echo "$size libfm $run $l $n $D $(cat "$D/time")" >>"$RESULTS"
        $PY - "$D" >>"$RESULTS" <<'PYEOF'
import math, statistics, sys
d = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(d + "/rlog.txt")]
col = rows[0].index("time_learn")
per = statistics.median(float(r[col]) for r in rows[1:])
y = [float(l.split()[0]) for l in open(d + "/test.libfm")]
p = [float(l) for l in open(d + "/pred.txt")]
assert len(y) == len(p), "libFM predicted %d of %d test ratings" % (len(p), len(y))
print("libfm_sweep %.6f rmse %.6f" % (per, math.sqrt(sum((a - b) ** 2 for a, b in zip(y, p)) / len(y))))
PYEOF
    done
done

$PY - "$RESULTS" "$K" "$JSON" <<'PYEOF'
import json, statistics, sys
path, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l.split() for l in open(path)]
runs = {}
i = 0
while i < len(lines):
    f = lines[i]
    size, side, run, load, sweeps = f[0], f[1], int(f[2]), float(f[3]), int(f[4])
    extra = {}
    if side == "simec":  # seconds S setup S rmse R wall rss core_ns
        secs, setup, rmse, wall, rss = float(f[6]), float(f[8]), float(f[10]), float(f[11]), float(f[12])
        per = (secs - setup) / (sweeps - 1) if sweeps > 1 else secs
        extra["core_round_trip_ns"] = float(f[13])
        i += 1
    else:  # the next line: libfm_sweep S rmse R
        wall, rss = float(f[6]), float(f[7])
        g = lines[i + 1]
        per, rmse = float(g[1]), float(g[3])
        i += 2
    runs.setdefault((size, side), []).append(dict({"run": run, "load": load, "sweeps": sweeps, "sweep_s": per,
                                                   "rmse": rmse, "wall_s": wall, "peak_mb": rss / 1024}, **extra))
print("Gibbs sampling, factorization machine of rank %d (ids and features of items and users), T1 split; "
      "medians over runs" % k)
print("%-5s %-6s %6s %11s %9s %9s %9s %s" % ("size", "side", "sweeps", "s/sweep", "RMSE", "wall s", "peak MB",
                                            "load before each run"))
results = []
for size in ["100k", "10m"]:
    if (size, "simec") not in runs:
        continue
    med = {}
    for side in ["simec", "libfm"]:
        rs = runs[(size, side)]
        med[side] = {key: statistics.median(r[key] for r in rs) for key in ["sweep_s", "rmse", "wall_s", "peak_mb"]}
        print("%-5s %-6s %6d %11.5f %9.5f %9.2f %9.0f %s" % (size, side, rs[0]["sweeps"], med[side]["sweep_s"],
              med[side]["rmse"], med[side]["wall_s"], med[side]["peak_mb"], " ".join("%.2f" % r["load"] for r in rs)))
    print("%-5s cache line between the cores and back before each simec run: %s ns" % (
        size, " ".join("%.0f" % r["core_round_trip_ns"] for r in runs[(size, "simec")])))
    ratio = med["libfm"]["sweep_s"] / med["simec"]["sweep_s"]
    rm = [r["rmse"] for r in runs[(size, "simec")]], [r["rmse"] for r in runs[(size, "libfm")]]
    print("%-5s per sweep libFM/simec %.1fx (target >= 10x: %s); test RMSE simec %s, libFM %s" % (
        size, ratio, "met" if ratio >= 10 else "NOT met", " ".join("%.5f" % x for x in rm[0]),
        " ".join("%.5f" % x for x in rm[1])))
    results.append({"name": "MCMC sweep (%s)" % size, "k": k, "sweeps": runs[(size, "simec")][0]["sweeps"],
                    "simec_s": med["simec"]["sweep_s"], "peer_s": med["libfm"]["sweep_s"], "ratio": ratio,
                    "simec_rmse": med["simec"]["rmse"], "peer_rmse": med["libfm"]["rmse"],
                    "simec_wall_s": med["simec"]["wall_s"], "peer_wall_s": med["libfm"]["wall_s"],
                    "simec_mb": med["simec"]["peak_mb"], "peer_mb": med["libfm"]["peak_mb"],
                    "runs": {"simec": runs[(size, "simec")], "libfm": runs[(size, "libfm")]}})
if out:
    json.dump({"benchmark": "mcmc", "peer": "libFM 1.4.4 (MCMC, block structure)", "k": k, "results": results},
              open(out, "w"), indent=1)
    print("wrote " + out)
PYEOF
