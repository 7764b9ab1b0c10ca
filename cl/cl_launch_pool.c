/* MaxPool and AveragePool steps on OpenCL (global pools arrive as whole-input windows):
 * kernel choice, arguments and sizes.
 */
#include "cl_launch_internal.h"

#define POOL_FLOAT "-DT=float -DT_LOWEST=(-INFINITY) -DT_IS_FLOAT"
#define POOL_U8    "-DT=uchar -DT_LOWEST=0"

/* 2x2, stride 2, no dilation, pads of 0 or 1 before (any after, ceil_mode's overhang
 * included): the vectorised kernels, for MaxPool and AveragePool alike. */
/* The launch: the 2x2 kernels take eight outputs of a row per item on a flat grid, the others
 * one output per item on an [OW, OH, N*C] grid. */
static lo_status pool_sizes(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                            const lo_cl_args *args, const char *name, bool two_by_two,
                            lo_error *err)
{
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t NC = xs->dims[0] * xs->dims[1], OH = ys->dims[2], OW = ys->dims[3];
    if (two_by_two)
        return lo_cl_finish_flat(ctx, step, launch, args, name, NC * OH * ((OW + 7) / 8), err);
    const size_t items[3] = {(size_t)OW, (size_t)OH, (size_t)NC};
    return lo_cl_finish_grid(ctx, step, launch, args, name, items, err);
}

static bool pool_two_by_two(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_pool_params *p = &step->params.pool;
    return !ctx->generic_only && p->kernel[0] == 2 && p->kernel[1] == 2 && p->stride[0] == 2 &&
           p->stride[1] == 2 && p->dilation[0] == 1 && p->dilation[1] == 1 &&
           p->pad_begin[0] >= 0 && p->pad_begin[0] <= 1 && p->pad_begin[1] >= 0 &&
           p->pad_begin[1] <= 1;
}

lo_status lo_cl_prepare_pool(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t NC = xs->dims[0] * xs->dims[1], H = xs->dims[2], W = xs->dims[3];
    const int64_t OH = ys->dims[2], OW = ys->dims[3];
    const bool u8 = step->inputs[0].dtype == LO_DTYPE_UINT8;
    lo_cl_tensor x, y;
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;
    const bool two_by_two = pool_two_by_two(ctx, step);
    const char *name = two_by_two ? "maxpool2d_2x2" : "maxpool2d";
    status =
        lo_cl_make_kernel(ctx, step, "pool", u8 ? POOL_U8 : POOL_FLOAT, name, &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    lo_cl_arg_mem(&args, x.mem);
    lo_cl_arg_int(&args, x.offset);
    lo_cl_arg_mem(&args, y.mem);
    lo_cl_arg_int(&args, y.offset);
    lo_cl_arg_int(&args, NC);
    lo_cl_arg_int(&args, H);
    lo_cl_arg_int(&args, W);
    lo_cl_arg_int(&args, OH);
    lo_cl_arg_int(&args, OW);
    if (two_by_two) {
        lo_cl_arg_int(&args, p->pad_begin[0]);
        lo_cl_arg_int(&args, p->pad_begin[1]);
    } else {
        lo_cl_arg_int(&args, p->kernel[0]);
        lo_cl_arg_int(&args, p->kernel[1]);
        lo_cl_arg_int(&args, p->stride[0]);
        lo_cl_arg_int(&args, p->stride[1]);
        lo_cl_arg_int(&args, p->dilation[0]);
        lo_cl_arg_int(&args, p->dilation[1]);
        lo_cl_arg_int(&args, p->pad_begin[0]);
        lo_cl_arg_int(&args, p->pad_begin[1]);
    }
    return pool_sizes(ctx, step, launch, &args, name, two_by_two, err);
}

lo_status lo_cl_prepare_avgpool(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t NC = xs->dims[0] * xs->dims[1], OH = ys->dims[2], OW = ys->dims[3];
    const bool two_by_two = pool_two_by_two(ctx, step);
    const char *name = two_by_two ? "avgpool2d_2x2" : "avgpool2d";
    lo_cl_tensor x, y;
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status == LO_OK)
        status = lo_cl_make_kernel(ctx, step, "pool", POOL_FLOAT, name, &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    lo_cl_arg_mem(&args, x.mem);
    lo_cl_arg_int(&args, x.offset);
    lo_cl_arg_mem(&args, y.mem);
    lo_cl_arg_int(&args, y.offset);
    lo_cl_arg_int(&args, NC);
    lo_cl_arg_int(&args, xs->dims[2]);
    lo_cl_arg_int(&args, xs->dims[3]);
    lo_cl_arg_int(&args, OH);
    lo_cl_arg_int(&args, OW);
    if (!two_by_two) {
        for (int a = 0; a < 2; a++)
            lo_cl_arg_int(&args, p->kernel[a]);
        for (int a = 0; a < 2; a++)
            lo_cl_arg_int(&args, p->stride[a]);
        for (int a = 0; a < 2; a++)
            lo_cl_arg_int(&args, p->dilation[a]);
    }
    for (int a = 0; a < 2; a++)
        lo_cl_arg_int(&args, p->pad_begin[a]);
    for (int a = 0; a < 2; a++)
        lo_cl_arg_int(&args, p->pad_end[a]);
    lo_cl_arg_int(&args, p->count_include_pad ? 1 : 0);
    return pool_sizes(ctx, step, launch, &args, name, two_by_two, err);
}
