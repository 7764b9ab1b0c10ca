/* Layout steps on OpenCL: Pad, Transpose and Concat over up to 8 axes; a Transpose that is
 * a batched 2-D one (after merging axes) takes its own kernel.
 */
#include "cl_launch_internal.h"

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

/* A transpose as [outer, A, B] -> [outer, B, A] where it is one: size-1 axes dropped and axes
 * that stay adjacent and in order merged, what is left is two axes swapped, behind at most one
 * that stays (NHWC -> NCHW: [N, H*W, C] -> [N, C, H*W]). False when it is not so. */
static bool transpose_as_2d(const lo_shape *xs, const int *perm, int64_t *outer, int64_t *a,
                            int64_t *b)
{
    int64_t dims[LO_MAX_RANK]; /* merged groups in output order, with each first input axis */
    int first[LO_MAX_RANK], groups = 0, last = -2;
    for (int d = 0; d < xs->rank; d++) {
        const int axis = perm[d];
        if (xs->dims[axis] == 1) continue;
        if (groups > 0 && axis == last + 1) {
            dims[groups - 1] *= xs->dims[axis];
        } else {
            dims[groups] = xs->dims[axis];
            first[groups++] = axis;
        }
        last = axis;
    }
    /* Groups in output order; the input holds them in the order of their first axes. */
    if (groups == 2 && first[0] > first[1]) {
        *outer = 1, *a = dims[1], *b = dims[0];
        return true;
    }
    if (groups == 3 && first[0] < first[2] && first[2] < first[1]) {
        *outer = dims[0], *a = dims[2], *b = dims[1];
        return true;
    }
    return false;
}

lo_status lo_cl_prepare_layout(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_shape *ys = &step->output.shape;
    const int64_t n = lo_shape_numel(ys);
    int64_t outer = 0, rows = 0, cols = 0; /* transpose_2d's [outer, A, B] */
    const bool as_2d =
        step->kind == LO_STEP_TRANSPOSE &&
        transpose_as_2d(&step->inputs[0].shape, step->params.transpose.perm, &outer, &rows, &cols);
    const char *name = step->kind == LO_STEP_PAD         ? "pad"
                       : as_2d                           ? "transpose_2d"
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
    } else if (as_2d) {
        lo_cl_arg_mem(&args, x[0].mem);
        lo_cl_arg_int(&args, x[0].offset);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, rows);
        lo_cl_arg_int(&args, cols);
        const size_t items[3] = {(size_t)rows, (size_t)cols, (size_t)outer};
        return lo_cl_finish_grid(ctx, step, launch, &args, name, items, err);
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
        lo_cl_arg_raw(&args, sizeof out_dims, &out_dims);
        lo_cl_arg_raw(&args, sizeof strides, &strides);
        /* [w, h, the leading axes]: see layout.cl's transpose. */
        const size_t w = (size_t)out_dims.s[7], h = (size_t)out_dims.s[6];
        const size_t items[3] = {w, h, w * h > 0 ? (size_t)n / (w * h) : 0};
        return lo_cl_finish_grid(ctx, step, launch, &args, name, items, err);
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
