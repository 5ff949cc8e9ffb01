#!/bin/sh
# Installs the Debian packages simec needs to build and test (and, with
# --bench, the benchmark peers). As root it runs apt-get; otherwise it
# prints the exact command and fails.
#   sh scripts/install-deps.sh [--list] [--bench | --fuzz | --valgrind | --trace]
set -eu
# libzmq3-dev, libjansson-dev, libssl-dev: the Jupyter kernel; the python3-* ones test it, and jupyter-core
# and jupyter-client give the jupyter command and its kernelspec subcommand (iproute2: jupyter_client
# lists the network interfaces with ip); man-db: the host tests render the installed man page
PKGS="gcc make pkg-config liblua5.4-dev lua5.4 lua-argparse lua-cjson libopenblas-dev liblapacke-dev libarpack2-dev libreadline-dev tmux zip unzip curl chromium python3
      libzmq3-dev libjansson-dev libssl-dev python3-jupyter-client python3-nbclient python3-nbconvert python3-nbformat jupyter-core jupyter-client
      iproute2 man-db"
# --list [FLAVOUR]: print the packages (of FLAVOUR too) and stop; the
# check of which packages the tests use reads them from here
list=""
if [ "${1:-}" = --list ]; then list=1; shift; fi
case "${1:-}" in
--trace) PKGS="$PKGS strace" ;; # scripts/check-test-deps.py records the programs the tests start
--bench) PKGS="$PKGS python3 python3-numpy python3-pandas python3-scipy python3-sklearn python3-torch time g++" ;; # g++: libFM and LIBMF from source
--fuzz) PKGS="$PKGS clang libclang-rt-dev" ;; # libclang-rt-dev: libFuzzer's runtime
--valgrind) PKGS="$PKGS valgrind" ;;
esac
if [ -n "$list" ]; then
    echo $PKGS
    exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: not a Debian system; install these (or your distribution's equivalents): $PKGS" >&2
    for p in lua5.4 openblas lapacke arpack readline; do
        pkg-config --exists "$p" 2>/dev/null || exit 1
    done
    exit 0
fi
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
