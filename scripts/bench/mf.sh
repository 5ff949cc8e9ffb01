#!/bin/sh
# Matrix factorisation against LIBMF, in the same run: LIBMF's parallel SGD
# (k 100, 2 threads, its default learning rate and l2, --iters
# iterations) and the study's SimEc(I) masked (identity input, embedding
# 100, Adamax lr 0.01, l2 1e-3 on the embedding, the means model's
# residuals as targets, --epochs epochs) on synthetic ratings the size of
# ML-10M (or ml-100k), the study's T1 split. Prints the seconds per epoch
# (medians over --runs runs: LIBMF's from the wall time of a T-iteration
# run less a one-iteration run's, so loading is not counted; simec's per
# epoch, scoring not counted), the test RMSE after the last epoch, the time
# each side takes to reach LIBMF's final test RMSE, peak RSS, the 1-minute
# load average before each run, and the ratio LIBMF/simec; then the same
# SimEc trained with plain SGD at the core's default rate, which steps only
# the rows a batch touches (the sparse-update option); then models.mf
# (SGD over blocks of ratings, single precision, its default rate and l2)
# with biases and without (LIBMF's model).
#   sh scripts/bench/mf.sh [--size 10m|100k] [--k 100] [--iters 20] [--epochs 20] [--runs 3] [--json FILE]
# LIBMF is built from ../shared/peers/libmf-*.tar.gz (SIMEC_PEERS=DIR
# elsewhere) in a temporary folder; nothing of it stays.
set -eu
cd "$(dirname "$0")/../.."
SIZE=10m
K=100
ITERS=20
EPOCHS=20
RUNS=3
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --k) K=$2; shift 2 ;;
    --iters) ITERS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "mf.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$SIZE" in 100k|10m) ;; *) echo "mf.sh: --size takes 100k or 10m, got $SIZE" >&2; exit 2 ;; esac
[ "$ITERS" -ge 2 ] 2>/dev/null || { echo "mf.sh: --iters must be at least 2, got $ITERS" >&2; exit 2; }
. scripts/bench/peer.sh
bench_init
LIBMF=$(peer_build libmf "$DIR") || exit 1
./simec scripts/bench/peers.lua libmf "$SIZE" "$DIR" >/dev/null
RESULTS="$DIR/results"
: >"$RESULTS"
for run in $(seq "$RUNS"); do
    for opt in adamax sgd; do
        l=$(load_average)
        /usr/bin/time -f "%e %M" -o "$DIR/time" ./simec scripts/bench/peers.lua mf "$SIZE" "$K" "$EPOCHS" "$run" \
            "$opt" >"$DIR/simec.out"
        side=simec; [ "$opt" = sgd ] && side=sgd
        echo "$side $run $l $(cat "$DIR/time")" >>"$RESULTS"
        sed 's/^/  /' "$DIR/simec.out" >>"$RESULTS"
    done
    for variant in bias nobias; do
        l=$(load_average)
        /usr/bin/time -f "%e %M" -o "$DIR/time" ./simec scripts/bench/peers.lua mfsgd "$SIZE" "$K" "$EPOCHS" "$run" \
            "$variant" >"$DIR/simec.out"
        echo "mf_$variant $run $l $(cat "$DIR/time")" >>"$RESULTS"
        sed 's/^/  /' "$DIR/simec.out" >>"$RESULTS"
    done
    l=$(load_average)
    for t in 1 "$ITERS"; do
        /usr/bin/time -f "%e %M" -o "$DIR/time$t" "$LIBMF/mf-train" -k "$K" -s 2 -t "$t" --quiet "$DIR/train.txt" \
            "$DIR/model" >/dev/null
    done
    "$LIBMF/mf-train" -k "$K" -s 2 -t "$ITERS" -p "$DIR/test.txt" "$DIR/train.txt" "$DIR/model" >"$DIR/curve"
    echo "libmf $run $l $(cat "$DIR/time1") $(cat "$DIR/time$ITERS")" >>"$RESULTS"
    # the test RMSE after each iteration (its "va_rmse" column)
    awk '$1 ~ /^[0-9]+$/ { print "  iter " $1 + 1 " rmse " $3 }' "$DIR/curve" >>"$RESULTS"
done

$PY - "$RESULTS" "$SIZE" "$K" "$ITERS" "$EPOCHS" "$JSON" <<'PYEOF'
import json, statistics, sys
path, size, k, iters, epochs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
runs = {"simec": [], "sgd": [], "libmf": [], "mf_bias": [], "mf_nobias": []}
cur = None
for line in open(path):
    f = line.split()
    if not line.startswith(" "):
        cur = {"run": int(f[1]), "load": float(f[2]), "curve": []}
        if f[0] != "libmf":
            cur["wall_s"], cur["peak_mb"] = float(f[3]), float(f[4]) / 1024
            cur["epoch_s"] = []
        else:
            cur["wall_s"], cur["peak_mb"] = float(f[5]), float(f[6]) / 1024
            cur["epoch_s"] = [(float(f[5]) - float(f[3])) / (iters - 1)]
        runs[f[0]].append(cur)
    elif f[0] == "epoch":
        cur["epoch_s"].append(float(f[3]))
        cur["curve"].append(float(f[5]))
    else:
        cur["curve"].append(float(f[3]))
def med(side, key):
    return statistics.median(key(r) for r in runs[side])
s_ep = med("simec", lambda r: statistics.median(r["epoch_s"]))
g_ep = med("sgd", lambda r: statistics.median(r["epoch_s"]))
l_ep = med("libmf", lambda r: r["epoch_s"][0])
s_rmse, l_rmse = med("simec", lambda r: r["curve"][-1]), med("libmf", lambda r: r["curve"][-1])
g_rmse = med("sgd", lambda r: r["curve"][-1])
# time to reach LIBMF's final test RMSE (the median over its runs; for
# LIBMF each run's own): epochs needed x seconds per epoch
def reach(side, per):
    out = []
    for r in runs[side]:
        goal = r["curve"][-1] if side == "libmf" else l_rmse
        hit = next((e + 1 for e, x in enumerate(r["curve"]) if x <= goal), None)
        out.append(hit * per if hit else None)
    got = [x for x in out if x is not None]
    return statistics.median(got) if len(got) == len(out) else None
s_reach, l_reach, g_reach = reach("simec", s_ep), reach("libmf", l_ep), reach("sgd", g_ep)
m_ep = {v: med("mf_" + v, lambda r: statistics.median(r["epoch_s"])) for v in ("bias", "nobias")}
m_rmse = {v: med("mf_" + v, lambda r: r["curve"][-1]) for v in ("bias", "nobias")}
m_reach = {v: reach("mf_" + v, m_ep[v]) for v in ("bias", "nobias")}
print("Matrix factorisation, k %d, T1 split of the %s synthetic ratings; medians over %d runs" % (k, size, len(runs["simec"])))
print("%-22s %10s %10s %10s %9s %s" % ("side", "s/epoch", "RMSE", "to LIBMF's", "peak MB", "load before each run"))
for side, name, ep, rm, rc in [("libmf", "LIBMF (%d iterations)" % iters, l_ep, l_rmse, l_reach),
                               ("simec", "SimEc(I) masked (%d)" % epochs, s_ep, s_rmse, s_reach),
                               ("sgd", "  same, SGD rows (%d)" % epochs, g_ep, g_rmse, g_reach),
                               ("mf_bias", "models.mf (%d)" % epochs, m_ep["bias"], m_rmse["bias"], m_reach["bias"]),
                               ("mf_nobias", "  no biases (%d)" % epochs, m_ep["nobias"], m_rmse["nobias"],
                                m_reach["nobias"])]:
    print("%-22s %10.3f %10.5f %10s %9.0f %s" % (name, ep, rm, "%.2fs" % rc if rc else "not reached",
          med(side, lambda r: r["peak_mb"]), " ".join("%.2f" % r["load"] for r in runs[side])))
ratio = l_ep / s_ep
print("per epoch LIBMF/simec %.2fx (SimEc(I) masked target: within 3x, i.e. >= 0.33x: %s)" % (
    ratio, "met" if ratio >= 1 / 3 else "NOT met"))
g_ratio = l_ep / g_ep
print("per epoch LIBMF/simec with SGD on the touched rows %.2fx (sparse-update target: within 1.5x, i.e. >= 0.67x, "
      "at an RMSE no worse than LIBMF's: %s)" % (g_ratio, "met" if g_ratio >= 2 / 3 and g_rmse <= l_rmse else "NOT met"))
for v, what in (("bias", "biased MF"), ("nobias", "without biases, LIBMF's model")):
    r = l_ep / m_ep[v]
    print("per epoch LIBMF/models.mf (%s) %.2fx (sparse-update target: within 1.5x, i.e. >= 0.67x, at an RMSE no "
          "worse than LIBMF's: %s)" % (what, r, "met" if r >= 2 / 3 and m_rmse[v] <= l_rmse else "NOT met"))
print("test RMSE by epoch, models.mf run 1: " + " ".join("%.4f" % x for x in runs["mf_bias"][0]["curve"]))
print("test RMSE by epoch, models.mf without biases run 1: " + " ".join("%.4f" % x for x in runs["mf_nobias"][0]["curve"]))
print("test RMSE by epoch, simec run 1: " + " ".join("%.4f" % x for x in runs["simec"][0]["curve"]))
print("test RMSE by epoch, simec SGD run 1: " + " ".join("%.4f" % x for x in runs["sgd"][0]["curve"]))
print("test RMSE by iteration, LIBMF run 1: " + " ".join("%.4f" % x for x in runs["libmf"][0]["curve"]))
if out:
    json.dump({"benchmark": "mf", "peer": "LIBMF (k %d, 2 threads, defaults)" % k, "size": size, "results": [
        {"name": "SimEc(I) masked epoch vs LIBMF iteration", "simec_s": s_ep, "peer_s": l_ep, "ratio": ratio,
         "simec_rmse": s_rmse, "peer_rmse": l_rmse, "simec_to_peer_rmse_s": s_reach, "peer_to_peer_rmse_s": l_reach,
         "simec_mb": med("simec", lambda r: r["peak_mb"]), "peer_mb": med("libmf", lambda r: r["peak_mb"]),
         "runs": runs},
        {"name": "SimEc(I) masked epoch, SGD on touched rows, vs LIBMF iteration", "simec_s": g_ep, "peer_s": l_ep,
         "ratio": g_ratio, "simec_rmse": g_rmse, "peer_rmse": l_rmse, "simec_to_peer_rmse_s": g_reach,
         "simec_mb": med("sgd", lambda r: r["peak_mb"])}] + [
        {"name": "models.mf epoch (%s) vs LIBMF iteration" % ("biased MF" if v == "bias" else "no biases"),
         "simec_s": m_ep[v], "peer_s": l_ep, "ratio": l_ep / m_ep[v], "simec_rmse": m_rmse[v], "peer_rmse": l_rmse,
         "simec_to_peer_rmse_s": m_reach[v], "simec_mb": med("mf_" + v, lambda r: r["peak_mb"]),
         "runs": runs["mf_" + v]} for v in ("bias", "nobias")]}, open(out, "w"), indent=1)
    print("wrote " + out)
PYEOF
