/* Latency statistics of a benchmark's timed runs (lenet-onnx-bench). */
#ifndef LENET_ONNX_TOOLS_BENCH_STATS_H
#define LENET_ONNX_TOOLS_BENCH_STATS_H

#include <stddef.h>

typedef struct bench_stats {
    size_t runs;
    double duration_s; /* the timed runs' total */
    double min_ms, mean_ms, median_ms, p90_ms, p95_ms, p99_ms, max_ms;
} bench_stats;

/* Sorts times_ms (n > 0) and fills *out. Percentiles are nearest-rank: the smallest time that
 * at least p% of the runs do not exceed (onnxruntime_perf_test's convention); the median of an
 * even count is the mean of the middle two. */
void bench_stats_compute(double *times_ms, size_t n, bench_stats *out);

/* The nearest-rank percentile p (0 < p <= 100) of n sorted times. */
double bench_stats_percentile(const double *sorted_ms, size_t n, double p);

#endif
