/* A team of threads for one parallel loop at a time. The loop in flight is published as a
 * generation, a seqlock: odd while the caller writes the loop's fields, even once they are
 * whole, so a worker takes a loop's fields only between two equal even reads of it. Units
 * are claimed from one 64-bit ticket (generation in the high half, next chunk in the low
 * half) by compare-and-swap, so a worker that wakes late can never claim a unit of a newer
 * loop with the older loop's function. Workers spin for LO_CPU_SPIN_NS after
 * each loop (an inference is a few loops microseconds apart; a futex wake-up costs more than
 * a LeNet layer at batch 1), then sleep on a condition variable.
 */
#define _POSIX_C_SOURCE 200809L
#include "cpu_threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define LO_CPU_SPIN_NS  200000 /* 200 µs */
#define LO_CPU_MAX_TEAM 256

struct lo_cpu_threads {
    int count; /* the caller and the workers started */
    pthread_t *workers;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_int busy;        /* a loop is in flight: other callers run alone */
    atomic_uint generation; /* the loop in flight */
    _Atomic(lo_cpu_unit_fn) fn;
    _Atomic(void *) task;
    atomic_int units;
    atomic_int grain; /* units per claim */
    /* Claimed and counted by every thread: each on a cache line of its own. */
    char pad_before_ticket[64];
    atomic_uint_least64_t ticket; /* generation << 32 | next chunk */
    char pad_before_done[64];
    atomic_int done; /* units finished */
    char pad_after_done[64];
    atomic_int sleeping;
    atomic_int stop;
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Claims and runs chunks of loop `generation` until none are left or a newer loop began. */
static void work_on(lo_cpu_threads *t, unsigned generation, lo_cpu_unit_fn fn, void *task,
                    int units, int grain)
{
    const int64_t chunks = ((int64_t)units + grain - 1) / grain;
    uint64_t ticket = atomic_load(&t->ticket);
    for (;;) {
        if ((unsigned)(ticket >> 32) != generation || (int64_t)(uint32_t)ticket >= chunks) return;
        if (!atomic_compare_exchange_weak(&t->ticket, &ticket, ticket + 1)) continue;
        const int64_t first = (int64_t)(uint32_t)ticket * grain;
        const int64_t end = first + grain < units ? first + grain : units;
        for (int64_t u = first; u < end; u++)
            fn(task, (int)u);
        atomic_fetch_add(&t->done, (int)(end - first));
        ticket = atomic_load(&t->ticket);
    }
}

/* Waits for a generation other than `seen`: spins, then sleeps. False when told to stop. */
static bool wait_for_loop(lo_cpu_threads *t, unsigned seen)
{
    const uint64_t spin_until = now_ns() + LO_CPU_SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (atomic_load(&t->generation) != seen || atomic_load(&t->stop)) break;
        cpu_relax();
        if ((i & 255u) == 0 && now_ns() > spin_until) {
            pthread_mutex_lock(&t->mutex);
            atomic_fetch_add(&t->sleeping, 1);
            while (atomic_load(&t->generation) == seen && !atomic_load(&t->stop))
                pthread_cond_wait(&t->wake, &t->mutex);
            atomic_fetch_sub(&t->sleeping, 1);
            pthread_mutex_unlock(&t->mutex);
            break;
        }
    }
    return !atomic_load(&t->stop);
}

static void *worker_main(void *arg)
{
    lo_cpu_threads *t = arg;
    unsigned seen = atomic_load(&t->generation);
    while (wait_for_loop(t, seen)) {
        /* The loop's fields are read between two reads of its generation (a seqlock): equal
         * even reads mean they belong to that loop, and the ticket's generation keeps any
         * claim from landing in a later one. An odd generation is a loop being written: look
         * again (`seen` is unchanged, so the wait returns at once). Without the odd phase a
         * worker could pair the next loop's fields with this loop's generation and ticket,
         * and run units of it twice while its caller counted them done (a MaxPool's second
         * run gave other bits, a MatMul read its input unwritten, 1 run in 40 of
         * test_kernels cpu). */
        const unsigned generation = atomic_load(&t->generation);
        if (generation & 1u) {
            cpu_relax();
            continue;
        }
        const lo_cpu_unit_fn fn = atomic_load(&t->fn);
        void *task = atomic_load(&t->task);
        const int units = atomic_load(&t->units), grain = atomic_load(&t->grain);
        if (atomic_load(&t->generation) == generation && fn)
            work_on(t, generation, fn, task, units, grain);
        seen = generation;
    }
    return NULL;
}

int lo_cpu_threads_default(void)
{
    const char *env = getenv("LENET_ONNX_CPU_THREADS");
    if (env && *env) {
        char *end = NULL;
        const long n = strtol(env, &end, 10);
        if (end && *end == '\0' && n >= 1 && n <= LO_CPU_MAX_TEAM) return (int)n;
    }
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online < 1 ? 1 : online > LO_CPU_MAX_TEAM ? LO_CPU_MAX_TEAM : (int)online;
}

lo_status lo_cpu_threads_create(int count, lo_cpu_threads **out, lo_error *err)
{
    *out = NULL;
    lo_cpu_threads *t = lo_calloc(1, sizeof *t);
    if (!t) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory creating the CPU thread team");
    if (count > LO_CPU_MAX_TEAM) count = LO_CPU_MAX_TEAM;
    t->count = 1;
    if (pthread_mutex_init(&t->mutex, NULL) != 0) {
        lo_free(t);
        return lo_fail(err, LO_ERR_NO_MEMORY, "cannot create the CPU thread team's mutex");
    }
    if (pthread_cond_init(&t->wake, NULL) != 0) {
        pthread_mutex_destroy(&t->mutex);
        lo_free(t);
        return lo_fail(err, LO_ERR_NO_MEMORY, "cannot create the CPU thread team's condition");
    }
    if (count > 1) t->workers = lo_calloc((size_t)count - 1, sizeof *t->workers);
    for (int i = 0; t->workers && i < count - 1; i++) {
        if (pthread_create(&t->workers[i], NULL, worker_main, t) != 0) break; /* fewer, then */
        t->count++;
    }
    *out = t;
    return LO_OK;
}

void lo_cpu_threads_destroy(lo_cpu_threads *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->mutex);
    atomic_store(&t->stop, 1);
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->mutex);
    for (int i = 0; i < t->count - 1; i++)
        pthread_join(t->workers[i], NULL);
    lo_free(t->workers);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mutex);
    lo_free(t);
}

int lo_cpu_threads_count(const lo_cpu_threads *t)
{
    return t ? t->count : 1;
}

void lo_cpu_threads_run(lo_cpu_threads *t, lo_cpu_unit_fn fn, void *task, int units)
{
    int expected = 0;
    if (!t || t->count <= 1 || units <= 1 ||
        !atomic_compare_exchange_strong(&t->busy, &expected, 1)) {
        for (int u = 0; u < units; u++)
            fn(task, u);
        return;
    }
    const unsigned generation = atomic_load(&t->generation) + 2;
    atomic_store(&t->generation, generation - 1); /* odd: the fields below are being written */
    atomic_store(&t->fn, fn);
    atomic_store(&t->task, task);
    /* About 16 chunks per thread: few claims, and the last chunk finishing alone costs little. */
    const int per_claim = units / (t->count * 16);
    const int grain = per_claim > 1 ? per_claim : 1;
    atomic_store(&t->units, units);
    atomic_store(&t->grain, grain);
    atomic_store(&t->done, 0);
    atomic_store(&t->ticket, (uint64_t)generation << 32);
    atomic_store(&t->generation, generation);
    if (atomic_load(&t->sleeping) > 0) {
        pthread_mutex_lock(&t->mutex);
        pthread_cond_broadcast(&t->wake);
        pthread_mutex_unlock(&t->mutex);
    }
    work_on(t, generation, fn, task, units, grain);
    while (atomic_load(&t->done) < units)
        cpu_relax();
    atomic_store(&t->busy, 0);
}
