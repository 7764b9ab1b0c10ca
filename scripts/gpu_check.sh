#!/bin/sh
# The checks that need a real GPU, in one run (CI has none): for each GPU backend of a build,
# the kernel tests against the reference backend, the bundled model against the reference
# backend, and the benchmark with its per-step profile; OpenCL's whole-plan kernel forced
# against its launches. Every log goes to OUT_DIR.
#
#   scripts/gpu_check.sh [BUILD_DIR [OUT_DIR [BACKEND ...]]]
#
# test_kernels opens each backend's first device: run it where the GPU is that device.
# BUILD_DIR needs the targets lenet-onnx, lenet-onnx-run, lenet-onnx-bench and test_kernels.
# The exit status is the number of failed checks.
set -u
build=${1:-build}
out=${2:-.}
[ $# -gt 2 ] && shift 2 && backends=$* || backends="opencl vulkan"
mkdir -p "$out"
failed=0

check() { # NAME LIMIT_SECONDS COMMAND...: runs it with a time limit, logs, counts failures
    name=$1 limit=$2
    shift 2
    start=$(date +%s)
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    rc=$?
    printf '%-24s rc=%-3d %4d s\n' "$name" "$rc" "$(($(date +%s) - start))"
    [ "$rc" -eq 0 ] || { failed=$((failed + 1)); tail -n 15 "$out/$name.log"; }
}

"$build/tools/lenet-onnx-run" --device list | tee "$out/devices.log"
for backend in $backends; do
    check "kernels_$backend" 300 "$build/tests/test_kernels" "$backend"
    check "classify_$backend" 60 "$build/tools/lenet-onnx-run" --backend "$backend" --device gpu \
        models/lenet.onnx samples/
    check "compare_ref_$backend" 60 "$build/tools/lenet-onnx-run" --backend "$backend" \
        --device gpu --compare-backend ref models/lenet.onnx samples/
    # With LENET_ONNX_ORT_LIB set, ONNX Runtime's CPU provider is timed beside it; with
    # GPU_PEAK_GFLOPS, the card's fp32 peak gives each step's fraction of it.
    check "bench_$backend" 180 "$build/tools/lenet-onnx-bench" --backend "$backend" --device gpu \
        ${LENET_ONNX_ORT_LIB:+--compare-ort} ${GPU_PEAK_GFLOPS:+--peak "$GPU_PEAK_GFLOPS"} \
        --batch 1,64,256,1024,4096 --seconds 1 --profile models/lenet.onnx
done
# OpenCL's whole-plan kernel (cl_network.c), which GPUs take only when forced until measured:
# its kernel tests, and its latency beside the launches' at small batches.
case " $backends " in *" opencl "*)
    check "kernels_opencl_network" 300 env LENET_ONNX_CL_NETWORK=1 "$build/tests/test_kernels" \
        opencl 3131 0.25
    for network in 0 1; do
        check "bench_opencl_network_$network" 60 env LENET_ONNX_CL_NETWORK=$network \
            "$build/tools/lenet-onnx-bench" --backend opencl --device gpu --batch 1,2,4,8 \
            --seconds 1 models/lenet.onnx
    done
    ;;
esac
exit "$failed"
