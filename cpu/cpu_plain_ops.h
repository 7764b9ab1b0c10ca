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

/* A row-major walk over `rank` dims (an odometer) carrying the offsets, in elements, of two
 * tensors read or written at their own strides along those dims. */
typedef struct lo_cpu_walk {
    int rank;
    const int64_t *dims;
    const int64_t *strides[2];
    int64_t index[LO_MAX_RANK];
    int64_t offset[2];
} lo_cpu_walk;

/* Starts at row-major position `flat`. */
static inline void lo_cpu_walk_start(lo_cpu_walk *w, int rank, const int64_t *dims,
                                     const int64_t *strides0, const int64_t *strides1, int64_t flat)
{
    w->rank = rank;
    w->dims = dims;
    w->strides[0] = strides0;
    w->strides[1] = strides1;
    w->offset[0] = w->offset[1] = 0;
    for (int d = rank - 1; d >= 0; d--) {
        w->index[d] = flat % dims[d];
        flat /= dims[d];
        w->offset[0] += w->index[d] * strides0[d];
        w->offset[1] += w->index[d] * strides1[d];
    }
}

static inline void lo_cpu_walk_next(lo_cpu_walk *w)
{
    for (int d = w->rank - 1; d >= 0; d--) {
        w->offset[0] += w->strides[0][d];
        w->offset[1] += w->strides[1][d];
        if (++w->index[d] < w->dims[d]) return;
        w->offset[0] -= w->index[d] * w->strides[0][d];
        w->offset[1] -= w->index[d] * w->strides[1][d];
        w->index[d] = 0;
    }
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
