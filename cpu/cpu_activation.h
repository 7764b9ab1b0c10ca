/* Activations fused into the native CPU backend's Conv and Gemm (and its Unary steps), inline
 * so each kernel clone vectorises them for its own instruction set. */
#ifndef LO_CPU_ACTIVATION_H
#define LO_CPU_ACTIVATION_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cpu_expf.h"
#include "step.h"

/* y[i] = f(x[i]) for i in [0, count); y may be x (each x[i] is read before y[i] is written). */
static inline __attribute__((always_inline)) void
lo_cpu_activate_from(const float *x, float *y, int64_t count, lo_activation activation,
                     const lo_activation_args *args)
{
    switch (activation) {
    case LO_ACT_NONE:
        if (x != y) memcpy(y, x, (size_t)count * sizeof *y);
        break;
    case LO_ACT_RELU:
        for (int64_t i = 0; i < count; i++) {
            const float v = x[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
        break;
    case LO_ACT_LEAKY_RELU: {
        const float alpha = args->alpha;
        /* Both parts unconditionally: a multiply under a condition is a branch to GCC (it may
         * trap), which keeps the loop scalar. */
        for (int64_t i = 0; i < count; i++) {
            const float v = x[i];
            const float positive = v > 0.0f ? v : 0.0f, negative = v < 0.0f ? v : 0.0f;
            y[i] = positive + alpha * negative;
        }
        break;
    }
    case LO_ACT_CLIP: { /* the max wins where min > max, as ONNX's Clip */
        const float lo = args->min, hi = args->max;
        for (int64_t i = 0; i < count; i++) {
            const float v = x[i] < lo ? lo : x[i];
            y[i] = v > hi ? hi : v;
        }
        break;
    }
    /* Through cpu_expf.h's exp, which vectorises (libm's expf and tanhf are calls). */
    case LO_ACT_SIGMOID: /* 1 / (1 + e^-x) */
        for (int64_t i = 0; i < count; i++)
            y[i] = -x[i];
        lo_cpu_exp_span(y, y, count);
        for (int64_t i = 0; i < count; i++)
            y[i] = 1.0f / (1.0f + y[i]);
        break;
    case LO_ACT_TANH: /* 1 - 2 / (e^2x + 1): exact at the saturated ends, error ~1e-7 near 0 */
        for (int64_t i = 0; i < count; i++)
            y[i] = 2.0f * x[i];
        lo_cpu_exp_span(y, y, count);
        for (int64_t i = 0; i < count; i++)
            y[i] = 1.0f - 2.0f / (y[i] + 1.0f);
        break;
    }
}

static inline __attribute__((always_inline)) void lo_cpu_activate(float *values, int64_t count,
                                                                  lo_activation activation,
                                                                  const lo_activation_args *args)
{
    lo_cpu_activate_from(values, values, count, activation, args);
}

/* True when max(f(a), f(b)) == f(max(a, b)) for the activation: a pool may run first. */
static inline bool lo_cpu_activation_monotone(lo_activation activation,
                                              const lo_activation_args *args)
{
    return activation != LO_ACT_LEAKY_RELU || args->alpha >= 0.0f;
}

#endif
