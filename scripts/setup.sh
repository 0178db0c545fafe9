#!/usr/bin/env bash
# Installs what cortexsim needs on a fresh Debian/Ubuntu machine: the system HDF5
# library (SONATA output) and pkg-config. Rust (cargo) must already be installed.
# Idempotent: does nothing when the packages are present.
set -euo pipefail
need=()
for p in libhdf5-dev pkg-config; do
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
