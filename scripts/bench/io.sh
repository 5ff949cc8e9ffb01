#!/bin/sh
# I/O benchmark: reading a 10-million-line ratings file (user, item, rating,
# timestamp; tab-separated, generated here) into a labelled sparse matrix,
# against pandas.read_csv (C engine) on the same file. Medians of 3 runs.
#   sh scripts/bench/io.sh [--lines N] [--runs K] [--json FILE]
set -eu
cd "$(dirname "$0")/../.."
LINES=10000000
RUNS=3
JSON=""
while [ $# -gt 0 ]; do
    case "$1" in
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    *) echo "io.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
. scripts/bench/peer.sh
bench_init # PY: Debian's python3, with python3-numpy and python3-pandas
FILE="$DIR/ratings.tsv"
# ML-10M-like: 70000 users in file order, each rating distinct items
awk -v n="$LINES" 'BEGIN {
    srand(1); u = 1; k = 0; per = int(n / 70000) + 1
    for (i = 0; i < n; i++) {
        if (k == per) { u++; k = 0 }
        item = (u * 7919 + k * 4729) % 10681 + 1
        printf "%d\t%d\t%.1f\t%d\n", u, item, (int(rand() * 10) + 1) / 2, 1100000000 + i
        k++
    }
}' >"$FILE"
SIZE=$(stat -c %s "$FILE")

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rss() { # peak resident kilobytes of a command
    /usr/bin/time -f "%M" -o "$DIR/rss" "$@" >"$DIR/out" 2>"$DIR/err" || { cat "$DIR/err" >&2; exit 1; }
    cat "$DIR/rss"
}

: >"$DIR/simec_t"; : >"$DIR/peer_t"; : >"$DIR/simec_m"; : >"$DIR/peer_m"
for i in $(seq "$RUNS"); do
    kb=$(rss ./simec scripts/bench/io_read.lua "$FILE")
    set -- $(cat "$DIR/out")
    echo "$1" >>"$DIR/simec_t"
    echo "$kb" >>"$DIR/simec_m"
    CORE_PEAK=$2 CSR=$3 LABELS=$4 NNZ=$5
    kb=$(rss $PY -c "
import sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], sep='\t', header=None, names=['user', 'item', 'rating', 'ts'], engine='c')
print('%.3f' % (time.perf_counter() - t), len(df))
" "$FILE")
    set -- $(cat "$DIR/out")
    echo "$1" >>"$DIR/peer_t"
    echo "$kb" >>"$DIR/peer_m"
done
BASE_KB=$(rss ./simec -e "")
ST=$(median <"$DIR/simec_t"); PT=$(median <"$DIR/peer_t")
SM=$(median <"$DIR/simec_m"); PM=$(median <"$DIR/peer_m")
awk -v st="$ST" -v pt="$PT" -v sm="$SM" -v pm="$PM" -v base="$BASE_KB" -v core="$CORE_PEAK" \
    -v csr="$CSR" -v lab="$LABELS" -v nnz="$NNZ" -v size="$SIZE" -v runs="$RUNS" -v json="$JSON" 'BEGIN {
    ratio = pt / st
    target = 2 * (csr + lab)
    printf "I/O benchmark: %d ratings, %.0f MB file, median of %d runs\n", nnz, size / 1e6, runs
    printf "%-34s %10s %10s %8s\n", "what", "simec", "pandas", "ratio"
    printf "%-34s %9.3fs %9.3fs %7.2fx\n", "read ratings file (seconds)", st, pt, ratio
    printf "%-34s %8.0fMB %8.0fMB\n", "peak RSS", sm * 1.024e-3, pm * 1.024e-3
    printf "%-34s %8.0fMB\n", "peak RSS minus empty simec", (sm - base) * 1.024e-3
    printf "%-34s %8.0fMB\n", "core allocator peak", core / 1e6
    printf "%-34s %8.0fMB\n", "final CSR + labels", (csr + lab) / 1e6
    printf "memory target (peak < 2 x (CSR + labels) = %.0f MB): core peak %s, RSS above empty %s\n",
        target / 1e6, (core < target ? "met" : "MISSED"), ((sm - base) * 1024 < target ? "met" : "MISSED")
    printf "speed target (ratio >= 1): %s\n", (ratio >= 1 ? "met" : "MISSED")
    if (json != "") {
        printf "{\"benchmark\": \"io\", \"results\": [{\"name\": \"read %d ratings vs pandas.read_csv\", \"simec_s\": %s, \"peer_s\": %s, \"ratio\": %.3f, \"simec_mb\": %.1f, \"peer_mb\": %.1f, \"core_peak_mb\": %.1f, \"csr_labels_mb\": %.1f}]}\n",
            nnz, st, pt, ratio, sm * 1.024e-3, pm * 1.024e-3, core / 1e6, (csr + lab) / 1e6 > json
    }
}'
