/* The reduce kernels (kernels/reduce.cl): one work-group per output value, for Conv and Gemm
 * grids too small to fill a GPU in tiles. They take their direct kernel's arguments, which
 * cl_launch_conv.c and cl_launch_gemm.c bind. */
#include "cl_launch_internal.h"

#include <stdio.h>

/* Items per group, at most: enough to hide a GPU's memory latency behind a LeNet layer's
 * 75 to 800 products per output. */
#define REDUCE_ITEMS 64

bool lo_cl_prepare_reduce(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                          int64_t outputs, int64_t depth, lo_cl_launch *launch)
{
    static const char *const kernels[3] = {"gemm_reduce", "conv2d_reduce", "conv2d_reduce_pool"};
    const char *node = step->node_name ? step->node_name : "?";
    /* A power of two no larger than the reduction (a short one wastes no items). */
    int items = 1;
    while (items < REDUCE_ITEMS && items < depth && (size_t)items * 2 <= ctx->max_work_group_size)
        items *= 2;
    if (outputs < 1 || !lo_cl_fits_int(outputs) ||
        (uint64_t)outputs > (uint64_t)SIZE_MAX / (uint64_t)items)
        return false;
    char options[32];
    snprintf(options, sizeof options, "-DRED=%d", items);
    lo_error build_err = {LO_OK, ""};
    if (lo_cl_make_kernel(ctx, step, "reduce", options, kernels[kind], &launch->kernel,
                          &build_err) != LO_OK) {
        lo_log(LENET_ONNX_LOG_WARNING, "opencl: %s", build_err.message);
        launch->kernel = NULL;
        return false;
    }
    size_t max_group = 0;
    if (clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                 sizeof max_group, &max_group, NULL) != CL_SUCCESS ||
        max_group < (size_t)items) {
        lo_trace("opencl: node '%s' (%s): %s as compiled allows %zu work-items per group, %d "
                 "needed: the direct kernel runs",
                 node, step->label, kernels[kind], max_group, items);
        clReleaseKernel(launch->kernel);
        launch->kernel = NULL;
        return false;
    }
    launch->variant = kernels[kind];
    launch->dims = 1;
    launch->local[0] = (size_t)items;
    launch->local[1] = launch->local[2] = 1;
    launch->global[0] = (size_t)outputs * (size_t)items;
    launch->global[1] = launch->global[2] = 1;
    launch->empty = false;
    return true;
}
