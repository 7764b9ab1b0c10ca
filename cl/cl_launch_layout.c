/* Layout steps on OpenCL: Pad, Transpose and Concat over up to 8 axes.
 */
#include "cl_launch_internal.h"

#include <limits.h>

/* Pad, Transpose: one float input and output of the same rank, at most 8 (the kernels' int8). */
static lo_status check_layout_1(const lo_step *step, lo_error *err)
{
    if (step->num_inputs != 1)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 1",
                               step->num_inputs);
    const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
    lo_status status = lo_cl_check_dtype(step, x, "X", false, err);
    if (status == LO_OK) status = lo_cl_check_dtype(step, y, "Y", false, err);
    if (status == LO_OK && (x->shape.rank != y->shape.rank || x->shape.rank > 8))
        status =
            lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "X has rank %d and Y rank %d (at most 8)",
                            x->shape.rank, y->shape.rank);
    return status;
}

lo_status lo_cl_check_pad(const lo_step *step, lo_error *err)
{
    lo_status status = check_layout_1(step, err);
    if (status != LO_OK) return status;
    const lo_pad_params *p = &step->params.pad;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    for (int d = 0; d < x->rank; d++)
        if (p->pad_begin[d] < -(int64_t)INT_MAX / 2 || p->pad_begin[d] > INT_MAX / 2 ||
            x->dims[d] + p->pad_begin[d] + p->pad_end[d] != y->dims[d])
            return lo_cl_step_fail(
                err, step, LO_ERR_ARGUMENT,
                "axis %d: input %lld with pads %lld/%lld does not give output %lld", d,
                (long long)x->dims[d], (long long)p->pad_begin[d], (long long)p->pad_end[d],
                (long long)y->dims[d]);
    return LO_OK;
}

lo_status lo_cl_check_transpose(const lo_step *step, lo_error *err)
{
    lo_status status = check_layout_1(step, err);
    if (status != LO_OK) return status;
    const int *perm = step->params.transpose.perm;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    bool seen[LO_MAX_RANK] = {false};
    for (int d = 0; d < x->rank; d++) {
        if (perm[d] < 0 || perm[d] >= x->rank || seen[perm[d]] || y->dims[d] != x->dims[perm[d]])
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                                   "perm[%d] = %d is not a permutation matching the shapes", d,
                                   perm[d]);
        seen[perm[d]] = true;
    }
    return LO_OK;
}

lo_status lo_cl_check_concat(const lo_step *step, lo_error *err)
{
    const int axis = step->params.concat.axis;
    const lo_shape *y = &step->output.shape;
    lo_status status = lo_cl_check_dtype(step, &step->output, "Y", false, err);
    if (status != LO_OK) return status;
    if (step->num_inputs < 1 || axis < 0 || axis >= y->rank)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, axis %d, output rank %d",
                               step->num_inputs, axis, y->rank);
    int64_t total = 0;
    for (int i = 0; i < step->num_inputs; i++) {
        const lo_shape *x = &step->inputs[i].shape;
        if ((status = lo_cl_check_dtype(step, &step->inputs[i], "input", false, err)) != LO_OK)
            return status;
        bool same = x->rank == y->rank;
        for (int d = 0; same && d < y->rank; d++)
            same = d == axis || x->dims[d] == y->dims[d];
        if (!same)
            return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                                   "input %d's dims off axis %d differ from the output's", i, axis);
        total += x->dims[axis];
    }
    if (total != y->dims[axis])
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT,
                               "the inputs hold %lld along axis %d, the output %lld",
                               (long long)total, axis, (long long)y->dims[axis]);
    return LO_OK;
}

/* A shape's dims right-aligned in 8 lanes, leading lanes 1. */
static cl_int8 dims8(const lo_shape *shape)
{
    cl_int8 v;
    for (int d = 0; d < 8; d++) {
        const int from = d - (8 - shape->rank);
        v.s[d] = from >= 0 ? (cl_int)shape->dims[from] : 1;
    }
    return v;
}

lo_status lo_cl_prepare_layout(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_shape *ys = &step->output.shape;
    const int64_t n = lo_shape_numel(ys);
    const char *name = step->kind == LO_STEP_PAD         ? "pad"
                       : step->kind == LO_STEP_TRANSPOSE ? "transpose"
                                                         : "concat";
    lo_cl_tensor x[LO_STEP_MAX_INPUTS], y;
    lo_status status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[i], "X", &x[i], err);
    if (status == LO_OK)
        status = lo_cl_make_kernel(ctx, step, "layout", "", name, &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    const lo_shape *xs = &step->inputs[0].shape;
    if (step->kind == LO_STEP_PAD) {
        cl_int8 begin;
        for (int d = 0; d < 8; d++) {
            const int from = d - (8 - xs->rank);
            begin.s[d] = from >= 0 ? (cl_int)step->params.pad.pad_begin[from] : 0;
        }
        const cl_int8 out_dims = dims8(ys), in_dims = dims8(xs);
        lo_cl_arg_mem(&args, x[0].mem);
        lo_cl_arg_int(&args, x[0].offset);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, n);
        lo_cl_arg_raw(&args, sizeof out_dims, &out_dims);
        lo_cl_arg_raw(&args, sizeof in_dims, &in_dims);
        lo_cl_arg_raw(&args, sizeof begin, &begin);
        lo_cl_arg_float(&args, step->params.pad.value);
    } else if (step->kind == LO_STEP_TRANSPOSE) {
        int64_t in_stride[LO_MAX_RANK];
        int64_t stride = 1;
        for (int d = xs->rank - 1; d >= 0; d--) {
            in_stride[d] = stride;
            stride *= xs->dims[d];
        }
        cl_int8 strides;
        for (int d = 0; d < 8; d++) {
            const int from = d - (8 - ys->rank);
            strides.s[d] = from >= 0 ? (cl_int)in_stride[step->params.transpose.perm[from]] : 0;
        }
        const cl_int8 out_dims = dims8(ys);
        lo_cl_arg_mem(&args, x[0].mem);
        lo_cl_arg_int(&args, x[0].offset);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, n);
        lo_cl_arg_raw(&args, sizeof out_dims, &out_dims);
        lo_cl_arg_raw(&args, sizeof strides, &strides);
    } else {
        const int axis = step->params.concat.axis;
        int64_t inner = 1;
        for (int d = axis + 1; d < ys->rank; d++)
            inner *= ys->dims[d];
        cl_int8 offsets, sizes;
        for (int i = 0; i < 8; i++) {
            const bool used = i < step->num_inputs;
            lo_cl_arg_mem(&args, used ? x[i].mem : y.mem); /* unused slots are never read */
            offsets.s[i] = used ? (cl_int)x[i].offset : 0;
            sizes.s[i] = used ? (cl_int)step->inputs[i].shape.dims[axis] : 0;
        }
        lo_cl_arg_raw(&args, sizeof offsets, &offsets);
        lo_cl_arg_raw(&args, sizeof sizes, &sizes);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, n);
        lo_cl_arg_int(&args, ys->dims[axis] > 0 ? ys->dims[axis] : 1);
        lo_cl_arg_int(&args, inner > 0 ? inner : 1);
    }
    return lo_cl_finish_flat(ctx, step, launch, &args, name, n, err);
}
