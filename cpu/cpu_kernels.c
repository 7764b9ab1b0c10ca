/* The compute-bound kinds' face: which steps cpu_conv.c and cpu_gemm.c take, and the calls
 * into them. */
#include "cpu_kernels.h"

#include "alloc.h"
#include "cpu_kernel_types.h"

bool lo_cpu_kernel_handles(const lo_step *step)
{
    switch (step->kind) {
    case LO_STEP_CONV:
    case LO_STEP_GEMM:
    case LO_STEP_GEMM_CHAIN:
    case LO_STEP_MATMUL:
        return true;
    default:
        return false;
    }
}

lo_status lo_cpu_kernel_supports(const lo_step *step, lo_error *err)
{
    if (step->kind == LO_STEP_CONV) return lo_cpu_conv_supports(step, err);
    /* A's rows are read at 32-bit offsets from its start. */
    const int64_t elements = lo_shape_numel(&step->inputs[0].shape);
    if (step->kind != LO_STEP_MATMUL && elements > INT32_MAX)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "A holds %lld values, past the CPU kernels' 32-bit "
                       "offsets",
                       (long long)elements);
    return LO_OK;
}

bool lo_cpu_kernel_packs_input(const lo_step *step, int input)
{
    switch (step->kind) {
    case LO_STEP_CONV:
    case LO_STEP_GEMM:
    case LO_STEP_MATMUL:
        return input == 1;
    case LO_STEP_GEMM_CHAIN:
        for (int l = 0; l < step->params.gemm_chain.layers; l++)
            if (step->params.gemm_chain.b_input[l] == input) return true;
        return false;
    default:
        return false;
    }
}

lo_status lo_cpu_kernel_prepare(const lo_step *step, const void *const *constants,
                                lo_cpu_kernel **out, size_t *scratch_bytes, lo_error *err)
{
    *out = NULL;
    *scratch_bytes = 0;
    lo_cpu_kernel *kernel = lo_calloc(1, sizeof *kernel);
    if (!kernel) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing a step");
    kernel->step = *step;
    kernel->step.node_name = NULL; /* the backend keeps the name; nothing here reads it */
    const lo_status status = step->kind == LO_STEP_CONV
                                 ? lo_cpu_conv_prepare(kernel, constants, scratch_bytes, err)
                                 : lo_cpu_dense_prepare(kernel, constants, scratch_bytes, err);
    if (status != LO_OK) {
        lo_cpu_kernel_free(kernel);
        return status;
    }
    *out = kernel;
    return LO_OK;
}

size_t lo_cpu_kernel_bytes(const lo_cpu_kernel *kernel)
{
    return kernel ? kernel->bytes : 0;
}

void lo_cpu_kernel_free(lo_cpu_kernel *kernel)
{
    if (!kernel) return;
    lo_cpu_conv_free(&kernel->conv);
    for (int l = 0; l < LO_GEMM_CHAIN_MAX_LAYERS; l++)
        lo_cpu_dense_free(&kernel->dense[l]);
    lo_free(kernel);
}

void lo_cpu_kernel_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                       const void *const *inputs, void *output, void *scratch)
{
    if (kernel->step.kind == LO_STEP_CONV)
        lo_cpu_conv_run(kernel, threads, inputs, output, scratch);
    else
        lo_cpu_dense_run(kernel, threads, inputs, output, scratch);
}
