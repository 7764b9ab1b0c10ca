/* Activations fused into the native CPU backend's Conv and Gemm (and its Unary steps), inline
 * so each kernel clone vectorises them for its own instruction set. */
#ifndef LO_CPU_ACTIVATION_H
#define LO_CPU_ACTIVATION_H

#include <math.h>
#include <stdint.h>

#include "step.h"

static inline __attribute__((always_inline)) void lo_cpu_activate(float *values, int64_t count,
                                                                  lo_activation activation,
                                                                  const lo_activation_args *args)
{
    switch (activation) {
    case LO_ACT_NONE:
        break;
    case LO_ACT_RELU:
        for (int64_t i = 0; i < count; i++)
            values[i] = values[i] > 0.0f ? values[i] : 0.0f;
        break;
    case LO_ACT_LEAKY_RELU: {
        const float alpha = args->alpha;
        for (int64_t i = 0; i < count; i++)
            values[i] = values[i] < 0.0f ? alpha * values[i] : values[i];
        break;
    }
    case LO_ACT_CLIP: { /* the max wins where min > max, as ONNX's Clip */
        const float lo = args->min, hi = args->max;
        for (int64_t i = 0; i < count; i++) {
            const float v = values[i] < lo ? lo : values[i];
            values[i] = v > hi ? hi : v;
        }
        break;
    }
    case LO_ACT_SIGMOID:
        for (int64_t i = 0; i < count; i++)
            values[i] = 1.0f / (1.0f + expf(-values[i]));
        break;
    case LO_ACT_TANH:
        for (int64_t i = 0; i < count; i++)
            values[i] = tanhf(values[i]);
        break;
    }
}

/* True when max(f(a), f(b)) == f(max(a, b)) for the activation: a pool may run first. */
static inline bool lo_cpu_activation_monotone(lo_activation activation,
                                              const lo_activation_args *args)
{
    return activation != LO_ACT_LEAKY_RELU || args->alpha >= 0.0f;
}

#endif
