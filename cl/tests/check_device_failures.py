#!/usr/bin/env python3
"""Device failures through a stub OpenCL driver (cl/tests/stub_icd): each injected failure makes
lenet-onnx-run --backend opencl exit 1 with one stderr line naming the OpenCL call and error,
and no crash.

usage: check_device_failures.py LENET_ONNX_RUN STUB_ICD_LIBRARY
"""
import os
import subprocess
import sys
import tempfile

# The OpenCL backend by name: automatic choice would fall back to another backend.
ARGS = ["--backend", "opencl", "--mean", "0.5", "--std", "0.5", "models/lenet.onnx", "samples/00000-ankle-boot.png"]

# (failure, succeed this many times first, expected exit, fragments the message must hold)
CASES = [
    # No platform is no OpenCL device (not an error of the backend): the core says so.
    ("noplatform", 0, 1, ["opencl"]),
    ("buffer", 0, 1, ["clCreateBuffer", "CL_MEM_OBJECT_ALLOCATION_FAILURE"]),
    ("buffer", 1, 1, ["clCreateBuffer", "CL_MEM_OBJECT_ALLOCATION_FAILURE"]),
    ("build", 0, 1, ["/conv1/Conv", "failed to build", "stub: injected build failure"]),
    ("kernel", 0, 1, ["clCreateKernel", "CL_OUT_OF_HOST_MEMORY"]),
    ("enqueue", 0, 1, ["clEnqueueNDRangeKernel", "CL_OUT_OF_RESOURCES"]),
    # Past the warm-up run of session creation (3 launches at batch 1: two Conv+MaxPool and
    # one Gemm chain): the failure hits the real inference's last launch.
    ("enqueue", 5, 1, ["clEnqueueNDRangeKernel", "CL_OUT_OF_RESOURCES"]),
    ("finish", 1, 1, ["clFinish", "CL_OUT_OF_RESOURCES"]),
]


def main():
    exe, stub = sys.argv[1], os.path.abspath(sys.argv[2])
    failures = 0
    with tempfile.TemporaryDirectory() as vendors:
        with open(os.path.join(vendors, "stub.icd"), "w") as f:
            f.write(stub + "\n")
        base = dict(os.environ, OCL_ICD_VENDORS=vendors, LENET_ONNX_NO_BINARY_CACHE="1")
        base.pop("OCL_ICD_FILENAMES", None)

        listing = subprocess.run([exe, "--backend", "opencl", "--device", "list"], env=base,
                                 capture_output=True)
        if listing.returncode != 0 or b"stub device" not in listing.stdout:
            print("FAIL: --device list does not show the stub device: %r" % listing.stdout)
            failures += 1
        clean = subprocess.run([exe] + ARGS, env=base, capture_output=True)
        if clean.returncode != 0:
            print("FAIL: without an injected failure the run exits %d: %s" %
                  (clean.returncode, clean.stderr.decode()))
            failures += 1

        for mode, after, code, fragments in CASES:
            env = dict(base, LO_STUB_FAIL=mode, LO_STUB_FAIL_AFTER=str(after))
            proc = subprocess.run([exe] + ARGS, env=env, capture_output=True)
            err = proc.stderr.decode("utf-8", "replace")
            lines = err.splitlines()
            what = "%s after %d" % (mode, after)
            if proc.returncode < 0:
                print("FAIL %s: killed by signal %d" % (what, -proc.returncode))
                failures += 1
            elif proc.returncode != code:
                print("FAIL %s: exit %d, expected %d: %s" % (what, proc.returncode, code, err))
                failures += 1
            elif len(lines) != 1 or not all(f in err for f in fragments):
                print("FAIL %s: message %r lacks %r or is not one line" % (what, err, fragments))
                failures += 1
            else:
                print("ok %s: %s" % (what, lines[0]))
    print("%d passed, %d failed" % (len(CASES) + 2 - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
