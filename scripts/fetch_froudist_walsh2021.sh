#!/usr/bin/env bash
# Put the data set of Froudist-Walsh et al. (2021) (`froudist-walsh2021-40areas/`,
# GPL-3.0 / CC-BY-NC: never shipped with cortexsim) into a data directory the
# `froudist_walsh2021` generator reads (`--data DIR` or `CORTEXSIM_DATA=DIR`).
#
# Usage:
#   scripts/fetch_froudist_walsh2021.sh --from-dir SRC [DIR]
#       copy the tables and the MATLAB files from SRC (a `froudist-walsh2021-40areas/`
#       directory, e.g. the project's shared data directory
#       `../shared/data/froudist-walsh2021-40areas`), check every file against the sha256
#       below, install them as DIR/froudist-walsh2021-40areas/ (default DIR: out/data/).
#   scripts/fetch_froudist_walsh2021.sh --from-mat SRC [DIR]
#       the same from the four MATLAB files alone (SRC: the `anatomical_data/` folder of a
#       clone of seanfw/dopamine-dist-wm): checks them, derives the CSV tables with
#       scripts/froudist_walsh2021_csv.py (python3, standard library) and checks those.
#   scripts/fetch_froudist_walsh2021.sh --source [DIR]
#       download seanfw/dopamine-dist-wm at the pinned commit and do --from-mat on its
#       anatomical_data/.
# Nothing is installed unless every file checks.
# Then:  export CORTEXSIM_DATA=<DIR as an absolute path>   (the script prints the line)
#
# Licence of the data: the authors' repository is GPL-3.0 (Zenodo 10.5281/zenodo.5507279);
# the same 40-area connectivity is CC-BY-NC-4.0 in seanfw/macaque_hierarchy. Cite
# Froudist-Walsh et al. 2021 (Neuron 109:3500) and Markov et al. 2014. Read it before use.
set -euo pipefail

COMMIT=93cadfdb6b502c74afda61371a93068c0b55dd67
SET=froudist-walsh2021-40areas
declare -A MAT=(
  [D1R_lyon_regions.mat]=814a3b8687f2def6b02791ccb806cd678bcdc11585abbfc8c3a69cb413dea70e
  [beta_bin_hierarchy_subgraph.mat]=7e83b1816e793e75e9a3d8c98b271af3c9f8ee738351a1a6fbd4e39c335424e0
  [persistent_areas_experimental.mat]=50db76de4068686d3c601fb3fc3b51af4ed60340d4d8a8ae2581e5afc7305632
  [spine_count_lyon_regions.mat]=a094c004038994d5f34d313cb91b11ad78417cf1cdd8334ad3b64e9e5be3fb76
)
declare -A CSV=(
  [areas_40.csv]=3a0d930ffca357ccb06722d3627ea2d3b99b588c3d7b8113c894400d46f74607
  [fln_40x40.csv]=0ba5e37c9798ba8739eaa6ae833d962ea7cd1bbc307eb76e6042782912d0b9ff
  [sln_40x40.csv]=340e4f7dee77a4c8000ad67e2afdc5cc821f02348563401c44fdc0f414750cf9
)
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,26p' "$0" >&2; exit 2; }
# check DIR NAME SHA: the file exists and has that sha256
check() {
  [ -f "$1/$2" ] || { echo "fetch: $1/$2 is missing" >&2; exit 1; }
  local got; got=$(sha256sum "$1/$2" | cut -d' ' -f1)
  [ "$got" = "$3" ] || { echo "fetch: $1/$2: sha256 $got, expected $3" >&2; exit 1; }
}
# install TMP DIR: move the checked folder TMP into place as DIR/$SET
install_set() {
  mkdir -p "$2"
  rm -rf "${2:?}/$SET"
  mv "$1" "$2/$SET"
  echo "fetch: $SET installed in $2/$SET (GPL-3.0 / CC-BY-NC)" >&2
  echo "export CORTEXSIM_DATA=$(cd "$2" && pwd)"
}
tmpdir() { mkdir -p "$1"; mktemp -d "$1/.fw2021.XXXXXX"; }
# from_mat SRC DIR: check the MATLAB files, derive and check the tables, install
from_mat() {
  local src=$1 dir=$2 tmp f
  [ -d "$src" ] || { echo "fetch: no directory $src" >&2; exit 1; }
  for f in "${!MAT[@]}"; do check "$src" "$f" "${MAT[$f]}"; done
  tmp=$(tmpdir "$dir")
  for f in "${!MAT[@]}"; do cp "$src/$f" "$tmp/"; done
  python3 "$here/froudist_walsh2021_csv.py" "$tmp" "$tmp"
  for f in "${!CSV[@]}"; do check "$tmp" "$f" "${CSV[$f]}"; done
  install_set "$tmp" "$dir"
}

[ $# -ge 1 ] || usage
mode=$1; shift
case "$mode" in
  --from-dir)
    [ $# -ge 1 ] || usage
    src=$1; dir=${2:-out/data}
    [ -d "$src" ] || { echo "fetch: no directory $src" >&2; exit 1; }
    for f in "${!MAT[@]}"; do check "$src" "$f" "${MAT[$f]}"; done
    for f in "${!CSV[@]}"; do check "$src" "$f" "${CSV[$f]}"; done
    tmp=$(tmpdir "$dir")
    for f in "${!MAT[@]}" "${!CSV[@]}"; do cp "$src/$f" "$tmp/"; done
    [ -f "$src/PROVENANCE.md" ] && cp "$src/PROVENANCE.md" "$tmp/"
    install_set "$tmp" "$dir"
    ;;
  --from-mat)
    [ $# -ge 1 ] || usage
    from_mat "$1" "${2:-out/data}"
    ;;
  --source)
    dir=${1:-out/data}
    dl=$(tmpdir "$dir")
    trap 'rm -rf "$dl"' EXIT
    url="https://github.com/seanfw/dopamine-dist-wm/archive/${COMMIT}.tar.gz"
    if command -v curl >/dev/null; then curl -fsSL "$url" | tar -xz -C "$dl" --strip-components=1
    else wget -qO- "$url" | tar -xz -C "$dl" --strip-components=1; fi
    echo "fetch: seanfw/dopamine-dist-wm @ $COMMIT downloaded" >&2
    from_mat "$dl/anatomical_data" "$dir"
    ;;
  *) usage ;;
esac
