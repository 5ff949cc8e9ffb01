# Sourced by the benchmarks. bench_init installs the benchmark packages,
# builds simec if needed, sets PY (Debian's python3) and DIR (a temporary
# folder removed on exit). For peers built from source (mcmc.sh, mf.sh):
# peer_build NAME DIR unpacks ../shared/peers/NAME-*.tar.gz
# (SIMEC_PEERS=DIR elsewhere) into DIR/src, builds it there with its own
# Makefile (make TARGET, from PEER_TARGET) and prints the folder it built
# in; nothing of it stays in the project. load_average prints the
# 1-minute load average, shown next to each figure; core_latency prints
# the nanoseconds a cache line takes between two cores and back
# (core_latency.c, built in DIR at the first call), which sets what
# threads that share rows gain on a virtual machine. paired_runs RUNS DIR
# runs the caller's functions simec_side and numpy_side (each timing its
# command with /usr/bin/time -f %M -o DIR/rss) one after the other, RUNS
# times; DIR/results gets "SIDE RUN LOAD PEAK_KB" per run and the side's
# output indented below it.
peer_build() { # NAME DIR
    archive=$(ls "${SIMEC_PEERS:-../shared/peers}"/"$1"-*.tar.gz 2>/dev/null | head -n 1 || true)
    if [ -z "$archive" ]; then
        echo "$(basename "$0"): no $1 source archive ($1-*.tar.gz) in ${SIMEC_PEERS:-../shared/peers}; set SIMEC_PEERS" >&2
        return 1
    fi
    mkdir -p "$2/src"
    tar xzf "$archive" -C "$2/src"
    src=$(dirname "$(find "$2/src" -maxdepth 2 -name Makefile | head -n 1)")
    if ! (cd "$src" && make ${PEER_TARGET:-}) >"$2/build.log" 2>&1; then
        tail -20 "$2/build.log" >&2
        echo "$(basename "$0"): $1 did not build" >&2
        return 1
    fi
    echo "$src"
}

load_average() { cut -d' ' -f1 /proc/loadavg; }

core_latency() {
    [ -x "$DIR/core_latency" ] || cc -O2 -pthread -o "$DIR/core_latency" scripts/bench/core_latency.c || return 1
    "$DIR/core_latency"
}

paired_runs() { # RUNS DIR
    : >"$2/results"
    for run in $(seq "$1"); do
        for side in simec numpy; do
            l=$(load_average)
            "${side}_side" >"$2/out"
            echo "$side $run $l $(cat "$2/rss")" >>"$2/results"
            sed 's/^/  /' "$2/out" >>"$2/results"
        done
    done
}

bench_init() {
    sh scripts/install-deps.sh --bench
    PY=/usr/bin/python3
    [ -x ./simec ] || make -s
    DIR=$(mktemp -d)
    trap 'rm -rf "$DIR"' EXIT
}
