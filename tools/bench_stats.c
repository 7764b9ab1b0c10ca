/* Nearest-rank percentiles over sorted run times. */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_stats_percentile(const double *sorted_ms, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return sorted_ms[rank ? (rank > n ? n : rank) - 1 : 0];
}

void bench_stats_compute(double *times_ms, size_t n, bench_stats *out)
{
    qsort(times_ms, n, sizeof *times_ms, compare_doubles);
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += times_ms[i];
    out->runs = n;
    out->duration_s = total / 1e3;
    out->min_ms = times_ms[0];
    out->max_ms = times_ms[n - 1];
    out->mean_ms = total / (double)n;
    out->median_ms = n % 2 ? times_ms[n / 2] : 0.5 * (times_ms[n / 2 - 1] + times_ms[n / 2]);
    out->p90_ms = bench_stats_percentile(times_ms, n, 90.0);
    out->p95_ms = bench_stats_percentile(times_ms, n, 95.0);
    out->p99_ms = bench_stats_percentile(times_ms, n, 99.0);
}
