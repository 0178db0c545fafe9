#!/usr/bin/env bash
# Multicore scaling runs for a machine with many cores (issue 3 targets: parallel
# efficiency 1 -> 16 threads at N = 50,000, K = 5,000; full microcircuit real-time factor).
#
# Build here (HDF5 linked statically so the binary runs on a machine without libhdf5):
#   python3 -m venv /tmp/cmakevenv && /tmp/cmakevenv/bin/pip install cmake   # CMake >= 3.26
#   CMAKE=/tmp/cmakevenv/bin/cmake cargo build --release --features hdf5-static
#   mkdir -p carry && cp target/release/cortexsim carry/
# Then on the many-core machine, from the repository root:
#   OUT=/some/dir scripts/device_scaling.sh carry/cortexsim
# Results (JSON + logs) land in $OUT. Partition size 1600 gives Brunel-50k 32 partitions,
# enough for 16 threads; results are identical for any partition size. Measured on 2 cores:
# every extra partition costs delivery time (each partition visits its row of every spike:
# Brunel-12.5k on 2 threads takes 0.63 s with 4 partitions, 1.05 s with 17, 1.4 s with 32),
# so use about 2 partitions per thread, not more.
set -euo pipefail
BIN=${1:-target/release/cortexsim}
OUT=${OUT:-out/scaling}
mkdir -p "$OUT"
nproc > "$OUT/nproc.txt"
THREADS=${THREADS:-1,2,4,8,16}
N50=(--set populations.E.size=40000 --set populations.I.size=10000
     --set projections.0.indegree=4000 --set projections.1.indegree=4000
     --set projections.2.indegree=1000 --set projections.3.indegree=1000
     --set simulation.partition_size=1600)
"$BIN" bench networks/brunel2000.toml "${N50[@]}" --threads "$THREADS" --seeds 2 --t-sim 1000 --warmup 100 --json \
  > "$OUT/brunel_50k_scaling.json" 2> "$OUT/brunel_50k_scaling.log"
"$BIN" bench networks/brunel2000.toml --set simulation.partition_size=800 --threads "$THREADS" --seeds 2 --t-sim 1000 --warmup 100 --json \
  > "$OUT/brunel_12k_scaling.json" 2> "$OUT/brunel_12k_scaling.log"
"$BIN" run networks/potjans_diesmann2014.toml --set simulation.partition_size=2048 --no-output --json --warmup 100 --t-stop 1100 \
  > "$OUT/pd14_full.json" 2> "$OUT/pd14_full.log"
echo "done: $OUT"
