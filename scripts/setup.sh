#!/bin/sh
# Installs everything the build and the tests use from Debian's packages, then builds.
# Run as root from the repository root on Debian 12: sh scripts/setup.sh [BUILD_DIR]
set -eu

build_dir=${1:-build}

packages="build-essential cmake pkg-config
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  libpng-dev python3"

if [ "$(id -u)" = 0 ]; then
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $packages
else
    echo "setup.sh: not root, skipping apt-get; needed packages: $packages" >&2
fi

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLENET_ONNX_WERROR=ON
cmake --build "$build_dir" -j "$(nproc)"
