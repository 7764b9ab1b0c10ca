/* Element-wise steps on OpenCL: Unary (activations, Clip), Copy, Binary (broadcast
 * through strides), Softmax and BatchNormalization; one work-item per output.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

lo_status lo_cl_prepare_elementwise(lo_backend_context *ctx, const lo_step *step,
                                    const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                    lo_error *err)
{
    const bool unary = step->kind == LO_STEP_UNARY;
    const bool u8 = step->inputs[0].dtype == LO_DTYPE_UINT8;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_cl_tensor x, y;
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;
    const char *name = unary ? "unary" : "copy";
    char options[64];
    snprintf(options, sizeof options, "%s -DOP=%d", u8 ? "-DT=uchar" : "-DT=float -DT_IS_FLOAT",
             unary ? (int)step->params.unary.op : 0);
    status = lo_cl_make_kernel(ctx, step, "eltwise", options, name, &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    lo_cl_arg_mem(&args, x.mem);
    lo_cl_arg_int(&args, x.offset);
    lo_cl_arg_mem(&args, y.mem);
    lo_cl_arg_int(&args, y.offset);
    lo_cl_arg_int(&args, n);
    if (unary) {
        const lo_unary_params *p = &step->params.unary;
        lo_cl_arg_int(&args, (int)p->op);
        lo_cl_arg_float(&args, p->alpha);
        lo_cl_arg_float(&args, p->min);
        lo_cl_arg_float(&args, p->max);
        const int bounds[2] = {p->min_input, p->max_input};
        for (int b = 0; b < 2 && status == LO_OK; b++) {
            /* An unused bound argument still needs a buffer: X's. */
            lo_cl_tensor bound = x;
            if (bounds[b])
                status = lo_cl_place_tensor(step, buffers, &step->inputs[bounds[b]],
                                            b ? "max" : "min", &bound, err);
            lo_cl_arg_mem(&args, bound.mem);
            lo_cl_arg_int(&args, bound.offset);
            lo_cl_arg_int(&args, bounds[b] ? 1 : 0);
        }
        if (status != LO_OK) return status;
    }
    return lo_cl_finish_flat(ctx, step, launch, &args, name, n, err);
}

/* Dense strides on every axis of the output. */
bool lo_cl_binary_direct(const lo_step *step)
{
    const lo_binary_params *p = &step->params.binary;
    const lo_shape *ys = &step->output.shape;
    int64_t dense = 1;
    for (int d = ys->rank - 1; d >= 0; d--) {
        if (ys->dims[d] != 1 && (p->a_strides[d] != dense || p->b_strides[d] != dense))
            return false;
        dense *= ys->dims[d];
    }
    return true;
}

lo_status lo_cl_prepare_binary(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    const lo_shape *ys = &step->output.shape;
    const int64_t n = lo_shape_numel(ys);
    lo_status status = lo_cl_make_kernel(ctx, step, "binary", "", "binary", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = lo_cl_bind_tensors(step, buffers, 2, &args, err)) != LO_OK) return status;
    const bool direct = lo_cl_binary_direct(step);
    lo_cl_arg_int(&args, n);
    lo_cl_arg_int(&args, (int)p->op);
    lo_cl_arg_int(&args, direct ? 1 : 0);
    lo_cl_arg_axes8(&args, ys->rank, ys->dims, 1);
    lo_cl_arg_axes8(&args, ys->rank, p->a_strides, 0);
    lo_cl_arg_axes8(&args, ys->rank, p->b_strides, 0);
    return lo_cl_finish_flat(ctx, step, launch, &args, direct ? "binary[direct]" : "binary", n,
                             err);
}

lo_status lo_cl_prepare_softmax(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    lo_status status = lo_cl_make_kernel(ctx, step, "softmax", "", "softmax", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = lo_cl_bind_tensors(step, buffers, 1, &args, err)) != LO_OK) return status;
    lo_cl_arg_int(&args, p->outer);
    lo_cl_arg_int(&args, p->axis_len);
    lo_cl_arg_int(&args, p->inner);
    lo_cl_arg_int(&args, p->log ? 1 : 0);
    return lo_cl_finish_flat(ctx, step, launch, &args, "softmax", p->outer * p->inner, err);
}

lo_status lo_cl_prepare_batchnorm(lo_backend_context *ctx, const lo_step *step,
                                  const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_status status =
        lo_cl_make_kernel(ctx, step, "batchnorm", "", "batchnorm", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = lo_cl_bind_tensors(step, buffers, 5, &args, err)) != LO_OK) return status;
    lo_cl_arg_int(&args, n);
    lo_cl_arg_int(&args, p->channels);
    lo_cl_arg_int(&args, p->inner);
    lo_cl_arg_float(&args, p->epsilon);
    const size_t items[3] = {
        (size_t)p->inner, (size_t)p->channels,
        (size_t)(p->channels * p->inner > 0 ? n / (p->channels * p->inner) : 0)};
    return lo_cl_finish_grid(ctx, step, launch, &args, "batchnorm", items, err);
}
