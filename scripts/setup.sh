#!/bin/sh
# Installs everything the build and the tests use from Debian's packages, then ONNX Runtime
# (for the plugin execution provider and its test) from npm into BUILD_DIR/_deps/ort, then
# builds. Run as root from the repository root on Debian 12: sh scripts/setup.sh [BUILD_DIR]
set -eu

build_dir=${1:-build}

packages="build-essential cmake pkg-config
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  mesa-vulkan-drivers libvulkan-dev glslc vulkan-validationlayers
  libpng-dev libjpeg-dev python3
  uthash-dev clang-14 libclang-rt-14-dev"
# npm fetches ONNX Runtime below; a machine that already has one (Node.js from elsewhere,
# whose nodejs package conflicts with Debian's npm) keeps it.
command -v npm >/dev/null 2>&1 || packages="$packages npm"

if [ "$(id -u)" = 0 ]; then
    apt-get update
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y $packages
else
    echo "setup.sh: not root, skipping apt-get; needed packages: $packages" >&2
fi

# ONNX Runtime 1.29's C headers and Linux library, as the com.github.asus4.onnxruntime npm
# package ships them; build-local, never committed.
ort_version=0.4.9
ort_dir="$build_dir/_deps/ort/node_modules/com.github.asus4.onnxruntime"
if ! grep -qs "\"version\": \"$ort_version\"" "$ort_dir/package.json"; then
    mkdir -p "$build_dir/_deps/ort"
    npm install --no-audit --no-fund --no-save --prefix "$build_dir/_deps/ort" \
        "com.github.asus4.onnxruntime@$ort_version"
fi

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLENET_ONNX_WERROR=ON \
    "-DLENET_ONNX_ORT_DIR=$(cd "$ort_dir" && pwd)"
cmake --build "$build_dir" -j "$(nproc)"
