/* Planned steps to kernel launches: per step kind, which kernel, its arguments (bound once,
 * here) and its global and local sizes. A blocked fast path per compute op, chosen when its
 * weights are constants (re-laid out here, on the host, from the plan's image of the weights)
 * and the device prefers float vectors; a direct kernel for everything else.
 */
#include "cl_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Work-items per group of the one-item-per-element kernels: a multiple of every common SIMD
 * width (8, 16, 32, 64) and few enough to split small grids over several cores. */
#define LO_CL_FLAT_LOCAL 64

/* Output pixels per work-item of conv2d_blocked (its PIX): 8 vector accumulators. */
#define LO_CL_CONV_PIX 8
/* Rows of A per work-item of gemm_blocked (its MR) from this many rows on; below, 1. */
#define LO_CL_GEMM_MR 8

/* ---- sizes ---- */

static const char *shape_text(const lo_shape *shape, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < shape->rank && i < LO_MAX_RANK && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? "," : "",
                                 (long long)shape->dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/* ---- messages ---- */

/* "node 'conv1' (Conv+Relu): " + the formatted text. */
static lo_status step_fail(lo_error *err, const lo_step *step, lo_status status, const char *fmt,
                           ...) LO_PRINTF(4, 5);
static lo_status step_fail(lo_error *err, const lo_step *step, lo_status status, const char *fmt,
                           ...)
{
    char text[LENET_ONNX_MESSAGE_SIZE];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return lo_fail(err, status, "node '%s' (%s): %s", step->node_name ? step->node_name : "?",
                   step->label, text);
}

/* ---- validation, shared by supports() and prepare() ---- */

static bool fits_int(int64_t value)
{
    return value >= 0 && value <= INT_MAX;
}

/* Every tensor of the step: known dtype, static shape, element count within int indexing. */
static lo_status check_tensors(const lo_step *step, lo_error *err)
{
    char buf[128];
    if (step->num_inputs < 0 || step->num_inputs > LO_STEP_MAX_INPUTS)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs (at most %d)", step->num_inputs,
                         LO_STEP_MAX_INPUTS);
    for (int i = 0; i <= step->num_inputs; i++) {
        const lo_tensor_ref *ref = i < step->num_inputs ? &step->inputs[i] : &step->output;
        int64_t numel = lo_shape_numel(&ref->shape);
        if (numel < 0)
            return step_fail(err, step, LO_ERR_ARGUMENT, "%s %d has a non-static shape %s",
                             i < step->num_inputs ? "input" : "output", i,
                             shape_text(&ref->shape, buf, sizeof buf));
        if (!fits_int(numel))
            return step_fail(err, step, LO_ERR_UNSUPPORTED,
                             "%s %d of shape %s has more elements than 32-bit indexing reaches",
                             i < step->num_inputs ? "input" : "output", i,
                             shape_text(&ref->shape, buf, sizeof buf));
    }
    return LO_OK;
}

static lo_status check_dtype(const lo_step *step, const lo_tensor_ref *ref, const char *what,
                             bool allow_uint8, lo_error *err)
{
    if (ref->dtype == LO_DTYPE_FLOAT || (allow_uint8 && ref->dtype == LO_DTYPE_UINT8)) return LO_OK;
    return step_fail(err, step, LO_ERR_UNSUPPORTED, "%s is %s; the OpenCL kernel takes %s", what,
                     lo_dtype_name(ref->dtype), allow_uint8 ? "float or uint8" : "float only");
}

static lo_status check_activation(const lo_step *step, lo_activation act, lo_error *err)
{
    if (act == LO_ACT_NONE || act == LO_ACT_RELU) return LO_OK;
    return step_fail(err, step, LO_ERR_UNSUPPORTED, "activation %d has no OpenCL kernel", (int)act);
}

/* Kernel, stride, dilation and pads of a 2-D window op: positive, non-negative, within int. */
static lo_status check_window(const lo_step *step, const int64_t kernel[2], const int64_t stride[2],
                              const int64_t dilation[2], const int64_t pad_begin[2],
                              const int64_t pad_end[2], lo_error *err)
{
    for (int a = 0; a < 2; a++) {
        if (kernel[a] < 1 || stride[a] < 1 || dilation[a] < 1 || pad_begin[a] < 0 ||
            pad_end[a] < 0 || kernel[a] > INT_MAX / 4 || stride[a] > INT_MAX / 4 ||
            dilation[a] > INT_MAX / 4 || pad_begin[a] > INT_MAX / 4 || pad_end[a] > INT_MAX / 4)
            return step_fail(err, step, LO_ERR_ARGUMENT,
                             "axis %d: kernel %lld, stride %lld, dilation %lld, pads %lld/%lld "
                             "out of range",
                             a, (long long)kernel[a], (long long)stride[a], (long long)dilation[a],
                             (long long)pad_begin[a], (long long)pad_end[a]);
    }
    return LO_OK;
}

/* int arithmetic in the kernels on window coordinates must not overflow. */
static bool window_fits_int(const int64_t out[2], const int64_t in[2], const int64_t kernel[2],
                            const int64_t stride[2], const int64_t dilation[2])
{
    for (int a = 0; a < 2; a++) {
        int64_t reach = out[a] * stride[a] + kernel[a] * dilation[a] + in[a];
        if (out[a] > INT_MAX || reach > INT_MAX / 2) return false;
    }
    return true;
}

static lo_status check_conv(const lo_step *step, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_tensor_ref *x = &step->inputs[0], *w = &step->inputs[1], *y = &step->output;
    char xs[128], ws[128], ys[128];
    lo_status status = LO_OK;
    if (step->num_inputs != (p->has_bias ? 3 : 2))
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs with has_bias %d", step->num_inputs,
                         (int)p->has_bias);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = check_dtype(step, &step->inputs[i], i == 0 ? "X" : i == 1 ? "W" : "B", false, err);
    if (status == LO_OK) status = check_dtype(step, y, "Y", false, err);
    if (status == LO_OK) status = check_activation(step, p->activation, err);
    if (status == LO_OK)
        status =
            check_window(step, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end, err);
    if (status != LO_OK) return status;
    if (x->shape.rank != 4 || w->shape.rank != 4 || y->shape.rank != 4)
        return step_fail(err, step, LO_ERR_UNSUPPORTED, "only 2-D convolution: X %s, W %s, Y %s",
                         shape_text(&x->shape, xs, sizeof xs), shape_text(&w->shape, ws, sizeof ws),
                         shape_text(&y->shape, ys, sizeof ys));
    const int64_t N = x->shape.dims[0], C = x->shape.dims[1], M = w->shape.dims[0];
    if (p->group < 1 || C % p->group != 0 || M % p->group != 0 ||
        w->shape.dims[1] != C / p->group || w->shape.dims[2] != p->kernel[0] ||
        w->shape.dims[3] != p->kernel[1] || y->shape.dims[0] != N || y->shape.dims[1] != M)
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "inconsistent shapes: X %s, W %s, Y %s, group %lld, kernel %lldx%lld",
                         shape_text(&x->shape, xs, sizeof xs), shape_text(&w->shape, ws, sizeof ws),
                         shape_text(&y->shape, ys, sizeof ys), (long long)p->group,
                         (long long)p->kernel[0], (long long)p->kernel[1]);
    if (p->has_bias && lo_shape_numel(&step->inputs[2].shape) != M)
        return step_fail(err, step, LO_ERR_ARGUMENT, "bias %s does not hold M = %lld values",
                         shape_text(&step->inputs[2].shape, ws, sizeof ws), (long long)M);
    if (!window_fits_int(y->shape.dims + 2, x->shape.dims + 2, p->kernel, p->stride, p->dilation))
        return step_fail(err, step, LO_ERR_UNSUPPORTED, "sizes too large for 32-bit indexing");
    return LO_OK;
}

static lo_status check_pool(const lo_step *step, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const bool max = step->kind == LO_STEP_MAXPOOL; /* average pooling is float only */
    char xs[128], ys[128];
    if (step->num_inputs != 1)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, pooling takes 1",
                         step->num_inputs);
    const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
    lo_status status = check_dtype(step, x, "X", max, err);
    if (status == LO_OK) status = check_dtype(step, y, "Y", max, err);
    if (status == LO_OK && x->dtype != y->dtype)
        status = step_fail(err, step, LO_ERR_ARGUMENT, "X is %s but Y is %s",
                           lo_dtype_name(x->dtype), lo_dtype_name(y->dtype));
    if (status == LO_OK)
        status =
            check_window(step, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end, err);
    if (status != LO_OK) return status;
    if (x->shape.rank != 4 || y->shape.rank != 4)
        return step_fail(err, step, LO_ERR_UNSUPPORTED, "only 2-D pooling: X %s, Y %s",
                         shape_text(&x->shape, xs, sizeof xs),
                         shape_text(&y->shape, ys, sizeof ys));
    if (x->shape.dims[0] != y->shape.dims[0] || x->shape.dims[1] != y->shape.dims[1])
        return step_fail(err, step, LO_ERR_ARGUMENT, "X %s and Y %s differ in N or C",
                         shape_text(&x->shape, xs, sizeof xs),
                         shape_text(&y->shape, ys, sizeof ys));
    if (!window_fits_int(y->shape.dims + 2, x->shape.dims + 2, p->kernel, p->stride, p->dilation))
        return step_fail(err, step, LO_ERR_UNSUPPORTED, "sizes too large for 32-bit indexing");
    return LO_OK;
}

/* Strides of C over [M, N] (0 along a broadcast axis), or false when C cannot broadcast. */
static bool gemm_c_strides(const lo_shape *c, int64_t M, int64_t N, int64_t *sm, int64_t *sn)
{
    *sm = 0;
    *sn = 0;
    if (c->rank == 0) return true;
    if (c->rank == 1) {
        if (c->dims[0] != 1 && c->dims[0] != N) return false;
        *sn = c->dims[0] == 1 ? 0 : 1;
        return true;
    }
    if (c->rank == 2) {
        if ((c->dims[0] != 1 && c->dims[0] != M) || (c->dims[1] != 1 && c->dims[1] != N))
            return false;
        *sm = c->dims[0] == 1 ? 0 : c->dims[1];
        *sn = c->dims[1] == 1 ? 0 : 1;
        return true;
    }
    return false;
}

static lo_status check_gemm(const lo_step *step, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    char as[128], bs[128], ys[128];
    lo_status status = LO_OK;
    if (step->num_inputs != (p->has_c ? 3 : 2))
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs with has_c %d", step->num_inputs,
                         (int)p->has_c);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = check_dtype(step, &step->inputs[i], i == 0 ? "A" : i == 1 ? "B" : "C", false, err);
    if (status == LO_OK) status = check_dtype(step, &step->output, "Y", false, err);
    if (status == LO_OK) status = check_activation(step, p->activation, err);
    if (status != LO_OK) return status;
    const lo_shape *a = &step->inputs[0].shape, *b = &step->inputs[1].shape,
                   *y = &step->output.shape;
    if (a->rank != 2 || b->rank != 2 || y->rank != 2)
        return step_fail(err, step, LO_ERR_ARGUMENT, "A %s, B %s and Y %s must be matrices",
                         shape_text(a, as, sizeof as), shape_text(b, bs, sizeof bs),
                         shape_text(y, ys, sizeof ys));
    const int64_t M = p->trans_a ? a->dims[1] : a->dims[0];
    const int64_t K = p->trans_a ? a->dims[0] : a->dims[1];
    const int64_t KB = p->trans_b ? b->dims[1] : b->dims[0];
    const int64_t N = p->trans_b ? b->dims[0] : b->dims[1];
    if (K != KB || y->dims[0] != M || y->dims[1] != N)
        return step_fail(
            err, step, LO_ERR_ARGUMENT, "A %s (trans_a %d) and B %s (trans_b %d) do not make Y %s",
            shape_text(a, as, sizeof as), (int)p->trans_a, shape_text(b, bs, sizeof bs),
            (int)p->trans_b, shape_text(y, ys, sizeof ys));
    int64_t sm, sn;
    if (p->has_c && !gemm_c_strides(&step->inputs[2].shape, M, N, &sm, &sn))
        return step_fail(err, step, LO_ERR_ARGUMENT, "C %s does not broadcast to [%lld,%lld]",
                         shape_text(&step->inputs[2].shape, as, sizeof as), (long long)M,
                         (long long)N);
    return LO_OK;
}

/* Inputs past the first (Clip's constant bounds, up to max_inputs) are not read: their values
 * are in the params. */
static lo_status check_elementwise(const lo_step *step, bool allow_uint8, int max_inputs,
                                   lo_error *err)
{
    if (step->num_inputs < 1 || step->num_inputs > max_inputs)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 1 to %d",
                         step->num_inputs, max_inputs);
    const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
    lo_status status = check_dtype(step, x, "X", allow_uint8, err);
    if (status == LO_OK) status = check_dtype(step, y, "Y", allow_uint8, err);
    if (status == LO_OK && x->dtype != y->dtype)
        status = step_fail(err, step, LO_ERR_ARGUMENT, "X is %s but Y is %s",
                           lo_dtype_name(x->dtype), lo_dtype_name(y->dtype));
    if (status == LO_OK && lo_shape_numel(&x->shape) != lo_shape_numel(&y->shape))
        status =
            step_fail(err, step, LO_ERR_ARGUMENT, "X has %lld elements but Y %lld",
                      (long long)lo_shape_numel(&x->shape), (long long)lo_shape_numel(&y->shape));
    return status;
}

/* Pad, Transpose: one float input and output of the same rank, at most 8 (the kernels' int8). */
static lo_status check_layout_1(const lo_step *step, lo_error *err)
{
    if (step->num_inputs != 1)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 1", step->num_inputs);
    const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
    lo_status status = check_dtype(step, x, "X", false, err);
    if (status == LO_OK) status = check_dtype(step, y, "Y", false, err);
    if (status == LO_OK && (x->shape.rank != y->shape.rank || x->shape.rank > 8))
        status = step_fail(err, step, LO_ERR_ARGUMENT, "X has rank %d and Y rank %d (at most 8)",
                           x->shape.rank, y->shape.rank);
    return status;
}

static lo_status check_pad(const lo_step *step, lo_error *err)
{
    lo_status status = check_layout_1(step, err);
    if (status != LO_OK) return status;
    const lo_pad_params *p = &step->params.pad;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    for (int d = 0; d < x->rank; d++)
        if (p->pad_begin[d] < -(int64_t)INT_MAX / 2 || p->pad_begin[d] > INT_MAX / 2 ||
            x->dims[d] + p->pad_begin[d] + p->pad_end[d] != y->dims[d])
            return step_fail(err, step, LO_ERR_ARGUMENT,
                             "axis %d: input %lld with pads %lld/%lld does not give output %lld", d,
                             (long long)x->dims[d], (long long)p->pad_begin[d],
                             (long long)p->pad_end[d], (long long)y->dims[d]);
    return LO_OK;
}

static lo_status check_transpose(const lo_step *step, lo_error *err)
{
    lo_status status = check_layout_1(step, err);
    if (status != LO_OK) return status;
    const int *perm = step->params.transpose.perm;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    bool seen[LO_MAX_RANK] = {false};
    for (int d = 0; d < x->rank; d++) {
        if (perm[d] < 0 || perm[d] >= x->rank || seen[perm[d]] || y->dims[d] != x->dims[perm[d]])
            return step_fail(err, step, LO_ERR_ARGUMENT,
                             "perm[%d] = %d is not a permutation matching the shapes", d, perm[d]);
        seen[perm[d]] = true;
    }
    return LO_OK;
}

static lo_status check_concat(const lo_step *step, lo_error *err)
{
    const int axis = step->params.concat.axis;
    const lo_shape *y = &step->output.shape;
    lo_status status = check_dtype(step, &step->output, "Y", false, err);
    if (status != LO_OK) return status;
    if (step->num_inputs < 1 || axis < 0 || axis >= y->rank)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, axis %d, output rank %d",
                         step->num_inputs, axis, y->rank);
    int64_t total = 0;
    for (int i = 0; i < step->num_inputs; i++) {
        const lo_shape *x = &step->inputs[i].shape;
        if ((status = check_dtype(step, &step->inputs[i], "input", false, err)) != LO_OK)
            return status;
        bool same = x->rank == y->rank;
        for (int d = 0; same && d < y->rank; d++)
            same = d == axis || x->dims[d] == y->dims[d];
        if (!same)
            return step_fail(err, step, LO_ERR_ARGUMENT,
                             "input %d's dims off axis %d differ from the output's", i, axis);
        total += x->dims[axis];
    }
    if (total != y->dims[axis])
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "the inputs hold %lld along axis %d, the output %lld", (long long)total,
                         axis, (long long)y->dims[axis]);
    return LO_OK;
}

static lo_status check_unary(const lo_step *step, lo_error *err)
{
    const lo_unary_params *p = &step->params.unary;
    lo_status status = check_elementwise(step, false, 3, err);
    if (status != LO_OK) return status;
    const int bounds[2] = {p->min_input, p->max_input};
    for (int b = 0; b < 2; b++)
        if (bounds[b] != 0 && (bounds[b] < 1 || bounds[b] >= step->num_inputs ||
                               step->inputs[bounds[b]].dtype != LO_DTYPE_FLOAT ||
                               lo_shape_numel(&step->inputs[bounds[b]].shape) != 1))
            return step_fail(err, step, LO_ERR_ARGUMENT,
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
    return step_fail(err, step, LO_ERR_UNSUPPORTED, "activation %d has no OpenCL kernel",
                     (int)p->op);
}

static lo_status check_all_float(const lo_step *step, lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_status status = LO_OK;
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = check_dtype(step, &step->inputs[i], names[i], false, err);
    if (status == LO_OK) status = check_dtype(step, &step->output, "Y", false, err);
    return status;
}

/* The furthest element `strides` reach over `dims` stays inside the input, and so within int. */
static bool strides_fit(const lo_shape *input, int rank, const int64_t *dims,
                        const int64_t *strides)
{
    int64_t reach = 0;
    for (int d = 0; d < rank; d++) {
        if (strides[d] < 0 || strides[d] > INT_MAX) return false;
        if (dims[d] > 0) reach += (dims[d] - 1) * strides[d];
        if (reach > INT_MAX) return false;
    }
    return lo_shape_numel(input) == 0 || reach < lo_shape_numel(input);
}

static lo_status check_binary(const lo_step *step, lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    char as[128], bs[128], ys[128];
    if (step->num_inputs != 2)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 2", step->num_inputs);
    lo_status status = check_all_float(step, err);
    if (status != LO_OK) return status;
    if (p->op < LO_BIN_ADD || p->op > LO_BIN_PRELU)
        return step_fail(err, step, LO_ERR_UNSUPPORTED, "binary op %d has no OpenCL kernel",
                         (int)p->op);
    const lo_shape *y = &step->output.shape;
    if (!strides_fit(&step->inputs[0].shape, y->rank, y->dims, p->a_strides) ||
        !strides_fit(&step->inputs[1].shape, y->rank, y->dims, p->b_strides))
        return step_fail(
            err, step, LO_ERR_ARGUMENT, "broadcast strides reach past A %s or B %s for Y %s",
            shape_text(&step->inputs[0].shape, as, sizeof as),
            shape_text(&step->inputs[1].shape, bs, sizeof bs), shape_text(y, ys, sizeof ys));
    return LO_OK;
}

static lo_status check_softmax(const lo_step *step, lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    lo_status status = check_elementwise(step, false, 1, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->output.shape);
    if (p->outer < 0 || p->axis_len < 0 || p->inner < 0 || !fits_int(p->outer * p->inner) ||
        p->outer * p->axis_len * p->inner != n)
        return step_fail(err, step, LO_ERR_ARGUMENT, "[%lld,%lld,%lld] does not hold %lld elements",
                         (long long)p->outer, (long long)p->axis_len, (long long)p->inner,
                         (long long)n);
    return LO_OK;
}

static lo_status check_batchnorm(const lo_step *step, lo_error *err)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    if (step->num_inputs != 5)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 5", step->num_inputs);
    lo_status status = check_all_float(step, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->inputs[0].shape);
    if (p->channels < 1 || p->inner < 1 || n % (p->channels * p->inner) != 0 ||
        lo_shape_numel(&step->output.shape) != n)
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "%lld channels of %lld do not tile %lld elements", (long long)p->channels,
                         (long long)p->inner, (long long)n);
    for (int i = 1; i < 5; i++)
        if (lo_shape_numel(&step->inputs[i].shape) != p->channels)
            return step_fail(err, step, LO_ERR_ARGUMENT, "input %d does not hold %lld values", i,
                             (long long)p->channels);
    return LO_OK;
}

static lo_status check_matmul(const lo_step *step, lo_error *err)
{
    const lo_matmul_params *p = &step->params.matmul;
    if (step->num_inputs != 2)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 2", step->num_inputs);
    lo_status status = check_all_float(step, err);
    if (status != LO_OK) return status;
    int64_t batch = 1;
    bool ok =
        p->batch_rank >= 0 && p->batch_rank <= LO_MAX_RANK && p->m >= 0 && p->n >= 0 && p->k >= 0;
    for (int d = 0; ok && d < p->batch_rank; d++) {
        ok = p->batch_dims[d] >= 0;
        batch *= p->batch_dims[d];
    }
    const lo_shape *as = &step->inputs[0].shape, *bs = &step->inputs[1].shape;
    ok = ok && batch * p->m * p->n == lo_shape_numel(&step->output.shape) &&
         strides_fit(as, p->batch_rank, p->batch_dims, p->a_strides) &&
         strides_fit(bs, p->batch_rank, p->batch_dims, p->b_strides);
    /* Each operand's last matrix must end inside it. */
    if (ok && batch > 0 && p->m > 0 && p->n > 0 && p->k > 0) {
        int64_t ra = p->m * p->k, rb = p->k * p->n;
        for (int d = 0; d < p->batch_rank; d++) {
            ra += (p->batch_dims[d] - 1) * p->a_strides[d];
            rb += (p->batch_dims[d] - 1) * p->b_strides[d];
        }
        ok = ra <= lo_shape_numel(as) && rb <= lo_shape_numel(bs) && fits_int(ra) && fits_int(rb);
    }
    if (!ok)
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "batch of %lld [%lld,%lld]x[%lld,%lld] products does not fit its tensors",
                         (long long)batch, (long long)p->m, (long long)p->k, (long long)p->k,
                         (long long)p->n);
    return LO_OK;
}

lo_status lo_cl_step_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx; /* no kernel uses local memory or needs a device feature beyond OpenCL 1.2 */
    lo_status status = check_tensors(step, err);
    if (status != LO_OK) return status;
    switch (step->kind) {
    case LO_STEP_CONV:
        return check_conv(step, err);
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        return check_pool(step, err);
    case LO_STEP_PAD:
        return check_pad(step, err);
    case LO_STEP_CONCAT:
        return check_concat(step, err);
    case LO_STEP_TRANSPOSE:
        return check_transpose(step, err);
    case LO_STEP_GEMM:
        return check_gemm(step, err);
    case LO_STEP_UNARY:
        return check_unary(step, err);
    case LO_STEP_COPY:
        return check_elementwise(step, true, 1, err);
    case LO_STEP_BINARY:
        return check_binary(step, err);
    case LO_STEP_SOFTMAX:
        return check_softmax(step, err);
    case LO_STEP_BATCHNORM:
        return check_batchnorm(step, err);
    case LO_STEP_MATMUL:
        return check_matmul(step, err);
    }
    return step_fail(err, step, LO_ERR_UNSUPPORTED, "step kind %d has no OpenCL kernel",
                     (int)step->kind);
}

/* ---- argument binding ---- */

/* Binds arguments in order, keeping the first failure so a launch is set up in one run. */
typedef struct lo_cl_args {
    cl_kernel kernel;
    cl_uint next;
    cl_int rc;
    cl_uint failed;
} lo_cl_args;

static void arg_raw(lo_cl_args *args, size_t size, const void *value)
{
    if (args->rc == CL_SUCCESS) {
        args->rc = clSetKernelArg(args->kernel, args->next, size, value);
        if (args->rc != CL_SUCCESS) args->failed = args->next;
    }
    args->next++;
}

static void arg_mem(lo_cl_args *args, cl_mem mem)
{
    arg_raw(args, sizeof mem, &mem);
}

static void arg_int(lo_cl_args *args, int64_t value)
{
    cl_int v = (cl_int)value; /* callers checked the range */
    arg_raw(args, sizeof v, &v);
}

static void arg_float(lo_cl_args *args, float value)
{
    cl_float v = value;
    arg_raw(args, sizeof v, &v);
}

/* A tensor as kernel arguments: its buffer and its offset in elements. */
typedef struct lo_cl_tensor {
    cl_mem mem;
    int64_t offset; /* elements */
} lo_cl_tensor;

static lo_status place_tensor(const lo_step *step, const lo_cl_buffers *buffers,
                              const lo_tensor_ref *ref, const char *what, lo_cl_tensor *out,
                              lo_error *err)
{
    const bool in_weights = ref->buffer == LO_BUFFER_WEIGHTS;
    if (ref->buffer != LO_BUFFER_ARENA && !in_weights)
        return step_fail(err, step, LO_ERR_ARGUMENT, "%s names buffer %d", what, (int)ref->buffer);
    const size_t esize = lo_dtype_size(ref->dtype);
    const size_t bytes = lo_tensor_ref_bytes(ref);
    const size_t capacity = in_weights ? buffers->weights_bytes : buffers->arena_bytes;
    if (ref->offset % esize != 0)
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "%s at byte offset %zu is not aligned to its %zu-byte elements", what,
                         ref->offset, esize);
    if (ref->offset > capacity || bytes > capacity - ref->offset)
        return step_fail(err, step, LO_ERR_ARGUMENT,
                         "%s (%zu bytes at offset %zu) runs past the %s buffer (%zu bytes)", what,
                         bytes, ref->offset, in_weights ? "weights" : "arena", capacity);
    const uint64_t end = ref->offset / esize + bytes / esize;
    if (end > INT_MAX)
        return step_fail(err, step, LO_ERR_UNSUPPORTED,
                         "%s ends at element %llu, past 32-bit indexing", what,
                         (unsigned long long)end);
    out->mem = in_weights ? buffers->weights : buffers->arena;
    out->offset = (int64_t)(ref->offset / esize);
    return LO_OK;
}

static lo_status make_kernel(lo_backend_context *ctx, const lo_step *step, const char *program_name,
                             const char *options, const char *kernel_name, cl_kernel *out,
                             lo_error *err)
{
    cl_program program = NULL;
    lo_status status = lo_cl_get_program(ctx, program_name, options, &program, err);
    if (status != LO_OK) {
        lo_fail_prefix(err, "node '%s' (%s): ", step->node_name ? step->node_name : "?",
                       step->label);
        return status;
    }
    cl_int rc = CL_SUCCESS;
    *out = clCreateKernel(program, kernel_name, &rc);
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return step_fail(err, step, lo_cl_status_of(rc), "clCreateKernel(%s) failed: %s",
                         kernel_name, lo_cl_error_name(rc));
    }
    return LO_OK;
}

static size_t round_up(size_t value, size_t multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

/* The launch's local size along dimension 0 (1 along the others), within the kernel's limit,
 * and its global size rounded up to it; the kernels skip the work-items past the end. */
static lo_status set_sizes(const lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                           cl_uint dims, const size_t items[3], size_t want_local, lo_error *err)
{
    size_t max_group = 0;
    cl_ulong local_mem = 0;
    cl_int rc = clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                         sizeof max_group, &max_group, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_LOCAL_MEM_SIZE,
                                      sizeof local_mem, &local_mem, NULL);
    if (rc != CL_SUCCESS)
        return step_fail(err, step, LO_ERR_DEVICE, "clGetKernelWorkGroupInfo failed: %s",
                         lo_cl_error_name(rc));
    if (local_mem > ctx->local_mem_bytes)
        return step_fail(err, step, LO_ERR_UNSUPPORTED,
                         "kernel needs %llu bytes of local memory, the device has %llu",
                         (unsigned long long)local_mem, (unsigned long long)ctx->local_mem_bytes);
    size_t local = want_local;
    if (local > max_group) local = max_group;
    if (local > ctx->max_work_group_size) local = ctx->max_work_group_size;
    if (local < 1) local = 1;
    launch->dims = dims;
    launch->empty = false;
    for (cl_uint d = 0; d < 3; d++) {
        launch->local[d] = d == 0 ? local : 1;
        launch->global[d] = d < dims ? round_up(items[d], launch->local[d]) : 1;
        if (d < dims && items[d] == 0) launch->empty = true;
    }
    return LO_OK;
}

static lo_status create_constant_buffer(lo_backend_context *ctx, const lo_step *step,
                                        const float *data, size_t count, cl_mem *out, lo_error *err)
{
    cl_int rc = CL_SUCCESS;
    *out = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                          count * sizeof(float), (void *)data, &rc);
    if (rc != CL_SUCCESS) {
        *out = NULL;
        return step_fail(err, step, lo_cl_status_of(rc),
                         "clCreateBuffer (%zu bytes of re-laid-out weights) failed: %s",
                         count * sizeof(float), lo_cl_error_name(rc));
    }
    return LO_OK;
}

static int vector_width(const lo_backend_context *ctx)
{
    return ctx->preferred_float_width >= 16 ? 16 : 8;
}

/* The blocked kernels pay off where the device prefers float vectors (CPUs); GPUs, which
 * report a preferred width of 1, run the direct kernels' one item per output. */
static bool blocked_allowed(const lo_backend_context *ctx)
{
    return !ctx->generic_only && ctx->preferred_float_width >= 8;
}

/* ---- Conv ---- */

static lo_status prepare_conv(lo_backend_context *ctx, const lo_step *step,
                              const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t N = xs->dims[0], C = xs->dims[1], H = xs->dims[2], W = xs->dims[3];
    const int64_t M = ys->dims[1], OH = ys->dims[2], OW = ys->dims[3];
    const int64_t G = p->group, Cg = C / G, Mg = M / G, KH = p->kernel[0], KW = p->kernel[1];
    const int vec = vector_width(ctx);
    const int64_t MgB = (Mg + vec - 1) / vec;
    const int64_t packed_w = G * MgB * Cg * KH * KW * vec, packed_b = G * MgB * vec;
    float *packed = NULL;
    lo_cl_tensor x, w, b = {NULL, 0}, y;
    char options[64];
    lo_status status = place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->inputs[1], "W", &w, err);
    if (status == LO_OK && p->has_bias)
        status = place_tensor(step, buffers, &step->inputs[2], "B", &b, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;

    const bool constant_weights = step->inputs[1].buffer == LO_BUFFER_WEIGHTS &&
                                  buffers->weights_host &&
                                  (!p->has_bias || step->inputs[2].buffer == LO_BUFFER_WEIGHTS);
    const bool blocked = blocked_allowed(ctx) && constant_weights && Mg >= 4 && Cg > 0 &&
                         fits_int(packed_w + packed_b) && fits_int(N * C * H * W);
    /* Common square windows are unrolled at build time (a measured 15-25% on PoCL); one
     * program per such size, the rest share the runtime-window program. */
    const bool fixed =
        blocked && KH == KW && p->dilation[1] == 1 && (KW == 1 || KW == 3 || KW == 5 || KW == 7);
    if (fixed)
        snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d -DFIXED_K=%d", vec, LO_CL_CONV_PIX,
                 (int)KW);
    else
        snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d", vec, LO_CL_CONV_PIX);
    status = make_kernel(ctx, step, "conv", options, blocked ? "conv2d_blocked" : "conv2d_direct",
                         &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    const int act = p->activation == LO_ACT_RELU ? 1 : 0;
    if (blocked) {
        /* [g][block][c][kh][kw][vec] then the bias as [g][block][vec], zero past Mg. */
        packed = lo_calloc((size_t)(packed_w + packed_b), sizeof *packed);
        if (!packed) {
            status =
                step_fail(err, step, LO_ERR_NO_MEMORY, "out of memory re-laying out %lld weights",
                          (long long)(packed_w + packed_b));
            goto done;
        }
        const unsigned char *host = buffers->weights_host;
        const float *wsrc = (const float *)(const void *)(host + step->inputs[1].offset);
        const float *bsrc =
            p->has_bias ? (const float *)(const void *)(host + step->inputs[2].offset) : NULL;
        const int64_t KK = KH * KW;
        for (int64_t m = 0; m < M; m++) {
            const int64_t g = m / Mg, mg = m % Mg, gb = g * MgB + mg / vec, j = mg % vec;
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t k = 0; k < KK; k++)
                    packed[((gb * Cg + c) * KK + k) * vec + j] = wsrc[(m * Cg + c) * KK + k];
            if (bsrc) packed[packed_w + gb * vec + j] = bsrc[m];
        }
        status = create_constant_buffer(ctx, step, packed, (size_t)(packed_w + packed_b),
                                        &launch->extra, err);
        if (status != LO_OK) goto done;
        arg_mem(&args, x.mem);
        arg_int(&args, x.offset);
        arg_mem(&args, launch->extra);
        arg_int(&args, 0);
        arg_int(&args, packed_w);
        arg_mem(&args, y.mem);
        arg_int(&args, y.offset);
        arg_int(&args, C);
        arg_int(&args, Cg);
        arg_int(&args, H);
        arg_int(&args, W);
        arg_int(&args, M);
        arg_int(&args, Mg);
        arg_int(&args, MgB);
        arg_int(&args, OH);
        arg_int(&args, OW);
        arg_int(&args, KH);
        arg_int(&args, KW);
        arg_int(&args, p->stride[0]);
        arg_int(&args, p->stride[1]);
        arg_int(&args, p->dilation[0]);
        arg_int(&args, p->dilation[1]);
        arg_int(&args, p->pad_begin[0]);
        arg_int(&args, p->pad_begin[1]);
        arg_int(&args, act);
        launch->variant = fixed ? "conv2d_blocked[fixed window]" : "conv2d_blocked";
        const size_t items[3] = {(size_t)((OH * OW + LO_CL_CONV_PIX - 1) / LO_CL_CONV_PIX),
                                 (size_t)(G * MgB), (size_t)N};
        /* A small group (the SIMD width a kernel prefers) spreads even batch 1 over cores. */
        size_t multiple = 8;
        clGetKernelWorkGroupInfo(launch->kernel, ctx->device,
                                 CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof multiple,
                                 &multiple, NULL);
        status = set_sizes(ctx, step, launch, 3, items, multiple, err);
    } else {
        arg_mem(&args, x.mem);
        arg_int(&args, x.offset);
        arg_mem(&args, w.mem);
        arg_int(&args, w.offset);
        arg_mem(&args, p->has_bias ? b.mem : w.mem);
        arg_int(&args, b.offset);
        arg_int(&args, p->has_bias ? 1 : 0);
        arg_mem(&args, y.mem);
        arg_int(&args, y.offset);
        arg_int(&args, N);
        arg_int(&args, C);
        arg_int(&args, H);
        arg_int(&args, W);
        arg_int(&args, M);
        arg_int(&args, OH);
        arg_int(&args, OW);
        arg_int(&args, G);
        arg_int(&args, KH);
        arg_int(&args, KW);
        arg_int(&args, p->stride[0]);
        arg_int(&args, p->stride[1]);
        arg_int(&args, p->dilation[0]);
        arg_int(&args, p->dilation[1]);
        arg_int(&args, p->pad_begin[0]);
        arg_int(&args, p->pad_begin[1]);
        arg_int(&args, act);
        launch->variant = "conv2d_direct";
        const size_t items[3] = {(size_t)lo_shape_numel(ys), 1, 1};
        status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    }
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                           launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
done:
    lo_free(packed);
    return status;
}

/* ---- MaxPool ---- */

static lo_status prepare_pool(lo_backend_context *ctx, const lo_step *step,
                              const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t NC = xs->dims[0] * xs->dims[1], H = xs->dims[2], W = xs->dims[3];
    const int64_t OH = ys->dims[2], OW = ys->dims[3];
    const bool u8 = step->inputs[0].dtype == LO_DTYPE_UINT8;
    lo_cl_tensor x, y;
    lo_status status = place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;
    /* 2x2, stride 2, no dilation and every window inside the input (no padding in reach). */
    const bool two_by_two = !ctx->generic_only && p->kernel[0] == 2 && p->kernel[1] == 2 &&
                            p->stride[0] == 2 && p->stride[1] == 2 && p->dilation[0] == 1 &&
                            p->dilation[1] == 1 && p->pad_begin[0] == 0 && p->pad_begin[1] == 0 &&
                            2 * OH <= H && 2 * OW <= W;
    const char *name = two_by_two ? "maxpool2d_2x2" : "maxpool2d";
    status = make_kernel(ctx, step, "pool",
                         u8 ? "-DT=uchar -DT_LOWEST=0" : "-DT=float -DT_LOWEST=(-INFINITY)", name,
                         &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    arg_mem(&args, x.mem);
    arg_int(&args, x.offset);
    arg_mem(&args, y.mem);
    arg_int(&args, y.offset);
    arg_int(&args, NC);
    arg_int(&args, H);
    arg_int(&args, W);
    arg_int(&args, OH);
    arg_int(&args, OW);
    if (!two_by_two) {
        arg_int(&args, p->kernel[0]);
        arg_int(&args, p->kernel[1]);
        arg_int(&args, p->stride[0]);
        arg_int(&args, p->stride[1]);
        arg_int(&args, p->dilation[0]);
        arg_int(&args, p->dilation[1]);
        arg_int(&args, p->pad_begin[0]);
        arg_int(&args, p->pad_begin[1]);
    }
    launch->variant = name;
    /* maxpool2d_2x2 computes eight outputs of a row per work-item. */
    const size_t items[3] = {
        two_by_two ? (size_t)(NC * OH * ((OW + 7) / 8)) : (size_t)lo_shape_numel(ys), 1, 1};
    status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s", name,
                           (unsigned)args.failed, lo_cl_error_name(args.rc));
    return status;
}

/* ---- AveragePool ---- */

static lo_status prepare_avgpool(lo_backend_context *ctx, const lo_step *step,
                                 const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    lo_cl_tensor x, y;
    lo_status status = place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status == LO_OK)
        status = make_kernel(ctx, step, "pool", "", "avgpool2d", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    arg_mem(&args, x.mem);
    arg_int(&args, x.offset);
    arg_mem(&args, y.mem);
    arg_int(&args, y.offset);
    arg_int(&args, xs->dims[0] * xs->dims[1]);
    arg_int(&args, xs->dims[2]);
    arg_int(&args, xs->dims[3]);
    arg_int(&args, ys->dims[2]);
    arg_int(&args, ys->dims[3]);
    for (int a = 0; a < 2; a++)
        arg_int(&args, p->kernel[a]);
    for (int a = 0; a < 2; a++)
        arg_int(&args, p->stride[a]);
    for (int a = 0; a < 2; a++)
        arg_int(&args, p->dilation[a]);
    for (int a = 0; a < 2; a++)
        arg_int(&args, p->pad_begin[a]);
    for (int a = 0; a < 2; a++)
        arg_int(&args, p->pad_end[a]);
    arg_int(&args, p->count_include_pad ? 1 : 0);
    launch->variant = "avgpool2d";
    const size_t items[3] = {(size_t)lo_shape_numel(ys), 1, 1};
    status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(avgpool2d, %u) failed: %s",
                           (unsigned)args.failed, lo_cl_error_name(args.rc));
    return status;
}

/* ---- Pad, Transpose, Concat ---- */

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

static lo_status prepare_layout(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_shape *ys = &step->output.shape;
    const int64_t n = lo_shape_numel(ys);
    const char *name = step->kind == LO_STEP_PAD         ? "pad"
                       : step->kind == LO_STEP_TRANSPOSE ? "transpose"
                                                         : "concat";
    lo_cl_tensor x[LO_STEP_MAX_INPUTS], y;
    lo_status status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = place_tensor(step, buffers, &step->inputs[i], "X", &x[i], err);
    if (status == LO_OK) status = make_kernel(ctx, step, "layout", "", name, &launch->kernel, err);
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
        arg_mem(&args, x[0].mem);
        arg_int(&args, x[0].offset);
        arg_mem(&args, y.mem);
        arg_int(&args, y.offset);
        arg_int(&args, n);
        arg_raw(&args, sizeof out_dims, &out_dims);
        arg_raw(&args, sizeof in_dims, &in_dims);
        arg_raw(&args, sizeof begin, &begin);
        arg_float(&args, step->params.pad.value);
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
        arg_mem(&args, x[0].mem);
        arg_int(&args, x[0].offset);
        arg_mem(&args, y.mem);
        arg_int(&args, y.offset);
        arg_int(&args, n);
        arg_raw(&args, sizeof out_dims, &out_dims);
        arg_raw(&args, sizeof strides, &strides);
    } else {
        const int axis = step->params.concat.axis;
        int64_t inner = 1;
        for (int d = axis + 1; d < ys->rank; d++)
            inner *= ys->dims[d];
        cl_int8 offsets, sizes;
        for (int i = 0; i < 8; i++) {
            const bool used = i < step->num_inputs;
            arg_mem(&args, used ? x[i].mem : y.mem); /* unused slots are never read */
            offsets.s[i] = used ? (cl_int)x[i].offset : 0;
            sizes.s[i] = used ? (cl_int)step->inputs[i].shape.dims[axis] : 0;
        }
        arg_raw(&args, sizeof offsets, &offsets);
        arg_raw(&args, sizeof sizes, &sizes);
        arg_mem(&args, y.mem);
        arg_int(&args, y.offset);
        arg_int(&args, n);
        arg_int(&args, ys->dims[axis] > 0 ? ys->dims[axis] : 1);
        arg_int(&args, inner > 0 ? inner : 1);
    }
    launch->variant = name;
    const size_t items[3] = {(size_t)n, 1, 1};
    status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s", name,
                           (unsigned)args.failed, lo_cl_error_name(args.rc));
    return status;
}

/* ---- Gemm ---- */

static lo_status prepare_gemm(lo_backend_context *ctx, const lo_step *step,
                              const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    const lo_shape *as = &step->inputs[0].shape;
    const int64_t M = step->output.shape.dims[0], N = step->output.shape.dims[1];
    const int64_t K = p->trans_a ? as->dims[0] : as->dims[1];
    const int vec = vector_width(ctx);
    const int64_t NB = (N + vec - 1) / vec;
    const int mr = M >= LO_CL_GEMM_MR ? LO_CL_GEMM_MR : 1;
    float *packed = NULL;
    lo_cl_tensor a, b, c = {NULL, 0}, y;
    int64_t c_sm = 0, c_sn = 0;
    char options[64];
    lo_status status = place_tensor(step, buffers, &step->inputs[0], "A", &a, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->inputs[1], "B", &b, err);
    if (status == LO_OK && p->has_c)
        status = place_tensor(step, buffers, &step->inputs[2], "C", &c, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;
    if (p->has_c) gemm_c_strides(&step->inputs[2].shape, M, N, &c_sm, &c_sn);

    const bool blocked = blocked_allowed(ctx) && step->inputs[1].buffer == LO_BUFFER_WEIGHTS &&
                         buffers->weights_host && K > 0 && N > 0 && fits_int(K * NB * vec);
    snprintf(options, sizeof options, "-DVEC=%d -DMR=%d", vec, blocked ? mr : LO_CL_GEMM_MR);
    status = make_kernel(ctx, step, "gemm", options, blocked ? "gemm_blocked" : "gemm_direct",
                         &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    const int act = p->activation == LO_ACT_RELU ? 1 : 0;
    arg_mem(&args, a.mem);
    arg_int(&args, a.offset);
    if (blocked) {
        /* op(B) as [K][NB * vec], zero past N. */
        const size_t count = (size_t)(K * NB * vec);
        packed = lo_calloc(count, sizeof *packed);
        if (!packed) {
            status = step_fail(err, step, LO_ERR_NO_MEMORY,
                               "out of memory re-laying out %zu weights", count);
            goto done;
        }
        const unsigned char *host = buffers->weights_host;
        const float *src = (const float *)(const void *)(host + step->inputs[1].offset);
        for (int64_t k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++)
                packed[k * NB * vec + n] = p->trans_b ? src[n * K + k] : src[k * N + n];
        status = create_constant_buffer(ctx, step, packed, count, &launch->extra, err);
        if (status != LO_OK) goto done;
        arg_mem(&args, launch->extra);
        arg_int(&args, 0);
    } else {
        arg_mem(&args, b.mem);
        arg_int(&args, b.offset);
    }
    arg_mem(&args, p->has_c ? c.mem : y.mem);
    arg_int(&args, c.offset);
    arg_int(&args, p->has_c ? 1 : 0);
    arg_int(&args, c_sm);
    arg_int(&args, c_sn);
    arg_mem(&args, y.mem);
    arg_int(&args, y.offset);
    arg_int(&args, M);
    arg_int(&args, N);
    arg_int(&args, K);
    if (blocked) {
        arg_int(&args, NB);
        arg_int(&args, p->trans_a ? 1 : 0);
    } else {
        arg_int(&args, p->trans_a ? 1 : 0);
        arg_int(&args, p->trans_b ? 1 : 0);
    }
    arg_float(&args, p->alpha);
    arg_float(&args, p->beta);
    arg_int(&args, act);
    if (blocked) {
        launch->variant = mr == 1 ? "gemm_blocked[MR=1]" : "gemm_blocked";
        const size_t items[3] = {(size_t)NB, (size_t)((M + mr - 1) / mr), 1};
        size_t multiple = 8;
        clGetKernelWorkGroupInfo(launch->kernel, ctx->device,
                                 CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof multiple,
                                 &multiple, NULL);
        status = set_sizes(ctx, step, launch, 2, items, multiple, err);
    } else {
        launch->variant = "gemm_direct";
        const size_t items[3] = {(size_t)(M * N), 1, 1};
        status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    }
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                           launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
done:
    lo_free(packed);
    return status;
}

/* ---- Unary and Copy ---- */

static lo_status prepare_elementwise(lo_backend_context *ctx, const lo_step *step,
                                     const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                     lo_error *err)
{
    const bool unary = step->kind == LO_STEP_UNARY;
    const bool u8 = step->inputs[0].dtype == LO_DTYPE_UINT8;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_cl_tensor x, y;
    lo_status status = place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;
    const char *name = unary ? "unary" : "copy";
    status = make_kernel(ctx, step, "eltwise", u8 ? "-DT=uchar" : "-DT=float -DT_IS_FLOAT", name,
                         &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    arg_mem(&args, x.mem);
    arg_int(&args, x.offset);
    arg_mem(&args, y.mem);
    arg_int(&args, y.offset);
    arg_int(&args, n);
    if (unary) {
        const lo_unary_params *p = &step->params.unary;
        arg_int(&args, (int)p->op);
        arg_float(&args, p->alpha);
        arg_float(&args, p->min);
        arg_float(&args, p->max);
        const int bounds[2] = {p->min_input, p->max_input};
        for (int b = 0; b < 2 && status == LO_OK; b++) {
            /* An unused bound argument still needs a buffer: X's. */
            lo_cl_tensor bound = x;
            if (bounds[b])
                status = place_tensor(step, buffers, &step->inputs[bounds[b]], b ? "max" : "min",
                                      &bound, err);
            arg_mem(&args, bound.mem);
            arg_int(&args, bound.offset);
            arg_int(&args, bounds[b] ? 1 : 0);
        }
        if (status != LO_OK) return status;
    }
    launch->variant = name;
    const size_t items[3] = {(size_t)n, 1, 1};
    status = set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s", name,
                           (unsigned)args.failed, lo_cl_error_name(args.rc));
    return status;
}

/* ---- Binary, Softmax, BatchNormalization, MatMul: one work-item per output ---- */

/* Dims and strides right-aligned in 8 axes, the leading ones size 1 and stride 0. */
static void arg_axes8(lo_cl_args *args, int rank, const int64_t *values, cl_int fill)
{
    cl_int8 v;
    for (int d = 0; d < 8; d++) {
        const int src = d - (8 - rank);
        v.s[d] = src >= 0 ? (cl_int)values[src] : fill;
    }
    arg_raw(args, sizeof v, &v);
}

/* Places inputs 0..count-1 and the output, binding each as (buffer, element offset). */
static lo_status bind_tensors(const lo_step *step, const lo_cl_buffers *buffers, int count,
                              lo_cl_args *args, lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_cl_tensor t;
    for (int i = 0; i <= count; i++) {
        const bool out = i == count;
        lo_status status = place_tensor(step, buffers, out ? &step->output : &step->inputs[i],
                                        out ? "Y" : names[i], &t, err);
        if (status != LO_OK) return status;
        arg_mem(args, t.mem);
        arg_int(args, t.offset);
    }
    return LO_OK;
}

/* Sizes a one-item-per-element launch and reports a failed argument binding. */
static lo_status finish_flat(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                             const lo_cl_args *args, const char *name, int64_t items, lo_error *err)
{
    launch->variant = name;
    const size_t sizes[3] = {(size_t)items, 1, 1};
    lo_status status = set_sizes(ctx, step, launch, 1, sizes, LO_CL_FLAT_LOCAL, err);
    if (status == LO_OK && args->rc != CL_SUCCESS)
        status = step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s", name,
                           (unsigned)args->failed, lo_cl_error_name(args->rc));
    return status;
}

static lo_status prepare_binary(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    const lo_shape *ys = &step->output.shape;
    const int64_t n = lo_shape_numel(ys);
    lo_status status = make_kernel(ctx, step, "binary", "", "binary", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = bind_tensors(step, buffers, 2, &args, err)) != LO_OK) return status;
    /* Direct when both inputs are laid out as the output: dense strides on every axis. */
    bool direct = true;
    int64_t dense = 1;
    for (int d = ys->rank - 1; d >= 0; d--) {
        if (ys->dims[d] != 1 && (p->a_strides[d] != dense || p->b_strides[d] != dense))
            direct = false;
        dense *= ys->dims[d];
    }
    arg_int(&args, n);
    arg_int(&args, (int)p->op);
    arg_int(&args, direct ? 1 : 0);
    arg_axes8(&args, ys->rank, ys->dims, 1);
    arg_axes8(&args, ys->rank, p->a_strides, 0);
    arg_axes8(&args, ys->rank, p->b_strides, 0);
    return finish_flat(ctx, step, launch, &args, direct ? "binary[direct]" : "binary", n, err);
}

static lo_status prepare_softmax(lo_backend_context *ctx, const lo_step *step,
                                 const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    lo_status status = make_kernel(ctx, step, "softmax", "", "softmax", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = bind_tensors(step, buffers, 1, &args, err)) != LO_OK) return status;
    arg_int(&args, p->outer);
    arg_int(&args, p->axis_len);
    arg_int(&args, p->inner);
    arg_int(&args, p->log ? 1 : 0);
    return finish_flat(ctx, step, launch, &args, "softmax", p->outer * p->inner, err);
}

static lo_status prepare_batchnorm(lo_backend_context *ctx, const lo_step *step,
                                   const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                   lo_error *err)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_status status = make_kernel(ctx, step, "batchnorm", "", "batchnorm", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = bind_tensors(step, buffers, 5, &args, err)) != LO_OK) return status;
    arg_int(&args, n);
    arg_int(&args, p->channels);
    arg_int(&args, p->inner);
    arg_float(&args, p->epsilon);
    return finish_flat(ctx, step, launch, &args, "batchnorm", n, err);
}

static lo_status prepare_matmul(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_matmul_params *p = &step->params.matmul;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_status status = make_kernel(ctx, step, "matmul", "", "matmul", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = bind_tensors(step, buffers, 2, &args, err)) != LO_OK) return status;
    arg_int(&args, p->m * p->n > 0 ? n / (p->m * p->n) : 0);
    arg_int(&args, p->m);
    arg_int(&args, p->n);
    arg_int(&args, p->k);
    arg_axes8(&args, p->batch_rank, p->batch_dims, 1);
    arg_axes8(&args, p->batch_rank, p->a_strides, 0);
    arg_axes8(&args, p->batch_rank, p->b_strides, 0);
    return finish_flat(ctx, step, launch, &args, "matmul", n, err);
}

/* ---- entry points ---- */

lo_status lo_cl_launch_prepare(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *out, lo_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->node_name, sizeof out->node_name, "%s", step->node_name ? step->node_name : "?");
    snprintf(out->label, sizeof out->label, "%s", step->label);
    lo_status status = lo_cl_step_supported(ctx, step, err);
    if (status != LO_OK) goto done;
    switch (step->kind) {
    case LO_STEP_CONV:
        status = prepare_conv(ctx, step, buffers, out, err);
        break;
    case LO_STEP_MAXPOOL:
        status = prepare_pool(ctx, step, buffers, out, err);
        break;
    case LO_STEP_AVGPOOL:
        status = prepare_avgpool(ctx, step, buffers, out, err);
        break;
    case LO_STEP_PAD:
    case LO_STEP_CONCAT:
    case LO_STEP_TRANSPOSE:
        status = prepare_layout(ctx, step, buffers, out, err);
        break;
    case LO_STEP_GEMM:
        status = prepare_gemm(ctx, step, buffers, out, err);
        break;
    case LO_STEP_UNARY:
    case LO_STEP_COPY:
        status = prepare_elementwise(ctx, step, buffers, out, err);
        break;
    case LO_STEP_BINARY:
        status = prepare_binary(ctx, step, buffers, out, err);
        break;
    case LO_STEP_SOFTMAX:
        status = prepare_softmax(ctx, step, buffers, out, err);
        break;
    case LO_STEP_BATCHNORM:
        status = prepare_batchnorm(ctx, step, buffers, out, err);
        break;
    case LO_STEP_MATMUL:
        status = prepare_matmul(ctx, step, buffers, out, err);
        break;
    }
    if (status == LO_OK)
        lo_trace("opencl: node '%s' (%s): %s, global %zux%zux%zu, local %zux%zux%zu%s",
                 out->node_name, out->label, out->variant, out->global[0], out->global[1],
                 out->global[2], out->local[0], out->local[1], out->local[2],
                 out->empty ? " (empty: skipped)" : "");
done:
    if (status != LO_OK) lo_cl_launch_release(out);
    return status;
}

void lo_cl_launch_release(lo_cl_launch *launch)
{
    if (launch->kernel) clReleaseKernel(launch->kernel);
    if (launch->extra) clReleaseMemObject(launch->extra);
    launch->kernel = NULL;
    launch->extra = NULL;
}
