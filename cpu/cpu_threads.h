/* The native CPU backend's worker threads: a fixed team that runs one parallel loop at a time,
 * the calling thread included. Workers spin briefly after each loop, so the loops of one
 * inference follow each other without a wake-up, then sleep; an idle team costs nothing.
 */
#ifndef LO_CPU_THREADS_H
#define LO_CPU_THREADS_H

#include "backend.h"

typedef struct lo_cpu_threads lo_cpu_threads;

/* One unit of a parallel loop: units run in any order, on any thread, each exactly once. */
typedef void (*lo_cpu_unit_fn)(void *task, int unit);

/* A team of `count` threads in all (the caller and count - 1 workers); count <= 1 or a failed
 * thread start gives fewer workers, never an error but out of memory. */
lo_status lo_cpu_threads_create(int count, lo_cpu_threads **out, lo_error *err);
void lo_cpu_threads_destroy(lo_cpu_threads *threads);

/* Threads the team has, the caller included (1 for NULL). */
int lo_cpu_threads_count(const lo_cpu_threads *threads);

/* Runs fn(task, u) for u in [0, units) and returns when all are done. threads may be NULL
 * (serial). Safe to call from several threads at once: a call that finds the team busy runs
 * its loop alone on its own thread. */
void lo_cpu_threads_run(lo_cpu_threads *threads, lo_cpu_unit_fn fn, void *task, int units);

/* Threads a new team gets: LENET_ONNX_CPU_THREADS when set to 1..256, else the online cores. */
int lo_cpu_threads_default(void);

#endif
