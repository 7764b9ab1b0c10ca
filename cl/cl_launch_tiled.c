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

/* A tile of TM = ly * wm rows x TN = lx * wn columns, computed by lx x ly work-items (a
 * multiple of TN: tiles.cl stages slabs so). */
typedef struct tile_shape {
    int lx, ly, wm, wn;
    const char *variant[3]; /* per lo_cl_tiled_kind, for traces */
} tile_shape;

/* 256 work-items (the common GPU limit), from the fewest rows up: a product takes the first
 * tile as tall as its rows, the last past them, so few rows (a small batch's Gemm, a Conv of
 * few channels per group) waste few work-items on rows past the end. */
static const tile_shape tile_shapes[] = {
    {32, 8, 1, 4, {"gemm_tiled[8x128]", "conv_tiled[8x128]", "conv_tiled_pool[8x128]"}},
    {16, 16, 1, 4, {"gemm_tiled[16x64]", "conv_tiled[16x64]", "conv_tiled_pool[16x64]"}},
    {16, 16, 2, 4, {"gemm_tiled[32x64]", "conv_tiled[32x64]", "conv_tiled_pool[32x64]"}},
    {16, 16, 4, 4, {"gemm_tiled[64x64]", "conv_tiled[64x64]", "conv_tiled_pool[64x64]"}},
};

/* Smaller groups, tried in turn where the device or the compiled kernel allows fewer than 256
 * work-items per group, before the direct kernel. */
static const tile_shape small_tile_shapes[] = {
    {16, 8, 1, 4, {"gemm_tiled[8x64]", "conv_tiled[8x64]", "conv_tiled_pool[8x64]"}},
    {8, 8, 1, 4, {"gemm_tiled[8x32]", "conv_tiled[8x32]", "conv_tiled_pool[8x32]"}},
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* The reduction depth of a slab: tiles.cl's TK. */
#define TILE_DEPTH 16

static const tile_shape *tile_for(int64_t rows)
{
    for (size_t i = 0; i < COUNT_OF(tile_shapes); i++)
        if (rows <= (int64_t)tile_shapes[i].ly * tile_shapes[i].wm) return &tile_shapes[i];
    return &tile_shapes[COUNT_OF(tile_shapes) - 1];
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

typedef enum tile_outcome { TILE_RUNS, TILE_TOO_LARGE, TILE_NOT_BUILT } tile_outcome;

/* Builds the tiled kernel of `kind` with tile t into *out when the device runs it. */
static tile_outcome try_tile(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                             const tile_shape *t, cl_kernel *out)
{
    static const char *const programs[3] = {"gemm_tiled", "conv_tiled", "conv_tiled"};
    static const char *const kernels[3] = {"gemm_tiled", "conv_tiled", "conv_tiled_pool"};
    const size_t group_items = (size_t)t->lx * (size_t)t->ly;
    const char *node = step->node_name ? step->node_name : "?";
    *out = NULL;
    if (group_items > ctx->max_work_group_size || tile_local_bytes(t) > ctx->local_mem_bytes) {
        lo_trace("opencl: node '%s' (%s): %s needs %zu work-items and %llu bytes of local memory, "
                 "the device allows %zu and %llu",
                 node, step->label, t->variant[kind], group_items,
                 (unsigned long long)tile_local_bytes(t), ctx->max_work_group_size,
                 (unsigned long long)ctx->local_mem_bytes);
        return TILE_TOO_LARGE;
    }
    char options[64];
    snprintf(options, sizeof options, "-DLX=%d -DLY=%d -DWM=%d -DWN=%d", t->lx, t->ly, t->wm,
             t->wn);
    lo_error build_err = {LO_OK, ""};
    if (lo_cl_make_kernel(ctx, step, programs[kind], options, kernels[kind], out, &build_err) !=
        LO_OK) {
        /* A compiler's refusal of a kernel the direct one can replace costs speed, not the
         * model; another tile would fare no better. */
        lo_log(LENET_ONNX_LOG_WARNING, "opencl: %s", build_err.message);
        return TILE_NOT_BUILT;
    }
    /* What this kernel, compiled for this device, allows (registers may cap the group). */
    size_t max_group = 0;
    cl_ulong local_bytes = 0;
    cl_int rc = clGetKernelWorkGroupInfo(*out, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof max_group, &max_group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(*out, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE,
                                      sizeof local_bytes, &local_bytes, NULL);
    if (rc != CL_SUCCESS || max_group < group_items || local_bytes > ctx->local_mem_bytes) {
        lo_trace("opencl: node '%s' (%s): %s as compiled allows %zu work-items per group and "
                 "needs %llu bytes of local memory%s%s",
                 node, step->label, t->variant[kind], max_group, (unsigned long long)local_bytes,
                 rc == CL_SUCCESS ? "" : ": clGetKernelWorkGroupInfo failed: ",
                 rc == CL_SUCCESS ? "" : lo_cl_error_name(rc));
        clReleaseKernel(*out);
        *out = NULL;
        return TILE_TOO_LARGE;
    }
    return TILE_RUNS;
}

/* Measured on an NVIDIA H200 (LeNet, 132 compute units): conv2's tiled launch took 0.174 ms
 * against the direct kernel's 0.140 in 25 tiles (batch 64), 0.174 against 0.362 in 100 (batch
 * 256); fc1's 0.069 against 0.047 in 2 tiles, 0.070 against 0.115 in 8. A grid of fewer tiles
 * than a quarter of the compute units leaves the device idle where one item per output does
 * not: the reduce kernels run then (one work-group per output) where the grid has few outputs
 * too, the direct kernels where it has many; LENET_ONNX_CL_TILED=1 asks for tiles anyway. */
static bool enough_tiles(const lo_backend_context *ctx, size_t tiles)
{
    return ctx->tiled_forced || tiles * 4 >= ctx->compute_units;
}

/* Measured on the H200: at batch 1 (800 to 3136 outputs per conv, 120 per Gemm) the reduce
 * kernels took LeNet from 0.231 to 0.075 ms; at batch 64 conv2's 51,200 outputs ran faster one
 * item each (the whole run 0.367 ms against 0.457 with every small grid reduced). A grid of
 * fewer outputs than 256 per compute unit cannot hide the latency one item per output. */
static bool few_outputs(const lo_backend_context *ctx, int64_t outputs)
{
    return outputs < (int64_t)ctx->compute_units * 256;
}

bool lo_cl_prepare_tiled(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                         int64_t rows, int64_t cols, int64_t layers, int64_t depth,
                         lo_cl_launch *launch)
{
    const tile_shape *t = tile_for(rows);
    const size_t tiles =
        groups_of(cols, t->lx * t->wn) * groups_of(rows, t->ly * t->wm) * (size_t)layers;
    if (ctx->reduce_forced || !enough_tiles(ctx, tiles)) {
        const int64_t outputs = rows * cols * layers;
        if (!ctx->reduce_forced && !few_outputs(ctx, outputs)) {
            lo_trace("opencl: node '%s' (%s): %zu tiles and %lld outputs for %u compute units: "
                     "the direct kernel runs",
                     step->node_name ? step->node_name : "?", step->label, tiles,
                     (long long)outputs, (unsigned)ctx->compute_units);
            return false;
        }
        if (!ctx->reduce_forced)
            lo_trace("opencl: node '%s' (%s): %zu tiles for %u compute units: one work-group "
                     "per output instead",
                     step->node_name ? step->node_name : "?", step->label, tiles,
                     (unsigned)ctx->compute_units);
        return lo_cl_prepare_reduce(ctx, step, kind, outputs, depth, launch);
    }
    tile_outcome outcome = try_tile(ctx, step, kind, t, &launch->kernel);
    for (size_t i = 0; outcome == TILE_TOO_LARGE && i < COUNT_OF(small_tile_shapes); i++) {
        t = &small_tile_shapes[i];
        outcome = try_tile(ctx, step, kind, t, &launch->kernel);
    }
    if (outcome != TILE_RUNS) {
        lo_trace("opencl: node '%s' (%s): %s: the direct kernel runs",
                 step->node_name ? step->node_name : "?", step->label,
                 outcome == TILE_NOT_BUILT ? "the tiled kernel did not build" : "no tile fits");
        return false;
    }
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
