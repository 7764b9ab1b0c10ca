/* The native CPU backend's compute-bound step kinds, each prepared once per step (weights
 * packed into the layout cpu_block.h reads, offset tables built) and run many times. A step's
 * constant inputs arrive as host pointers at prepare time (valid only then); inputs in the
 * arena arrive at run time. Runs use the prepared plan's scratch, sized by what prepare said.
 */
#ifndef LO_CPU_KERNELS_H
#define LO_CPU_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "cpu_threads.h"

typedef struct lo_cpu_kernel lo_cpu_kernel;

/* True for the kinds this file's kernels run: CONV (with or without a pool epilogue), GEMM,
 * GEMM_CHAIN, MATMUL. */
bool lo_cpu_kernel_handles(const lo_step *step);

/* LO_OK, or why such a step is past the kernels (sizes past their 32-bit offsets, a pool too
 * wide to fuse): asked at plan time, so the core plans it otherwise or reports it. */
lo_status lo_cpu_kernel_supports(const lo_step *step, lo_error *err);

/* Whether input `input` of such a step is read only through the packed copy prepare makes of
 * it (when it is a constant): the backend then keeps no copy of its own. */
bool lo_cpu_kernel_packs_input(const lo_step *step, int input);

/* Prepares a step: constants[i] is input i's bytes when it is a plan constant, else NULL.
 * *scratch_bytes receives the scratch a run of it needs. */
lo_status lo_cpu_kernel_prepare(const lo_step *step, const void *const *constants,
                                lo_cpu_kernel **out, size_t *scratch_bytes, lo_error *err);
/* Host bytes the prepared step holds (packed weights). */
size_t lo_cpu_kernel_bytes(const lo_cpu_kernel *kernel);
void lo_cpu_kernel_free(lo_cpu_kernel *kernel);

/* Runs it: inputs[i] holds input i's bytes (arena or constant, as for any step). */
void lo_cpu_kernel_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                       const void *const *inputs, void *output, void *scratch);

#endif
