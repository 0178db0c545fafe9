#!/usr/bin/env bash
# The psychometric and chronometric curves of the Wang (2002) spiking network
# (networks/wang2002.toml) — a slow validation, not run in CI (a 2.5 s trial takes ~6-10 s
# of one core). One `cortexsim trials` run per coherence (a trial's seed depends on the
# base seed, c' and its index only, so together they are the trials of one run over all
# coherences, and a run stopped part-way keeps the finished coherences); the run stops at
# the end of the stimulus (t = 2.5 s): decisions are threshold crossings during it. Then
# scripts/weibull_ci.py: accuracy ± binomial SE, the Weibull fit with bootstrap spread.
#
# usage: scripts/wang2002_psychometric.sh [N_TRIALS=20] [THREADS=2] [OUTDIR=wang2002_trials]
# env:   CORTEXSIM (default target/release/cortexsim), COHERENCES (default
#        "0 51.2 12.8 6.4 25.6 3.2", the most informative first), SEED (default 1)
set -euo pipefail
N=${1:-20}
THREADS=${2:-2}
OUT=${3:-wang2002_trials}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CORTEXSIM:-$ROOT/target/release/cortexsim}
SEED=${SEED:-1}
mkdir -p "$OUT"
files=()
for c in ${COHERENCES:-0 51.2 12.8 6.4 25.6 3.2}; do
  f="$OUT/wang2002_c${c}_n${N}_s${SEED}.json"
  if [ ! -s "$f" ]; then
    echo "c' = $c %: $N trials ($(date +%H:%M:%S))" >&2
    "$BIN" trials "$ROOT/networks/wang2002.toml" --coherence "$c" --trials "$N" \
      --seed "$SEED" --t-stop 2500 --threads "$THREADS" --json > "$f.part"
    mv "$f.part" "$f"
  fi
  files+=("$f")
done
python3 "$ROOT/scripts/weibull_ci.py" "${files[@]}" --published 9.2
