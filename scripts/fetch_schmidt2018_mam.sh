#!/usr/bin/env bash
# Put the Schmidt et al. (2018) multi-area model data set (`schmidt2018-mam/`, CC BY-NC-SA
# 4.0: never shipped with cortexsim) into a data directory the `schmidt2018_mam`
# generator reads (`--data DIR` or `CORTEXSIM_DATA=DIR`).
#
# Usage:
#   scripts/fetch_schmidt2018_mam.sh --from-dir SRC [DIR]
#       copy the derived tables from SRC (a `schmidt2018-mam/` directory, e.g. the
#       project's shared data directory `../shared/data/schmidt2018-mam`), check every
#       file against the sha256 below, install them as DIR/schmidt2018-mam/ (default
#       DIR: out/data/). Nothing is written unless every file checks.
#   scripts/fetch_schmidt2018_mam.sh --source [DIR]
#       download the upstream repository INM-6/multi-area-model at the pinned commit into
#       DIR/schmidt2018-mam-source/ (the input of the derivation in PROVENANCE.md; the
#       derivation itself — the repository's pipeline with NEST stubbed out, ground and
#       metastable states — is described there step by step and is not automated here).
# Then:  export CORTEXSIM_DATA=<DIR as an absolute path>   (the script prints the line)
#
# Licence of the data: CC BY-NC-SA 4.0 (attribution to Schmidt, Bakker, Hilgetag,
# Diesmann & van Albada 2018; non-commercial use; share alike). Read it before use.
set -euo pipefail

COMMIT=355d94042f4fe613e5602918082f5e667695932e
declare -A SHA256=(
  [areas.csv]=20cfd55ba0a4cd3dc840df64c653d07ce39edcf9271901da8329aec00883adbd
  [connections.csv]=ce6ef85faba1cd922fddaac62b526b6c9656c332066eb0c1b09bfe17721bc005
  [distances_mm_32x32.csv]=1eccfecb89b053ef7800dcbc0f7e67e3219ffa7e74711b3b7de93d6652804c40
  [indegree_254x255.csv]=9a734b04c99a63e2aedcc68797d140ee7dca8a3e8d62477577b84a73ac8bb75a
  [indegree_unstabilized_254x255.csv]=84c260dddf5781e19fc67be0ec16833e3321426566bd73e77fb860fa52ceec5a
  [populations.csv]=6817bab23e562aee0721b9a17908d4f93892619dfd18fe83e2aee4dd6e3f4589
  [rates_reference.csv]=cf61b86dc51cfca22384db00f8ee995c58a838fd3f589c941150aa79a8244cc9
  [synapses_254x254.csv]=e983a16893f8989619186468926fbb86b9e5db17b3c195a940ceb1a208987ec3
  [params.json]=dfe8660a7165ccd58305241c0763d1b55c060a3ba997ca333d27990e3f5c53b4
)

usage() { sed -n '2,21p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
case "$mode" in
  --from-dir)
    [ $# -ge 1 ] || usage
    src=$1; dir=${2:-out/data}
    [ -d "$src" ] || { echo "fetch: no directory $src" >&2; exit 1; }
    for f in "${!SHA256[@]}"; do
      [ -f "$src/$f" ] || { echo "fetch: $src/$f is missing" >&2; exit 1; }
      got=$(sha256sum "$src/$f" | cut -d' ' -f1)
      [ "$got" = "${SHA256[$f]}" ] || { echo "fetch: $src/$f: sha256 $got, expected ${SHA256[$f]}" >&2; exit 1; }
    done
    tmp=$(mktemp -d "${dir%/}.schmidt.XXXXXX" 2>/dev/null || { mkdir -p "$dir"; mktemp -d "$dir/.schmidt.XXXXXX"; })
    for f in "${!SHA256[@]}"; do cp "$src/$f" "$tmp/"; done
    [ -f "$src/PROVENANCE.md" ] && cp "$src/PROVENANCE.md" "$tmp/"
    mkdir -p "$dir"
    rm -rf "$dir/schmidt2018-mam"
    mv "$tmp" "$dir/schmidt2018-mam"
    ;;
  --source)
    dir=${1:-out/data}
    out="$dir/schmidt2018-mam-source"
    mkdir -p "$out"
    url="https://github.com/INM-6/multi-area-model/archive/${COMMIT}.tar.gz"
    if command -v curl >/dev/null; then curl -fsSL "$url" | tar -xz -C "$out" --strip-components=1
    else wget -qO- "$url" | tar -xz -C "$out" --strip-components=1; fi
    echo "fetch: INM-6/multi-area-model @ $COMMIT in $out; derive the tables as its PROVENANCE.md describes" >&2
    exit 0
    ;;
  *) usage ;;
esac
echo "fetch: schmidt2018-mam installed in $dir/schmidt2018-mam (CC BY-NC-SA 4.0)" >&2
echo "export CORTEXSIM_DATA=$(cd "$dir" && pwd)"
