/* What cpu_plain.c dispatches to: one function per plain step kind, each given a valid step
 * (the core checked it), its input pointers and its output, and the helpers that split a step
 * over the thread team in units big enough to pay for the dispatch. Private to cpu/.
 */
#ifndef LO_CPU_PLAIN_OPS_H
#define LO_CPU_PLAIN_OPS_H

#include <stdint.h>

#include "backend.h"
#include "cpu_threads.h"

/* How many units `items` of work (each moving about item_bytes) are split into: 1 below two
 * units of LO_CPU_UNIT_BYTES, so small steps (LeNet at batch 1) never pay a dispatch; at most a
 * few per thread so uneven units still balance. */
#define LO_CPU_UNIT_BYTES (16 * 1024)
int lo_cpu_units(const lo_cpu_threads *threads, int64_t items, int64_t item_bytes);

/* fn(task, u) for u in [0, units): directly when units is 1, else on the team. */
void lo_cpu_for(lo_cpu_threads *threads, lo_cpu_unit_fn fn, void *task, int units);

/* The first item of unit `unit` of `units` over `items`: unit u runs [begin(u), begin(u + 1)). */
static inline int64_t lo_cpu_unit_begin(int64_t items, int units, int unit)
{
    return items * unit / units; /* items < 2^53 and units < 2^10: no overflow */
}

/* cpu_pool_ops.c: MAXPOOL (float, uint8) and AVGPOOL. */
void lo_cpu_pool(lo_cpu_threads *threads, const lo_step *step, const void *x, void *y);

/* cpu_layout_ops.c: bytes moved, never computed. */
void lo_cpu_copy(lo_cpu_threads *threads, const lo_step *step, const void *x, void *y);
void lo_cpu_pad(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y);
void lo_cpu_concat(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                   float *y);
void lo_cpu_transpose(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y);

/* cpu_eltwise_ops.c: values computed element by element, or along one axis (softmax). */
void lo_cpu_unary(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                  float *y);
void lo_cpu_binary(lo_cpu_threads *threads, const lo_step *step, const float *a, const float *b,
                   float *y);
void lo_cpu_softmax(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y);
void lo_cpu_batchnorm(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                      float *y);

#endif
