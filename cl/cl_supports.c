/* What the OpenCL kernels cannot run, asked once per step at plan time. Steps arrive
 * validated by the core (plugin/plan/step_validate.c): shapes consistent, windows and strides
 * in range. What is left is this backend's own limits: the dtypes its kernels are built for,
 * the Gemm chains its kernel takes, and 32-bit int indexing inside the kernels. Messages are
 * the reason alone: the core prefixes the file, node and op.
 */
#include "cl_launch_internal.h"

#include <limits.h>

static const char *const tensor_names[LO_STEP_MAX_INPUTS + 1] = {
    "input 0", "input 1", "input 2", "input 3",   "input 4",
    "input 5", "input 6", "input 7", "the output"};

/* Float everywhere; MaxPool and Copy are also built for uint8 (as T = uchar). */
static lo_status check_dtypes(const lo_step *step, lo_error *err)
{
    const bool uint8_kernel = step->kind == LO_STEP_MAXPOOL || step->kind == LO_STEP_COPY;
    for (int i = 0; i <= step->num_inputs; i++) {
        const lo_tensor_ref *ref = i < step->num_inputs ? &step->inputs[i] : &step->output;
        if (ref->dtype == LO_DTYPE_FLOAT || (uint8_kernel && ref->dtype == LO_DTYPE_UINT8))
            continue;
        return lo_fail(err, LO_ERR_UNSUPPORTED, "%s is %s; the OpenCL kernel takes %s",
                       tensor_names[i < step->num_inputs ? i : LO_STEP_MAX_INPUTS],
                       lo_dtype_name(ref->dtype), uint8_kernel ? "float or uint8" : "float only");
    }
    return LO_OK;
}

/* Every tensor's element count within int. */
static lo_status check_element_counts(const lo_step *step, lo_error *err)
{
    char buf[160];
    for (int i = 0; i <= step->num_inputs; i++) {
        const lo_tensor_ref *ref = i < step->num_inputs ? &step->inputs[i] : &step->output;
        if (!lo_cl_fits_int(lo_shape_numel(&ref->shape)))
            return lo_fail(err, LO_ERR_UNSUPPORTED,
                           "%s of shape %s has more elements than 32-bit indexing reaches",
                           tensor_names[i < step->num_inputs ? i : LO_STEP_MAX_INPUTS],
                           lo_cl_shape_text(&ref->shape, buf, sizeof buf));
    }
    return LO_OK;
}

/* The kernels' int arithmetic on window coordinates must not overflow: each window field
 * within INT_MAX / 4 and out * stride + kernel * dilation + in within INT_MAX / 2. */
static lo_status check_window_int(const lo_shape *x, const lo_shape *y, const int64_t kernel[2],
                                  const int64_t stride[2], const int64_t dilation[2],
                                  const int64_t pad_begin[2], const int64_t pad_end[2],
                                  lo_error *err)
{
    for (int a = 0; a < 2; a++) {
        const int64_t fields[5] = {kernel[a], stride[a], dilation[a], pad_begin[a], pad_end[a]};
        bool fits = y->dims[2 + a] <= INT_MAX && x->dims[2 + a] <= INT_MAX;
        for (int f = 0; f < 5; f++)
            fits = fits && fields[f] <= INT_MAX / 4;
        if (fits)
            fits = y->dims[2 + a] * stride[a] + kernel[a] * dilation[a] + x->dims[2 + a] <=
                   INT_MAX / 2;
        if (!fits)
            return lo_fail(err, LO_ERR_UNSUPPORTED,
                           "axis %d: the window's sizes are too large for 32-bit indexing", a);
    }
    return LO_OK;
}

/* Strides are passed as int. */
static lo_status check_strides_int(int rank, const int64_t *strides, const char *what,
                                   lo_error *err)
{
    for (int d = 0; d < rank; d++)
        if (strides[d] > INT_MAX)
            return lo_fail(err, LO_ERR_UNSUPPORTED,
                           "%s stride %lld on axis %d is past 32-bit indexing", what,
                           (long long)strides[d], d);
    return LO_OK;
}

lo_status lo_cl_step_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    /* No kernel needs a device feature beyond OpenCL 1.2; the tiled kernels' local memory and
     * work-group size are checked at prepare time, where a tile that does not fit takes the
     * direct kernel instead (cl_launch_tiled.c); a Gemm chain's rows must fit local memory
     * (lo_cl_chain_supported: the core then plans the Gemms apart). */
    lo_status status = check_dtypes(step, err);
    if (status == LO_OK) status = check_element_counts(step, err);
    if (status != LO_OK) return status;
    switch (step->kind) {
    case LO_STEP_CONV: {
        const lo_conv_params *p = &step->params.conv;
        /* A pool epilogue: the conv's window runs up to the unstored full output, the pool's
         * from it to Y. */
        const lo_shape full = lo_conv_full_shape(step);
        status = check_window_int(&step->inputs[0].shape, &full, p->kernel, p->stride, p->dilation,
                                  p->pad_begin, p->pad_end, err);
        if (status == LO_OK && p->has_pool) {
            const lo_pool_params *q = &p->pool;
            status = check_window_int(&full, &step->output.shape, q->kernel, q->stride, q->dilation,
                                      q->pad_begin, q->pad_end, err);
        }
        return status;
    }
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL: {
        const lo_pool_params *p = &step->params.pool;
        return check_window_int(&step->inputs[0].shape, &step->output.shape, p->kernel, p->stride,
                                p->dilation, p->pad_begin, p->pad_end, err);
    }
    case LO_STEP_GEMM: /* activation.cl has every activation */
        return LO_OK;
    case LO_STEP_GEMM_CHAIN:
        return lo_cl_chain_supported(ctx, step, err);
    case LO_STEP_PAD: {
        const lo_pad_params *p = &step->params.pad;
        for (int d = 0; d < step->inputs[0].shape.rank; d++)
            if (p->pad_begin[d] < -(int64_t)INT_MAX / 2 || p->pad_begin[d] > INT_MAX / 2)
                return lo_fail(err, LO_ERR_UNSUPPORTED, "axis %d: pad %lld is past 32-bit indexing",
                               d, (long long)p->pad_begin[d]);
        return LO_OK;
    }
    case LO_STEP_BINARY: {
        const lo_binary_params *p = &step->params.binary;
        const int rank = step->output.shape.rank;
        status = check_strides_int(rank, p->a_strides, "A's", err);
        if (status == LO_OK) status = check_strides_int(rank, p->b_strides, "B's", err);
        return status;
    }
    case LO_STEP_SOFTMAX: {
        const lo_softmax_params *p = &step->params.softmax;
        /* One work-item per (outer, inner) row: the count is within the tensor's elements
         * unless the axis is empty. */
        if (p->axis_len == 0 && (p->inner > 0 && p->outer > INT_MAX / p->inner))
            return lo_fail(err, LO_ERR_UNSUPPORTED, "%lld x %lld rows are past 32-bit indexing",
                           (long long)p->outer, (long long)p->inner);
        return LO_OK;
    }
    case LO_STEP_MATMUL: {
        const lo_matmul_params *p = &step->params.matmul;
        status = check_strides_int(p->batch_rank, p->a_strides, "A's batch", err);
        if (status == LO_OK)
            status = check_strides_int(p->batch_rank, p->b_strides, "B's batch", err);
        if (status == LO_OK &&
            (!lo_cl_fits_int(p->m) || !lo_cl_fits_int(p->n) || !lo_cl_fits_int(p->k)))
            status =
                lo_fail(err, LO_ERR_UNSUPPORTED, "[%lld,%lld]x[%lld,%lld] is past 32-bit indexing",
                        (long long)p->m, (long long)p->k, (long long)p->k, (long long)p->n);
        return status;
    }
    case LO_STEP_UNARY: /* every activation has a branch in the unary kernel */
    case LO_STEP_COPY:
    case LO_STEP_CONCAT:
    case LO_STEP_TRANSPOSE:
    case LO_STEP_BATCHNORM:
        return LO_OK;
    }
    return lo_fail(err, LO_ERR_UNSUPPORTED, "step kind %d has no OpenCL kernel", (int)step->kind);
}
