#!/bin/sh
# The study at scale: the four tasks on synthetic data the size of
# MovieLens-10M (10,681 items x 69,878 users, 10M ratings, 1000 item
# features, no user features) with --quick's grid and the default grid, and
# T1 alone on a set the size of ML-25M (62,423 items x 162,541 users, 25M
# ratings); prints the table, seconds per model, the total and peak RSS of
# each run. Targets on 2 cores: quick under 3 minutes, default under 20,
# peak RSS under 4 GB. A run past LIMIT seconds (default 1500) is stopped:
# its last progress lines on stderr show the slow stage.
#   sh scripts/bench/study.sh [--only quick|default|25m] [--ratings N] [--limit S]
set -eu
cd "$(dirname "$0")/../.."
N=10000054
ONLY=""
LIMIT=1500
while [ $# -gt 0 ]; do
    case "$1" in
    --ratings) N=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    *) echo "study.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
sh scripts/install-deps.sh --bench
[ -x ./simec ] || make -s
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
run() { # NAME ARGS...
    name=$1; shift
    echo "== $name"
    if timeout "$LIMIT" /usr/bin/time -f "peak_rss_mb %M" -o "$OUT" ./simec scripts/bench/study.lua "$@"; then
        awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$OUT"
    else
        echo "$name: stopped after ${LIMIT}s or failed (the progress lines above show the stage)"
    fi
}
[ -z "$ONLY" ] || [ "$ONLY" = quick ] && run "10M quick" 10681 69878 "$N" 1000 quick
[ -z "$ONLY" ] || [ "$ONLY" = default ] && run "10M default" 10681 69878 "$N" 1000 default
# T1 at ML-25M size without the zero-filled SimEcs, whose every batch steps
# all 162,541 rows of the last layer: the run stays near ten minutes
[ -z "$ONLY" ] || [ "$ONLY" = 25m ] && run "25M T1 quick" 62423 162541 25000095 1000 quick T1 \
    mean,biases,svd,simec_masked,two_simec_masked,mcmc,blend
exit 0
