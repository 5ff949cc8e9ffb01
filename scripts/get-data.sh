#!/bin/sh
# Downloads the public data sets simec's examples use, checks them and
# unpacks each into DEST/NAME, atomically: a failed or interrupted download
# leaves nothing behind (and an existing copy untouched).
#   scripts/get-data.sh [--dest DIR] [--base-url URL] [--force] [--no-verify] NAME...
# NAME: ml-100k ml-1m ml-10m ml-20m ml-25m ml-latest ml-latest-small dti
# The licences of these data sets forbid redistribution: keep them out of
# the repository (data/ is ignored by git).
set -eu
DEST=data
ML_URL=https://files.grouplens.org/datasets/movielens
DTI_URL=http://web.kuicr.kyoto-u.ac.jp/supp/yoshi/drugtarget
BASE=""
FORCE=0
VERIFY=1
NAMES=""
usage() {
    echo "usage: $0 [--dest DIR] [--base-url URL] [--force] [--no-verify] NAME..." >&2
    echo "NAME: ml-100k ml-1m ml-10m ml-20m ml-25m ml-latest ml-latest-small dti" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    --dest) DEST=$2; shift 2 ;;
    --base-url) BASE=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --no-verify) VERIFY=0; shift ;;
    -h|--help) usage ;;
    -*) echo "get-data: unknown option $1" >&2; usage ;;
    *) NAMES="$NAMES $1"; shift ;;
    esac
done
[ -n "$NAMES" ] || usage
mkdir -p "$DEST"

fetch() { # URL FILE
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        echo "get-data: needs curl or wget" >&2
        return 1
    fi
}

# files each archive must contain (a truncated or foreign archive is refused)
expected() {
    case "$1" in
    ml-100k) echo "u.data u.item u.user u.genre" ;;
    ml-1m) echo "ratings.dat movies.dat users.dat" ;;
    ml-10m) echo "ratings.dat movies.dat tags.dat" ;;
    ml-latest-small) echo "ratings.csv movies.csv tags.csv links.csv" ;;
    ml-20m|ml-25m|ml-latest) echo "ratings.csv movies.csv tags.csv links.csv genome-scores.csv genome-tags.csv" ;;
    esac
}

# sha256 of the Yamanishi files (see the data's PROVENANCE)
dti_sum() {
    case "$1" in
    nr_admat_dgc.txt) echo 74256ec88b415dbdb93735e93797955e82587f3154988e99787a4e604111963b ;;
    nr_simmat_dc.txt) echo f80e101f284934b85c5dc7601ecaca2cc86c62a946141b2587f3ac8482c9a7c1 ;;
    nr_simmat_dg.txt) echo 5bf651f310b037320fe5d8aa61dfa15e0d8af4b0fd50c3969201085e64b631e1 ;;
    gpcr_admat_dgc.txt) echo 49b2a8a0139dac3116399618bfefc9d1afcc276ce31b7de4e241d1b6e62ef8ab ;;
    gpcr_simmat_dc.txt) echo ba9c1cf096f0f688d1341fec22ebdecb63162005394d3b5ec3e2f2ef3fd40df9 ;;
    gpcr_simmat_dg.txt) echo c58c4311d2086a6914208ed0914598528ce54ade88eb52b0f737eedcaf5001e4 ;;
    esac
}

status=0
for name in $NAMES; do
    case "$name" in
    ml-100k|ml-1m|ml-10m|ml-20m|ml-25m|ml-latest|ml-latest-small|dti) ;;
    *) echo "get-data: unknown data set '$name' (ml-100k ml-1m ml-10m ml-20m ml-25m ml-latest ml-latest-small dti)" >&2
       status=1; continue ;;
    esac
    if [ -d "$DEST/$name" ] && [ "$FORCE" = 0 ]; then
        echo "get-data: $DEST/$name exists (--force downloads it again)"
        continue
    fi
    tmp=$(mktemp -d "$DEST/.get-$name.XXXXXX")
    ok=1
    if [ "$name" = dti ]; then
        mkdir "$tmp/dti"
        for f in nr_admat_dgc.txt nr_simmat_dc.txt nr_simmat_dg.txt gpcr_admat_dgc.txt gpcr_simmat_dc.txt gpcr_simmat_dg.txt; do
            if ! fetch "${BASE:-$DTI_URL}/$f" "$tmp/dti/$f"; then
                echo "get-data: dti: cannot download ${BASE:-$DTI_URL}/$f" >&2
                ok=0; break
            fi
            got=$(sha256sum "$tmp/dti/$f" | cut -d' ' -f1)
            if [ "$VERIFY" = 1 ] && [ "$got" != "$(dti_sum "$f")" ]; then
                echo "get-data: dti: $f has sha256 $got, expected $(dti_sum "$f") (--no-verify accepts it)" >&2
                ok=0; break
            fi
        done
    else
        url="${BASE:-$ML_URL}/$name.zip"
        if ! fetch "$url" "$tmp/$name.zip"; then
            echo "get-data: $name: cannot download $url" >&2
            ok=0
        elif ! unzip -tq "$tmp/$name.zip" >/dev/null 2>&1; then
            echo "get-data: $name: $url is not a valid zip archive" >&2
            ok=0
        else
            unzip -q "$tmp/$name.zip" -d "$tmp/unpacked"
            # the archives hold one top folder (ml-10m's is named ml-10M100K)
            top=$(find "$tmp/unpacked" -mindepth 1 -maxdepth 1 -type d | head -n 1)
            if [ -z "$top" ]; then top="$tmp/unpacked"; fi
            for f in $(expected "$name"); do
                if [ ! -s "$top/$f" ]; then
                    echo "get-data: $name: the archive lacks $f" >&2
                    ok=0
                fi
            done
            [ "$ok" = 1 ] && mv "$top" "$tmp/$name"
        fi
    fi
    if [ "$ok" = 1 ]; then
        rm -rf "$DEST/$name.old"
        [ -d "$DEST/$name" ] && mv "$DEST/$name" "$DEST/$name.old"
        mv "$tmp/$name" "$DEST/$name"
        rm -rf "$DEST/$name.old"
        echo "get-data: $name -> $DEST/$name"
    else
        status=1
    fi
    rm -rf "$tmp"
done
exit $status
