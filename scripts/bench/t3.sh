#!/bin/sh
# T3 (new items and new users) on synthetic data the size of MovieLens-10M
# (10,681 items x 69,878 users, 1000 item and 200 user features): stage
# seconds, test RMSE and peak memory of one simec run.
#   sh scripts/bench/t3.sh [--ratings N]
set -eu
cd "$(dirname "$0")/../.."
N=10000054
while [ $# -gt 0 ]; do
    case "$1" in
    --ratings) N=$2; shift 2 ;;
    *) echo "t3.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
sh scripts/install-deps.sh --bench
[ -x ./simec ] || make -s
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
/usr/bin/time -f "peak_rss_mb %M" -o "$OUT" ./simec scripts/bench/t3.lua "$N"
awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$OUT"
