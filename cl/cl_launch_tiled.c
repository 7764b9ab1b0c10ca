/* The local-memory tiled kernels GPUs run for Conv and Gemm (kernels/tiles.cl, gemm_tiled.cl,
 * conv_tiled.cl): which tile a product takes, whether the device can run it, and the launch
 * sizes. The tiled kernels take their direct kernel's arguments, which cl_launch_conv.c and
 * cl_launch_gemm.c bind for either.
 *
 * They run on a context opened with ctx->tiled (GPUs, or LENET_ONNX_CL_TILED=1). A tile the
 * device cannot hold (work-group size, local memory) or a program its compiler rejects is no
 * failure: the step takes the direct kernel instead, and the trace says why.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

/* A tile of TM = ly * wm rows x TN = lx * wn columns, computed by lx x ly work-items (at most
 * 256, the common GPU limit, and a multiple of TN: tiles.cl stages slabs so). */
typedef struct tile_shape {
    int lx, ly, wm, wn;
    const char *variant[3]; /* per lo_cl_tiled_kind, for traces and --profile */
} tile_shape;

/* From the fewest rows up: a product takes the first tile as tall as its rows, the last past
 * them. Few rows (a small batch's Gemm, LeNet's 6-channel conv1) take wide, short tiles. */
static const tile_shape tile_shapes[] = {
    {32, 8, 1, 4, {"gemm_tiled[8x128]", "conv_tiled[8x128]", "conv_tiled_pool[8x128]"}},
    {16, 16, 1, 4, {"gemm_tiled[16x64]", "conv_tiled[16x64]", "conv_tiled_pool[16x64]"}},
    {16, 16, 2, 4, {"gemm_tiled[32x64]", "conv_tiled[32x64]", "conv_tiled_pool[32x64]"}},
    {16, 16, 4, 4, {"gemm_tiled[64x64]", "conv_tiled[64x64]", "conv_tiled_pool[64x64]"}},
};

/* The reduction depth of a slab: tiles.cl's TK. */
#define TILE_DEPTH 16

static const tile_shape *tile_for(int64_t rows)
{
    const size_t count = sizeof tile_shapes / sizeof tile_shapes[0];
    for (size_t i = 0; i < count; i++)
        if (rows <= (int64_t)tile_shapes[i].ly * tile_shapes[i].wm) return &tile_shapes[i];
    return &tile_shapes[count - 1];
}

/* The two slabs of tiles.cl, each row padded by one float. */
static cl_ulong tile_local_bytes(const tile_shape *t)
{
    const cl_ulong rows = (cl_ulong)t->ly * (cl_ulong)t->wm, cols = (cl_ulong)t->lx * t->wn;
    return TILE_DEPTH * ((rows + 1) + (cols + 1)) * sizeof(cl_float);
}

static size_t groups_of(int64_t count, int per_group)
{
    return (size_t)((count + per_group - 1) / per_group);
}

bool lo_cl_prepare_tiled(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                         int64_t rows, int64_t cols, int64_t layers, lo_cl_launch *launch)
{
    static const char *const programs[3] = {"gemm_tiled", "conv_tiled", "conv_tiled"};
    static const char *const kernels[3] = {"gemm_tiled", "conv_tiled", "conv_tiled_pool"};
    const tile_shape *t = tile_for(rows);
    const size_t group_items = (size_t)t->lx * (size_t)t->ly;
    const char *node = step->node_name ? step->node_name : "?";
    launch->kernel = NULL;
    if (group_items > ctx->max_work_group_size || tile_local_bytes(t) > ctx->local_mem_bytes) {
        lo_trace("opencl: node '%s' (%s): %s needs %zu work-items and %llu bytes of local memory, "
                 "the device allows %zu and %llu: the direct kernel runs",
                 node, step->label, t->variant[kind], group_items,
                 (unsigned long long)tile_local_bytes(t), ctx->max_work_group_size,
                 (unsigned long long)ctx->local_mem_bytes);
        return false;
    }
    char options[64];
    snprintf(options, sizeof options, "-DLX=%d -DLY=%d -DWM=%d -DWN=%d", t->lx, t->ly, t->wm,
             t->wn);
    lo_error build_err = {LO_OK, ""};
    cl_kernel kernel = NULL;
    if (lo_cl_make_kernel(ctx, step, programs[kind], options, kernels[kind], &kernel, &build_err) !=
        LO_OK) {
        /* A compiler's refusal of a kernel the direct one can replace costs speed, not the
         * model. */
        lo_log(LENET_ONNX_LOG_WARNING, "opencl: %s: the direct kernel runs instead",
               build_err.message);
        return false;
    }
    /* What this kernel, compiled for this device, allows (registers may cap the group). */
    size_t max_group = 0;
    cl_ulong local_bytes = 0;
    cl_int rc = clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof max_group, &max_group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE,
                                      sizeof local_bytes, &local_bytes, NULL);
    if (rc != CL_SUCCESS || max_group < group_items || local_bytes > ctx->local_mem_bytes) {
        lo_trace("opencl: node '%s' (%s): %s compiled allows %zu work-items per group and "
                 "needs %llu bytes of local memory (%s): the direct kernel runs",
                 node, step->label, t->variant[kind], max_group, (unsigned long long)local_bytes,
                 rc == CL_SUCCESS ? "too few or too many" : lo_cl_error_name(rc));
        clReleaseKernel(kernel);
        return false;
    }
    launch->kernel = kernel;
    launch->variant = t->variant[kind];
    launch->dims = 3;
    launch->local[0] = (size_t)t->lx;
    launch->local[1] = (size_t)t->ly;
    launch->local[2] = 1;
    launch->global[0] = groups_of(cols, t->lx * t->wn) * launch->local[0];
    launch->global[1] = groups_of(rows, t->ly * t->wm) * launch->local[1];
    launch->global[2] = (size_t)layers;
    launch->empty = rows == 0 || cols == 0 || layers == 0;
    return true;
}
