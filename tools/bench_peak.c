/* An FMA loop on every core (see bench_peak.h). Each thread runs independent accumulators, more
 * than an FMA's latency times the FMA ports, so the units never wait on a result; the sum is
 * returned so that no compiler drops the work. The ISA-specific loops are compiled with target
 * attributes and chosen by __builtin_cpu_supports: no -march flag for the whole program. They
 * call the FMA intrinsics rather than write a * b + c on vector types: under -std=c11 GCC does
 * not contract that into an FMA, and the loop would measure half the peak. */
#include "bench_peak.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LO_PEAK_X86 1
#endif

/* Multiply-adds per accumulator per chunk: a chunk is a few microseconds. */
#define CHUNK        2048
#define ACCUMULATORS 12
#define MULTIPLIER   0.9999999f
#define ADDEND       1e-7f

typedef double (*chunk_fn)(uint64_t chunks, uint64_t *flops);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Twelve named accumulators (an array would live in memory at -O2 and measure store
 * forwarding): FMA(acc, m, a) on each, per step of the inner loop; then their sum. */
#define STEP12(FMA)                                                                                \
    do {                                                                                           \
        a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c);            \
        a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c);            \
        a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c);        \
    } while (0)
#define SUM12(ADD)                                                                                 \
    ADD(ADD(ADD(a0, a1), ADD(a2, a3)),                                                             \
        ADD(ADD(ADD(a4, a5), ADD(a6, a7)), ADD(ADD(a8, a9), ADD(a10, a11))))
#define ACCUMULATORS 12

#ifdef LO_PEAK_X86
__attribute__((target("avx512f"))) static double loop_avx512(uint64_t chunks, uint64_t *flops)
{
    const __m512 m = _mm512_set1_ps(MULTIPLIER), c = _mm512_set1_ps(ADDEND);
    __m512 a0 = _mm512_set1_ps(0.f), a1 = _mm512_set1_ps(1.f), a2 = _mm512_set1_ps(2.f),
           a3 = _mm512_set1_ps(3.f), a4 = _mm512_set1_ps(4.f), a5 = _mm512_set1_ps(5.f),
           a6 = _mm512_set1_ps(6.f), a7 = _mm512_set1_ps(7.f), a8 = _mm512_set1_ps(8.f),
           a9 = _mm512_set1_ps(9.f), a10 = _mm512_set1_ps(10.f), a11 = _mm512_set1_ps(11.f);
    for (uint64_t i = 0; i < chunks; i++)
        for (int k = 0; k < CHUNK; k++)
            STEP12(_mm512_fmadd_ps);
    *flops = chunks * CHUNK * ACCUMULATORS * 16u * 2u;
    return (double)_mm512_reduce_add_ps(SUM12(_mm512_add_ps));
}

__attribute__((target("avx2,fma"))) static double loop_avx2(uint64_t chunks, uint64_t *flops)
{
    const __m256 m = _mm256_set1_ps(MULTIPLIER), c = _mm256_set1_ps(ADDEND);
    __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f),
           a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f),
           a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f),
           a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
    for (uint64_t i = 0; i < chunks; i++)
        for (int k = 0; k < CHUNK; k++)
            STEP12(_mm256_fmadd_ps);
    float lanes[8];
    _mm256_storeu_ps(lanes, SUM12(_mm256_add_ps));
    *flops = chunks * CHUNK * ACCUMULATORS * 8u * 2u;
    return (double)(lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] +
                    lanes[7]);
}

/* x86-64 always has SSE2: a multiply and an add per lane, 2 FLOPs as an FMA's. */
static __m128 mul_add_sse2(__m128 x, __m128 m, __m128 c)
{
    return _mm_add_ps(_mm_mul_ps(x, m), c);
}

static double loop_sse2(uint64_t chunks, uint64_t *flops)
{
    const __m128 m = _mm_set1_ps(MULTIPLIER), c = _mm_set1_ps(ADDEND);
    __m128 a0 = _mm_set1_ps(0.f), a1 = _mm_set1_ps(1.f), a2 = _mm_set1_ps(2.f),
           a3 = _mm_set1_ps(3.f), a4 = _mm_set1_ps(4.f), a5 = _mm_set1_ps(5.f),
           a6 = _mm_set1_ps(6.f), a7 = _mm_set1_ps(7.f), a8 = _mm_set1_ps(8.f),
           a9 = _mm_set1_ps(9.f), a10 = _mm_set1_ps(10.f), a11 = _mm_set1_ps(11.f);
    for (uint64_t i = 0; i < chunks; i++)
        for (int k = 0; k < CHUNK; k++)
            STEP12(mul_add_sse2);
    float lanes[4];
    _mm_storeu_ps(lanes, SUM12(_mm_add_ps));
    *flops = chunks * CHUNK * ACCUMULATORS * 4u * 2u;
    return (double)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}
#else
static float mul_add_scalar(float x, float m, float c)
{
    return x * m + c;
}

static float add_scalar(float x, float y)
{
    return x + y;
}

/* Other CPUs: plain C, what the compiler makes of it. */
static double loop_scalar(uint64_t chunks, uint64_t *flops)
{
    const float m = MULTIPLIER, c = ADDEND;
    float a0 = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7, a8 = 8, a9 = 9, a10 = 10,
          a11 = 11;
    for (uint64_t i = 0; i < chunks; i++)
        for (int k = 0; k < CHUNK; k++)
            STEP12(mul_add_scalar);
    *flops = chunks * CHUNK * ACCUMULATORS * 2u;
    return (double)SUM12(add_scalar);
}
#endif

static chunk_fn pick_loop(const char **isa)
{
#ifdef LO_PEAK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        *isa = "avx512f";
        return loop_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *isa = "avx2+fma";
        return loop_avx2;
    }
    *isa = "sse2";
    return loop_sse2;
#else
    *isa = "scalar";
    return loop_scalar;
#endif
}

typedef struct worker {
    pthread_t thread;
    chunk_fn loop;
    double deadline;
    double best; /* FLOP/s of the fastest slice */
    double sink;
} worker;

/* Slices of a growing number of chunks (about a millisecond once grown), each timed: the
 * fastest is what the core does when nothing else runs on it, so another process taking the
 * core for a while (a shared machine) does not lower the figure. */
static void *work(void *arg)
{
    worker *w = arg;
    for (uint64_t chunks = 1; now_s() < w->deadline; chunks += chunks < 256) {
        uint64_t flops = 0;
        const double start = now_s();
        w->sink += w->loop(chunks, &flops);
        const double elapsed = now_s() - start;
        if (elapsed > 0.0 && (double)flops / elapsed > w->best) w->best = (double)flops / elapsed;
    }
    return NULL;
}

int bench_peak_measure(double seconds, bench_peak *out)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cpus > 0 && cpus <= 1024 ? (int)cpus : 1;
    worker *workers = calloc((size_t)threads, sizeof *workers);
    if (!workers) return 1;
    chunk_fn loop = pick_loop(&out->isa);
    const double start = now_s();
    int started = 0;
    for (int i = 0; i < threads; i++) {
        workers[i].loop = loop;
        workers[i].deadline = start + seconds;
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) break;
        started++;
    }
    double total = 0.0;
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].best;
    }
    free(workers);
    if (started == 0 || !(total > 0.0)) return 1;
    out->gflops = total * 1e-9;
    out->threads = started;
    return 0;
}
