#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that beamflow's build, tests and benchmarks need.
# Idempotent: packages already present are left alone. Runs as root, or through sudo.
set -euo pipefail

packages=(
    # build
    build-essential cmake pkg-config clang
    # libraries
    libfftw3-dev libhdf5-dev liblz4-dev libjansson-dev libpng-dev libtiff-dev libcairo2-dev
    libopenmpi-dev openmpi-bin
    # tests
    libcmocka-dev python3 python3-numpy python3-h5py python3-pyfai python3-hdf5plugin
    hdf5-filter-plugin bitshuffle
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#packages[@]} packages present"; exit 0; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
