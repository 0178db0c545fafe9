#!/usr/bin/env bash
# Multicore scaling runs for a machine with many cores (issue 3 targets: parallel
# efficiency 1 -> 16 threads at N = 50,000, K = 5,000; full microcircuit real-time factor <= 1).
#
# Build here (HDF5 linked statically so the binary runs on a machine without libhdf5):
#   python3 -m venv /tmp/cmakevenv && /tmp/cmakevenv/bin/pip install cmake   # CMake >= 3.26
#   CMAKE=/tmp/cmakevenv/bin/cmake cargo build --release --features hdf5-static
#   mkdir -p carry && cp target/release/cortexsim carry/ && strip carry/cortexsim
# Then on the many-core machine, from the repository root (about 4 minutes with 16 cores):
#   OUT=/some/dir scripts/device_scaling.sh carry/cortexsim
# Results (JSON + logs) land in $OUT.
#
# The default partition layout is used (engine::layout: ceil(N/2048) partitions rounded up
# to a multiple of 16 -> Brunel-50k 32 partitions, the microcircuit 48); one extra run per
# network at the largest thread count with more, smaller partitions shows whether load
# balance or per-partition delivery cost dominates there. Results are identical for any
# thread count and any layout (tests/engine/invariance.rs); only the speed changes.
set -euo pipefail
BIN=${1:-target/release/cortexsim}
OUT=${OUT:-out/scaling}
mkdir -p "$OUT"
{ nproc; lscpu 2>/dev/null | grep -E "Model name|Socket|NUMA node\(s\)|L2|L3" || true; } > "$OUT/machine.txt"
THREADS=${THREADS:-1,2,4,8,16}
MAXT=${THREADS##*,}
N50=(--set populations.E.size=40000 --set populations.I.size=10000
     --set projections.0.indegree=4000 --set projections.1.indegree=4000
     --set projections.2.indegree=1000 --set projections.3.indegree=1000)
# Brunel N = 50,000, K = 5,000: parallel efficiency 1 -> 16 threads.
"$BIN" bench networks/brunel2000.toml "${N50[@]}" --threads "$THREADS" --seeds 2 --t-sim 1000 --warmup 100 --json \
  > "$OUT/brunel_50k_scaling.json" 2> "$OUT/brunel_50k_scaling.log"
"$BIN" bench networks/brunel2000.toml "${N50[@]}" --set simulation.partition_size=782 --threads "$MAXT" --seeds 2 \
  --t-sim 1000 --warmup 100 --json > "$OUT/brunel_50k_64parts.json" 2> "$OUT/brunel_50k_64parts.log"
# Brunel N = 12,500 (the default network).
"$BIN" bench networks/brunel2000.toml --threads "$THREADS" --seeds 2 --t-sim 1000 --warmup 100 --json \
  > "$OUT/brunel_12k_scaling.json" 2> "$OUT/brunel_12k_scaling.log"
# Full microcircuit: real-time factor per thread count (1 s after a 100 ms warm-up).
IFS=, read -ra TS <<< "$THREADS"
for t in "${TS[@]}"; do
  "$BIN" run networks/potjans_diesmann2014.toml --threads "$t" --no-output --json --warmup 100 --t-stop 1100 \
    > "$OUT/pd14_full_${t}t.json" 2> "$OUT/pd14_full_${t}t.log"
done
"$BIN" run networks/potjans_diesmann2014.toml --threads "$MAXT" --set simulation.partition_size=800 --no-output --json \
  --warmup 100 --t-stop 1100 > "$OUT/pd14_full_${MAXT}t_ps800.json" 2> "$OUT/pd14_full_${MAXT}t_ps800.log"
echo "done: $OUT"
