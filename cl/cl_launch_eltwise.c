/* Element-wise steps on OpenCL: Unary (activations, Clip), Copy, Binary (broadcast
 * through strides), Softmax and BatchNormalization; one work-item per output.
 */
#include "cl_launch_internal.h"

/* Inputs past the first (Clip's constant bounds, up to max_inputs) are not read: their values
 * are in the params. */
lo_status lo_cl_check_elementwise(const lo_step *step, bool allow_uint8, int max_inputs,
                                  lo_error *err)
{
    if (step->num_inputs < 1 || step->num_inputs > max_inputs)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 1 to %d",
                               step->num_inputs, max_inputs);
    const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
    lo_status status = lo_cl_check_dtype(step, x, "X", allow_uint8, err);
    if (status == LO_OK) status = lo_cl_check_dtype(step, y, "Y", allow_uint8, err);
    if (status == LO_OK && x->dtype != y->dtype)
        status = lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "X is %s but Y is %s",
                                 lo_dtype_name(x->dtype), lo_dtype_name(y->dtype));
    if (status == LO_OK && lo_shape_numel(&x->shape) != lo_shape_numel(&y->shape))
        status = lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "X has %lld elements but Y %lld",
                                 (long long)lo_shape_numel(&x->shape),
                                 (long long)lo_shape_numel(&y->shape));
    return status;
}

lo_status lo_cl_check_unary(const lo_step *step, lo_error *err)
{
    const lo_unary_params *p = &step->params.unary;
    lo_status status = lo_cl_check_elementwise(step, false, 3, err);
    if (status != LO_OK) return status;
    const int bounds[2] = {p->min_input, p->max_input};
    for (int b = 0; b < 2; b++)
        if (bounds[b] != 0 && (bounds[b] < 1 || bounds[b] >= step->num_inputs ||
                               step->inputs[bounds[b]].dtype != LO_DTYPE_FLOAT ||
                               lo_shape_numel(&step->inputs[bounds[b]].shape) != 1))
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                                   "Clip's %s bound names input %d, not a one-element float input",
                                   b ? "upper" : "lower", bounds[b]);
    switch (p->op) {
    case LO_ACT_NONE:
    case LO_ACT_RELU:
    case LO_ACT_SIGMOID:
    case LO_ACT_TANH:
    case LO_ACT_LEAKY_RELU:
    case LO_ACT_CLIP:
        return LO_OK;
    }
    return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "activation %d has no OpenCL kernel",
                           (int)p->op);
}

lo_status lo_cl_check_binary(const lo_step *step, lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    char as[128], bs[128], ys[128];
    if (step->num_inputs != 2)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 2",
                               step->num_inputs);
    lo_status status = lo_cl_check_all_float(step, err);
    if (status != LO_OK) return status;
    if (p->op < LO_BIN_ADD || p->op > LO_BIN_PRELU)
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "binary op %d has no OpenCL kernel",
                               (int)p->op);
    const lo_shape *y = &step->output.shape;
    if (!lo_cl_strides_fit(&step->inputs[0].shape, y->rank, y->dims, p->a_strides) ||
        !lo_cl_strides_fit(&step->inputs[1].shape, y->rank, y->dims, p->b_strides))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "broadcast strides reach past A %s or B %s for Y %s",
                               lo_cl_shape_text(&step->inputs[0].shape, as, sizeof as),
                               lo_cl_shape_text(&step->inputs[1].shape, bs, sizeof bs),
                               lo_cl_shape_text(y, ys, sizeof ys));
    return LO_OK;
}

lo_status lo_cl_check_softmax(const lo_step *step, lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    lo_status status = lo_cl_check_elementwise(step, false, 1, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->output.shape);
    if (p->outer < 0 || p->axis_len < 0 || p->inner < 0 || !lo_cl_fits_int(p->outer * p->inner) ||
        p->outer * p->axis_len * p->inner != n)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "[%lld,%lld,%lld] does not hold %lld elements", (long long)p->outer,
                               (long long)p->axis_len, (long long)p->inner, (long long)n);
    return LO_OK;
}

lo_status lo_cl_check_batchnorm(const lo_step *step, lo_error *err)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    if (step->num_inputs != 5)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 5",
                               step->num_inputs);
    lo_status status = lo_cl_check_all_float(step, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->inputs[0].shape);
    if (p->channels < 1 || p->inner < 1 || n % (p->channels * p->inner) != 0 ||
        lo_shape_numel(&step->output.shape) != n)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "%lld channels of %lld do not tile %lld elements",
                               (long long)p->channels, (long long)p->inner, (long long)n);
    for (int i = 1; i < 5; i++)
        if (lo_shape_numel(&step->inputs[i].shape) != p->channels)
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "input %d does not hold %lld values",
                                   i, (long long)p->channels);
    return LO_OK;
}

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
    status = lo_cl_make_kernel(ctx, step, "eltwise", u8 ? "-DT=uchar" : "-DT=float -DT_IS_FLOAT",
                               name, &launch->kernel, err);
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
    /* Direct when both inputs are laid out as the output: dense strides on every axis. */
    bool direct = true;
    int64_t dense = 1;
    for (int d = ys->rank - 1; d >= 0; d--) {
        if (ys->dims[d] != 1 && (p->a_strides[d] != dense || p->b_strides[d] != dense))
            direct = false;
        dense *= ys->dims[d];
    }
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
    return lo_cl_finish_flat(ctx, step, launch, &args, "batchnorm", n, err);
}
