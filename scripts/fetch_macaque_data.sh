#!/usr/bin/env bash
# Fetch the public 29-area macaque connectivity data (Markov et al. 2014) used by the
# Chaudhuri 2015 / Joglekar 2018 rate models and convert it to the CSV layout cortexsim
# reads (<DIR>/markov2014-29areas/{hierarchy_29,fln_29x29,sln_29x29,distance_mm_29x29}.csv).
#
# Usage:
#   scripts/fetch_macaque_data.sh [DIR]                 # download into DIR (default: out/data/;
#                                                       # the repository ships the CSVs in data/)
#   scripts/fetch_macaque_data.sh --from-dir SRC [DIR]  # no download: convert the .mat
#                                                       # files already in SRC
# Then:  export CORTEXSIM_DATA=<DIR as an absolute path>   (the script prints the line)
#
# Sources (pinned commits; sha256 of every file checked):
#   OpenSourceBrain/JoglekarEtAl18 @ f60cc517e7c03b69d613baf93f94fd893c367c31
#     Matlab/subgraphData.mat      flnMat, slnMat (29x29, [target, source]), hierVals, areaList
#     Matlab/subgraphWiring29.mat  wiring (29x29 distances, mm)
#     Matlab/hierValspython.mat    hierVals (identical to subgraphData.mat's)
#   xjwanglab/book (MIT) @ e477d70dc9a8b2591087d11f46dee6593c8414f1, optional cross-check:
#     "chapter09-connectome-based large-scale-cortex model/subgraph_data.pkl"
#     (fln_mat, sln_mat, hier_vals, areas; must equal the .mat values exactly)
# The measurements are published tract-tracing data: cite Markov et al. 2014, Cereb Cortex
# 24:17-36 and J Comp Neurol 522:225-259 (see the PROVENANCE.md the script writes).
#
# Needs: bash, curl or wget, sha256sum, python3 with numpy and scipy
#   (pip install numpy scipy). The optional cross-check also unpickles the .pkl with numpy.
#
# Not run in cortexsim's CI (it needs the network). The conversion step is what matters
# for correctness: `--from-dir` on the three original .mat files reproduces the CSVs
# byte for byte.
set -euo pipefail

OSB_COMMIT=f60cc517e7c03b69d613baf93f94fd893c367c31
BOOK_COMMIT=e477d70dc9a8b2591087d11f46dee6593c8414f1
OSB_RAW="https://raw.githubusercontent.com/OpenSourceBrain/JoglekarEtAl18/${OSB_COMMIT}/Matlab"
BOOK_RAW="https://raw.githubusercontent.com/xjwanglab/book/${BOOK_COMMIT}/chapter09-connectome-based%20large-scale-cortex%20model/subgraph_data.pkl"

declare -A SHA256=(
  [subgraphData.mat]=810e218b0c4b03a7cc82defb3adb010e57b4dd723792789849535f99135680e7
  [subgraphWiring29.mat]=410ffd6dbf31b03065bcce1a9210682aa8942700a495ab2cf6a78de9e9368995
  [hierValspython.mat]=60a6ed788e81eb48b72a9ad079382c861b96a13f5e4fc422a19b518969e88298
)

die() {
  echo "fetch_macaque_data: $*" >&2
  exit 1
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

SRC=""
DEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --from-dir)
      [ $# -ge 2 ] || die "--from-dir needs a directory"
      SRC="$2"
      shift 2
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      [ -z "$DEST" ] || die "only one destination directory, got '$DEST' and '$1'"
      DEST="$1"
      shift
      ;;
  esac
done
DEST="${DEST:-out/data}"

command -v python3 >/dev/null || die "python3 not found"
python3 -c 'import numpy, scipy.io' 2>/dev/null ||
  die "python3 needs numpy and scipy: pip install numpy scipy"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"

OUT="$DEST/markov2014-29areas"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
DEST_ABS="$(cd "$DEST" && pwd)"

download() { # url file
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -q -O "$2" "$1"
  else
    die "need curl or wget to download (or use --from-dir)"
  fi
}

RAW="$OUT/originals"
mkdir -p "$RAW"
for f in subgraphData.mat subgraphWiring29.mat hierValspython.mat; do
  if [ -n "$SRC" ]; then
    [ -f "$SRC/$f" ] || die "$SRC/$f not found"
    cp "$SRC/$f" "$RAW/$f"
  else
    echo "downloading $f ..." >&2
    download "$OSB_RAW/$f" "$RAW/$f" || die "download of $OSB_RAW/$f failed"
  fi
  got="$(sha256sum "$RAW/$f" | cut -d' ' -f1)"
  [ "$got" = "${SHA256[$f]}" ] ||
    die "$f: sha256 $got, expected ${SHA256[$f]} (not the pinned original)"
done

PKL=""
if [ -z "$SRC" ]; then
  echo "downloading subgraph_data.pkl (cross-check) ..." >&2
  if download "$BOOK_RAW" "$RAW/subgraph_data.pkl"; then
    PKL="$RAW/subgraph_data.pkl"
  else
    echo "warning: xjwanglab/book cross-check file not available; skipping the cross-check" >&2
    rm -f "$RAW/subgraph_data.pkl"
  fi
elif [ -f "$SRC/subgraph_data.pkl" ]; then
  cp "$SRC/subgraph_data.pkl" "$RAW/subgraph_data.pkl"
  PKL="$RAW/subgraph_data.pkl"
fi

python3 - "$RAW" "$OUT" "$PKL" <<'PY'
import sys
import numpy as np
import scipy.io as sio

raw, out, pkl = sys.argv[1], sys.argv[2], sys.argv[3]
d = sio.loadmat(f"{raw}/subgraphData.mat")
fln = np.asarray(d["flnMat"], dtype=float)
sln = np.asarray(d["slnMat"], dtype=float)
hier = np.asarray(d["hierVals"], dtype=float).ravel()
areas = [str(np.asarray(a).ravel()[0]) for a in np.asarray(d["areaList"]).ravel()]
wiring = np.asarray(sio.loadmat(f"{raw}/subgraphWiring29.mat")["wiring"], dtype=float)
hier2 = np.asarray(sio.loadmat(f"{raw}/hierValspython.mat")["hierVals"], dtype=float).ravel()

n = len(areas)
def check(cond, msg):
    if not cond:
        sys.exit(f"fetch_macaque_data: {msg}")
check(n == 29, f"{n} areas, expected 29")
for name, m in (("flnMat", fln), ("slnMat", sln), ("wiring", wiring)):
    check(m.shape == (n, n), f"{name} has shape {m.shape}, expected ({n}, {n})")
    check(np.all(np.isfinite(m)), f"{name} has non-finite entries")
check(np.array_equal(hier, hier2), "hierVals differ between subgraphData.mat and hierValspython.mat")
check(np.all(np.diag(fln) == 0), "flnMat diagonal is not zero")
check(areas[0] == "V1" and hier.min() == hier[0], "V1 is not first / lowest in the hierarchy")

if pkl:
    import pickle
    with open(pkl, "rb") as f:
        b = pickle.load(f, encoding="latin1")
    check(list(b["areas"]) == areas, "xjwanglab/book areas differ from the .mat area list")
    for key, m in (("fln_mat", fln), ("sln_mat", sln), ("hier_vals", hier)):
        diff = np.max(np.abs(np.asarray(b[key], dtype=float).reshape(m.shape) - m))
        check(diff == 0, f"xjwanglab/book {key} differs from the .mat (max abs diff {diff})")
    print("cross-check with xjwanglab/book: identical", file=sys.stderr)

r = repr  # shortest round-trip float repr, as in the shipped CSVs
hmax = hier.max()
with open(f"{out}/hierarchy_29.csv", "w") as f:
    f.write("# area order = row/col order of the 29x29 matrices; hier_raw from SLN-based GLM "
            "(Markov 2014 / Chaudhuri 2015); hier_norm = hier_raw / max (the h_i used by "
            "Chaudhuri 2015 and Joglekar 2018)\n")
    f.write("index,area,hier_raw,hier_norm\n")
    for i, a in enumerate(areas):
        f.write(f"{i},{a},{r(float(hier[i]))},{r(float(hier[i] / hmax))}\n")

def matrix(path, comment, m):
    with open(path, "w") as f:
        f.write(comment + "\n")
        f.write("target\\source," + ",".join(areas) + "\n")
        for i, a in enumerate(areas):
            f.write(a + "," + ",".join(r(float(v)) for v in m[i]) + "\n")

matrix(f"{out}/fln_29x29.csv",
       "# FLN[target_row, source_col]; row i = injected (target) area, column j = source area; "
       "diag = 0. Markov et al. 2014 (Cereb Cortex 24:17-36) via Chaudhuri et al. 2015.", fln)
matrix(f"{out}/sln_29x29.csv",
       "# SLN[target_row, source_col] (fraction of supragranular labelled neurons); 0 where no "
       "connection. Markov et al. 2014 (J Comp Neurol 522:225) via Chaudhuri et al. 2015.", sln)
matrix(f"{out}/distance_mm_29x29.csv",
       "# wiring distance in mm between areas [row, col] (slightly asymmetric as stored); "
       "Joglekar et al. 2018 used delay = distance / 3.5 m/s.", wiring)
print(f"wrote 4 CSV files for {n} areas to {out}", file=sys.stderr)
PY

cat >"$OUT/PROVENANCE.md" <<EOF
# markov2014-29areas — fetched by scripts/fetch_macaque_data.sh

Originals (in originals/, sha256-checked): OpenSourceBrain/JoglekarEtAl18 @ ${OSB_COMMIT},
Matlab/subgraphData.mat, Matlab/subgraphWiring29.mat, Matlab/hierValspython.mat
(original files of xjwanglab/JoglekarEtAl2018_Neuron; no licence file in that repository).
Cross-check: xjwanglab/book (MIT) @ ${BOOK_COMMIT}, chapter09 subgraph_data.pkl$([ -n "$PKL" ] && echo " (identical)" || echo " (not checked)").

CSV files: fln_29x29.csv, sln_29x29.csv (entry [i][j] = from column area j to row area i),
distance_mm_29x29.csv (mm), hierarchy_29.csv (hier_norm = hier_raw / max).
Data: Markov et al. 2014, Cereb Cortex 24:17-36 (FLN); Markov et al. 2014, J Comp Neurol
522:225-259 (SLN, hierarchy). Cite them when using the data.
EOF

echo "done. Use it with:"
echo "export CORTEXSIM_DATA=$DEST_ABS"
