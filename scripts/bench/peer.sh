# Sourced by the benchmarks against peers built from source (mcmc.sh,
# mf.sh): peer_build NAME DIR unpacks ../shared/peers/NAME-*.tar.gz
# (SIMEC_PEERS=DIR elsewhere) into DIR/src, builds it there with its own
# Makefile (make TARGET, from PEER_TARGET) and prints the folder it built
# in; nothing of it stays in the project. load_average prints the
# 1-minute load average, shown next to each figure.
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
