#!/usr/bin/env bash
# Installs what cortexsim needs on a fresh Debian/Ubuntu machine: the system HDF5
# library (SONATA output), pkg-config, and a python3 interpreter (the workspace builds the
# Python binding crate, python/, whose PyO3 build script looks for one). Rust (cargo)
# must already be installed. `--python` also installs venv (for the Python package).
# Idempotent: does nothing when the packages are present.
set -euo pipefail
pkgs=(libhdf5-dev pkg-config)
command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
if [ "${1:-}" = "--python" ]; then
  dpkg -s python3 >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
  # Debian's python3 has venv in a separate package; another python3 may have it built in.
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
