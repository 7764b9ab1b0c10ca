/* The native CPU backend's memory-bound step kinds: pools, layout moves (copy, pad, concat,
 * transpose) and element-wise ops (unary, binary, batchnorm, softmax). Plain C loops shaped so
 * the compiler vectorises them, split over the team's threads where a step is large enough to
 * pay for it. Conv, Gemm, Gemm chains and MatMul are cpu_conv.c's and cpu_gemm.c's.
 */
#ifndef LO_CPU_PLAIN_H
#define LO_CPU_PLAIN_H

#include <stdbool.h>

#include "backend.h"
#include "cpu_threads.h"

/* True for the kinds (and dtypes) lo_cpu_run_plain runs: MAXPOOL (float, uint8), AVGPOOL,
 * UNARY, COPY (any element size), PAD, CONCAT, TRANSPOSE, BINARY, SOFTMAX, BATCHNORM. */
bool lo_cpu_plain_handles(const lo_step *step);

/* Runs one such step: inputs[i] points at step->inputs[i]'s bytes (arena or constant), output
 * at step->output's. The step is valid (the core checked it). In place as step.h allows:
 * UNARY, COPY and BATCHNORM's output may be input 0, BINARY's input 0 or 1 (same size); each
 * element is read before it is written. UNARY's Clip reads run-time bounds from
 * inputs[min_input] / inputs[max_input] when those are nonzero. */
lo_status lo_cpu_run_plain(lo_cpu_threads *threads, const lo_step *step, const void *const *inputs,
                           void *output, lo_error *err);

#endif
