/* The machine's fp32 peak for lenet-onnx-bench's "% of peak": a short multiply-add loop on
 * every core, with the widest vector FMA the CPU has (chosen at run time, so the binary runs on
 * any x86-64). It is the CPU's peak: for a GPU, give its datasheet figure with --peak. */
#ifndef LENET_ONNX_TOOLS_BENCH_PEAK_H
#define LENET_ONNX_TOOLS_BENCH_PEAK_H

typedef struct bench_peak {
    double gflops;   /* fp32 GFLOP/s, a multiply-add counted as 2 */
    int threads;     /* one per online CPU */
    const char *isa; /* "avx512f", "avx2+fma", "sse2" or "scalar" */
} bench_peak;

/* Runs the loop on every online CPU for about `seconds` (0.2 is plenty) and sums the CPUs' best
 * rates over short slices; 0 on success. */
int bench_peak_measure(double seconds, bench_peak *out);

#endif
