#!/usr/bin/env bash
# The MPI check of CI (issue 13): installs OpenMPI (scripts/setup.sh --mpi), builds with
# `--features mpi` and runs tests/cli/mpi.rs — `mpirun -np R cortexsim run … --threads T`
# for R = 1, 2, 3 and T = 1, 2 writes the same SONATA file (spikes, rates, potentials)
# as one process, on Brunel, the microcircuit at scale 0.02 and a network with
# per-synapse delays; a refusal is printed once. MPIRUN=mpirun.mpich selects MPICH's
# launcher (build with MPICC=mpicc.mpich then).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --mpi
start=$(date +%s)
cargo test --release --features mpi --test cli mpi:: -- --test-threads 1
echo "test_mpi: $(( $(date +%s) - start )) s (build included)" >&2
