#!/usr/bin/env bash
# Installs what cortexsim needs on a fresh Debian/Ubuntu machine: the system HDF5
# library (SONATA output), pkg-config, and a python3 interpreter (the workspace builds the
# Python binding crate, python/, whose PyO3 build script looks for one). Rust (cargo)
# must already be installed.
#   --python  also venv (for the Python package, python/)
#   --mpi     (or CORTEXSIM_MPI=1) also OpenMPI and libclang (bindgen), for
#             `cargo build --release --features mpi`; the default build needs no MPI.
# Idempotent: does nothing when the packages are present.
set -euo pipefail
pkgs=(libhdf5-dev pkg-config)
command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
mpi="${CORTEXSIM_MPI:-0}"
python=0
for a in "$@"; do
  case "$a" in
    --mpi) mpi=1 ;;
    --python) python=1 ;;
    *) echo "setup: unknown argument $a (known: --mpi, --python)" >&2; exit 2 ;;
  esac
done
[ "$mpi" = 1 ] && pkgs+=(libopenmpi-dev openmpi-bin libclang-dev)
# Debian's python3 has venv in a separate package; another python3 may have it built in.
if [ "$python" = 1 ]; then
  python3 -c "import ensurepip, venv" >/dev/null 2>&1 || pkgs+=(python3-venv)
fi
need=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from rustup.rs" >&2; exit 1; }
