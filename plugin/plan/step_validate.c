/* One check per step kind of the contract step.h writes down; see step_validate.h. */
#include "step_validate.h"

#include "checked_math.h"

#include <stdarg.h>
#include <stdio.h>

/* "node 'conv1' (Conv+Relu): " + the formatted text. */
static lo_status step_fail(lo_error *err, const lo_step *step, const char *fmt, ...)
    LO_PRINTF(3, 4);

static lo_status step_fail(lo_error *err, const lo_step *step, const char *fmt, ...)
{
    char text[LENET_ONNX_MESSAGE_SIZE];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return lo_fail(err, LO_ERR_MODEL, "node '%s' (%s): %s", step->node_name ? step->node_name : "?",
                   step->label, text);
}

static const char *shape_text(const lo_shape *shape, char *buf, size_t size)
{
    return lo_shape_format(shape, buf, size);
}

static const char *const input_names[LO_STEP_MAX_INPUTS] = {
    "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};

/* ---- every kind ---- */

static lo_status check_count(const lo_step *step, int lo, int hi, lo_error *err)
{
    if (step->num_inputs < lo || step->num_inputs > hi)
        return lo == hi
                   ? step_fail(err, step, "%d inputs, expected %d", step->num_inputs, lo)
                   : step_fail(err, step, "%d inputs, expected %d to %d", step->num_inputs, lo, hi);
    return LO_OK;
}

/* A tensor: known rank, static non-negative dims, a buffer the step may use. */
static lo_status check_tensor(const lo_step *step, const lo_tensor_ref *ref, const char *what,
                              bool is_output, lo_error *err)
{
    char buf[160];
    if (ref->shape.rank < 0 || ref->shape.rank > LO_MAX_RANK)
        return step_fail(err, step, "%s has rank %d (at most %d)", what, ref->shape.rank,
                         LO_MAX_RANK);
    if (lo_shape_numel(&ref->shape) < 0)
        return step_fail(err, step, "%s has a non-static shape %s", what,
                         shape_text(&ref->shape, buf, sizeof buf));
    if (ref->buffer == LO_BUFFER_ARENA) return LO_OK;
    if (is_output) return step_fail(err, step, "%s is not placed in the arena", what);
    if (ref->buffer != LO_BUFFER_CONSTANT)
        return step_fail(err, step, "%s names buffer %d", what, (int)ref->buffer);
    if (ref->constant < 0) return step_fail(err, step, "%s names constant %d", what, ref->constant);
    return LO_OK;
}

/* Float everywhere, except MaxPool and Copy, which also take uint8 with equal in/out types. */
static lo_status check_dtypes(const lo_step *step, lo_error *err)
{
    const bool uint8_allowed = step->kind == LO_STEP_MAXPOOL || step->kind == LO_STEP_COPY;
    for (int i = 0; i <= step->num_inputs; i++) {
        const bool out = i == step->num_inputs;
        const lo_tensor_ref *ref = out ? &step->output : &step->inputs[i];
        const char *what = out ? "the output" : input_names[i];
        if (ref->dtype == LO_DTYPE_FLOAT) continue;
        if (!uint8_allowed || ref->dtype != LO_DTYPE_UINT8)
            return step_fail(err, step, "%s is %s; this step takes %s", what,
                             lo_dtype_name(ref->dtype), uint8_allowed ? "float or uint8" : "float");
    }
    if (uint8_allowed && step->inputs[0].dtype != step->output.dtype)
        return step_fail(err, step, "input 0 is %s but the output %s",
                         lo_dtype_name(step->inputs[0].dtype), lo_dtype_name(step->output.dtype));
    return LO_OK;
}

static lo_status check_activation(const lo_step *step, lo_activation act, lo_error *err)
{
    if (act >= LO_ACT_NONE && act <= LO_ACT_CLIP) return LO_OK;
    return step_fail(err, step, "unknown activation %d", (int)act);
}

static lo_status check_same_numel(const lo_step *step, lo_error *err)
{
    const int64_t x = lo_shape_numel(&step->inputs[0].shape);
    const int64_t y = lo_shape_numel(&step->output.shape);
    if (x != y)
        return step_fail(err, step, "input 0 has %lld elements but the output %lld", (long long)x,
                         (long long)y);
    return LO_OK;
}

/* True when the furthest element `strides` reach over `dims` lies inside `input`. */
static bool strides_inside(const lo_shape *input, int rank, const int64_t *dims,
                           const int64_t *strides)
{
    int64_t reach = 0;
    bool empty = false;
    for (int d = 0; d < rank; d++) {
        if (strides[d] < 0 || dims[d] < 0) return false;
        empty = empty || dims[d] == 0;
    }
    if (empty) return true; /* nothing is read (the dims' product may overflow: not formed) */
    for (int d = 0; d < rank; d++) {
        if (dims[d] > 1 && strides[d] > (INT64_MAX - reach) / (dims[d] - 1)) return false;
        reach += (dims[d] - 1) * strides[d];
    }
    return reach < lo_shape_numel(input);
}

/* The output overlaps no arena input, except in place as step.h allows: exactly input 0's
 * region for Unary, Copy and BatchNorm, input 0's or 1's for Binary. */
static lo_status check_aliasing(const lo_step *step, lo_error *err)
{
    const size_t out_start = step->output.offset, out_bytes = lo_tensor_ref_bytes(&step->output);
    if (out_bytes == 0) return LO_OK;
    for (int i = 0; i < step->num_inputs; i++) {
        const lo_tensor_ref *in = &step->inputs[i];
        const size_t in_bytes = lo_tensor_ref_bytes(in);
        if (in->buffer != LO_BUFFER_ARENA || in_bytes == 0 || in->offset >= out_start + out_bytes ||
            out_start >= in->offset + in_bytes)
            continue;
        const bool kind_in_place = ((step->kind == LO_STEP_UNARY || step->kind == LO_STEP_COPY ||
                                     step->kind == LO_STEP_BATCHNORM) &&
                                    i == 0) ||
                                   (step->kind == LO_STEP_BINARY && i <= 1);
        if (!kind_in_place || in->offset != out_start || in_bytes != out_bytes)
            return step_fail(err, step,
                             "the output (%zu bytes at arena offset %zu) overlaps input %d (%zu "
                             "bytes at %zu)%s",
                             out_bytes, out_start, i, in_bytes, in->offset,
                             kind_in_place ? " without being exactly in place"
                                           : "; this step cannot run in place");
    }
    return LO_OK;
}

/* ---- windows (Conv, MaxPool, AveragePool) ---- */

static lo_status check_window(const lo_step *step, const int64_t kernel[2], const int64_t stride[2],
                              const int64_t dilation[2], const int64_t pad_begin[2],
                              const int64_t pad_end[2], lo_error *err)
{
    for (int a = 0; a < 2; a++)
        if (kernel[a] < 1 || stride[a] < 1 || dilation[a] < 1 || pad_begin[a] < 0 || pad_end[a] < 0)
            return step_fail(err, step,
                             "axis %d: kernel %lld, stride %lld and dilation %lld must be "
                             "positive and pads %lld/%lld non-negative",
                             a, (long long)kernel[a], (long long)stride[a], (long long)dilation[a],
                             (long long)pad_begin[a], (long long)pad_end[a]);
    return LO_OK;
}

/* The padded input minus the dilated window's extent along one axis; negative when the
 * window does not fit (-1 also for sizes that would overflow). */
static int64_t window_slack(int64_t in, int64_t kernel, int64_t dilation, int64_t pad_begin,
                            int64_t pad_end)
{
    const int64_t limit = INT64_MAX / 4;
    if (in > limit || kernel > limit || pad_begin > limit || pad_end > limit ||
        kernel - 1 > limit / dilation)
        return -1;
    return in + pad_begin + pad_end - (dilation * (kernel - 1) + 1);
}

/* X [N,C,H,W] and Y [N,*,OH,OW], rank 4 both, OH and OW the window's output sizes: the floor
 * size for Conv, the floor or a ceil_mode size for pooling. */
static lo_status check_window_shapes(const lo_step *step, const lo_shape *x, const lo_shape *y,
                                     const int64_t kernel[2], const int64_t stride[2],
                                     const int64_t dilation[2], const int64_t pad_begin[2],
                                     const int64_t pad_end[2], bool allow_ceil, lo_error *err)
{
    char xs[160], ys[160];
    if (x->rank != 4 || y->rank != 4)
        return step_fail(err, step, "input %s and output %s must be [N,C,H,W]",
                         shape_text(x, xs, sizeof xs), shape_text(y, ys, sizeof ys));
    if (x->dims[0] != y->dims[0])
        return step_fail(err, step, "input %s and output %s differ in N",
                         shape_text(x, xs, sizeof xs), shape_text(y, ys, sizeof ys));
    for (int a = 0; a < 2; a++) {
        const int64_t in = x->dims[2 + a], out = y->dims[2 + a];
        const int64_t slack = window_slack(in, kernel[a], dilation[a], pad_begin[a], pad_end[a]);
        if (slack < 0)
            return step_fail(err, step,
                             "axis %d: the window (kernel %lld, dilation %lld) does not fit the "
                             "input's %lld with pads %lld/%lld",
                             a, (long long)kernel[a], (long long)dilation[a], (long long)in,
                             (long long)pad_begin[a], (long long)pad_end[a]);
        const int64_t floor_out = slack / stride[a] + 1;
        const int64_t ceil_out = lo_ceil_div_i64(slack, stride[a]) + 1;
        /* ceil_mode drops a last window that starts in the end padding (as PyTorch does); with
         * a large end pad that is even below the floor size. A start past int64 is past it. */
        int64_t last_start;
        const bool drops = ceil_out > 1 && (!lo_mul_i64(ceil_out - 1, stride[a], &last_start) ||
                                            last_start >= in + pad_begin[a]);
        if (out != floor_out &&
            !(allow_ceil && (out == ceil_out || (drops && out == ceil_out - 1))))
            return step_fail(err, step, "axis %d: output size %lld, expected %lld%s", a,
                             (long long)out, (long long)floor_out,
                             allow_ceil && ceil_out != floor_out ? " (or the ceil_mode size)" : "");
    }
    return LO_OK;
}

/* ---- one check per kind ---- */

static lo_status check_conv(const lo_step *step, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *x = &step->inputs[0].shape, *w = &step->inputs[1].shape;
    const lo_shape *y = &step->output.shape;
    char xs[160], ws[160], ys[160];
    lo_status status = check_count(step, p->has_bias ? 3 : 2, p->has_bias ? 3 : 2, err);
    if (status == LO_OK) status = check_activation(step, p->activation, err);
    if (status == LO_OK)
        status =
            check_window(step, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end, err);
    if (status != LO_OK) return status;
    /* With a pool epilogue the window checks run on the unstored conv output, then the pool's
     * on the way from it to Y. */
    const lo_shape full = lo_conv_full_shape(step);
    if (p->has_pool) {
        const lo_pool_params *q = &p->pool;
        if (full.rank != 4)
            return step_fail(err, step, "the convolution's window does not fit input %s",
                             shape_text(x, xs, sizeof xs));
        status =
            check_window(step, q->kernel, q->stride, q->dilation, q->pad_begin, q->pad_end, err);
        if (status == LO_OK)
            status = check_window_shapes(step, &full, y, q->kernel, q->stride, q->dilation,
                                         q->pad_begin, q->pad_end, true, err);
    }
    if (status == LO_OK)
        status = check_window_shapes(step, x, p->has_pool ? &full : y, p->kernel, p->stride,
                                     p->dilation, p->pad_begin, p->pad_end, false, err);
    if (status != LO_OK) return status;
    const int64_t C = x->dims[1], M = w->rank == 4 ? w->dims[0] : -1;
    if (w->rank != 4 || p->group < 1 || C % p->group != 0 || M % p->group != 0 ||
        w->dims[1] != C / p->group || w->dims[2] != p->kernel[0] || w->dims[3] != p->kernel[1] ||
        y->dims[1] != M)
        return step_fail(err, step,
                         "inconsistent shapes: X %s, W %s, Y %s with group %lld and kernel "
                         "%lldx%lld",
                         shape_text(x, xs, sizeof xs), shape_text(w, ws, sizeof ws),
                         shape_text(y, ys, sizeof ys), (long long)p->group, (long long)p->kernel[0],
                         (long long)p->kernel[1]);
    if (p->has_bias && (step->inputs[2].shape.rank != 1 || step->inputs[2].shape.dims[0] != M))
        return step_fail(err, step, "bias %s is not [M] = [%lld]",
                         shape_text(&step->inputs[2].shape, ws, sizeof ws), (long long)M);
    return LO_OK;
}

static lo_status check_pool(const lo_step *step, lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    char xs[160], ys[160];
    lo_status status = check_count(step, 1, 1, err);
    if (status == LO_OK)
        status =
            check_window(step, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end, err);
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    if (status == LO_OK)
        status = check_window_shapes(step, x, y, p->kernel, p->stride, p->dilation, p->pad_begin,
                                     p->pad_end, true, err);
    if (status != LO_OK) return status;
    if (x->dims[1] != y->dims[1])
        return step_fail(err, step, "input %s and output %s differ in C",
                         shape_text(x, xs, sizeof xs), shape_text(y, ys, sizeof ys));
    return LO_OK;
}

static lo_status check_gemm(const lo_step *step, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    char as[160], bs[160], ys[160];
    lo_status status = check_count(step, p->has_c ? 3 : 2, p->has_c ? 3 : 2, err);
    if (status == LO_OK) status = check_activation(step, p->activation, err);
    if (status != LO_OK) return status;
    const lo_shape *a = &step->inputs[0].shape, *b = &step->inputs[1].shape;
    const lo_shape *y = &step->output.shape;
    if (a->rank != 2 || b->rank != 2 || y->rank != 2)
        return step_fail(err, step, "A %s, B %s and Y %s must be matrices",
                         shape_text(a, as, sizeof as), shape_text(b, bs, sizeof bs),
                         shape_text(y, ys, sizeof ys));
    const int64_t M = p->trans_a ? a->dims[1] : a->dims[0];
    const int64_t K = p->trans_a ? a->dims[0] : a->dims[1];
    const int64_t KB = p->trans_b ? b->dims[1] : b->dims[0];
    const int64_t N = p->trans_b ? b->dims[0] : b->dims[1];
    if (K != KB || y->dims[0] != M || y->dims[1] != N)
        return step_fail(err, step, "A %s (trans_a %d) and B %s (trans_b %d) do not make Y %s",
                         shape_text(a, as, sizeof as), (int)p->trans_a,
                         shape_text(b, bs, sizeof bs), (int)p->trans_b,
                         shape_text(y, ys, sizeof ys));
    if (!p->has_c) return LO_OK;
    /* C broadcasts to [M,N] numpy-style: rank 0..2, each dim 1 or the full size. */
    const lo_shape *c = &step->inputs[2].shape;
    const int64_t rows = c->rank == 2 ? c->dims[0] : 1,
                  cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    if (c->rank > 2 || (rows != 1 && rows != M) || (cols != 1 && cols != N))
        return step_fail(err, step, "C %s does not broadcast to [%lld,%lld]",
                         shape_text(c, as, sizeof as), (long long)M, (long long)N);
    return LO_OK;
}

/* Each layer a Gemm whose A is the previous output (A [M,K0] for layer 0), trans_a false, its
 * B and C constants, C one value, [N] or [1,N]; inputs named once each, in order: A, then per
 * layer B and C. */
static lo_status check_gemm_chain(const lo_step *step, lo_error *err)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    char as[160], bs[160];
    if (p->layers < 1 || p->layers > LO_GEMM_CHAIN_MAX_LAYERS)
        return step_fail(err, step, "%d layers (1 to %d)", p->layers, LO_GEMM_CHAIN_MAX_LAYERS);
    const lo_shape *a = &step->inputs[0].shape, *y = &step->output.shape;
    if (step->num_inputs < 1 || a->rank != 2 || y->rank != 2 || y->dims[0] != a->dims[0])
        return step_fail(err, step, "A %s and Y %s must be matrices of the same rows",
                         shape_text(a, as, sizeof as), shape_text(y, bs, sizeof bs));
    int next = 1;
    int64_t width = a->dims[1];
    for (int l = 0; l < p->layers; l++) {
        const lo_gemm_params *g = &p->layer[l];
        lo_status status = check_activation(step, g->activation, err);
        if (status != LO_OK) return status;
        if (g->trans_a) return step_fail(err, step, "layer %d has trans_a set", l);
        if (p->b_input[l] != next || (g->has_c ? p->c_input[l] != next + 1 : p->c_input[l] != 0))
            return step_fail(err, step, "layer %d names inputs %d and %d, expected %d%s", l,
                             p->b_input[l], p->c_input[l], next, g->has_c ? " and the next" : "");
        next += g->has_c ? 2 : 1;
        if (next > step->num_inputs)
            return step_fail(err, step, "layer %d names inputs past the %d given", l,
                             step->num_inputs);
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        for (int i = p->b_input[l]; i < next; i++)
            if (step->inputs[i].buffer != LO_BUFFER_CONSTANT)
                return step_fail(err, step, "layer %d: %s is not a constant", l,
                                 i == p->b_input[l] ? "B" : "C");
        const lo_shape *b = &step->inputs[p->b_input[l]].shape;
        if (b->rank != 2 || k != width)
            return step_fail(err, step, "layer %d: B %s (trans_b %d) does not take %lld inputs", l,
                             shape_text(b, bs, sizeof bs), (int)g->trans_b, (long long)width);
        if (g->has_c) {
            const lo_shape *c = &step->inputs[p->c_input[l]].shape;
            const int64_t numel = lo_shape_numel(c);
            if (c->rank > 2 || (c->rank == 2 && c->dims[0] != 1) || (numel != 1 && numel != n))
                return step_fail(err, step, "layer %d: C %s is not one value, [%lld] or [1,%lld]",
                                 l, shape_text(c, as, sizeof as), (long long)n, (long long)n);
        }
        width = n;
    }
    if (next != step->num_inputs || y->dims[1] != width)
        return step_fail(err, step, "%d inputs and Y %s, expected %d inputs and %lld columns",
                         step->num_inputs, shape_text(y, bs, sizeof bs), next, (long long)width);
    return LO_OK;
}

static lo_status check_unary(const lo_step *step, lo_error *err)
{
    const lo_unary_params *p = &step->params.unary;
    lo_status status = check_count(step, 1, 3, err);
    if (status == LO_OK) status = check_activation(step, p->op, err);
    if (status == LO_OK) status = check_same_numel(step, err);
    if (status != LO_OK) return status;
    /* Inputs past X are Clip's run-time bounds, each named by min_input / max_input. */
    const int bounds[2] = {p->min_input, p->max_input};
    for (int b = 0; b < 2; b++)
        if (bounds[b] != 0 &&
            (p->op != LO_ACT_CLIP || bounds[b] < 1 || bounds[b] >= step->num_inputs ||
             lo_shape_numel(&step->inputs[bounds[b]].shape) != 1))
            return step_fail(err, step, "Clip's %s bound names input %d, not a one-element input",
                             b ? "upper" : "lower", bounds[b]);
    return LO_OK;
}

static lo_status check_pad(const lo_step *step, lo_error *err)
{
    const lo_pad_params *p = &step->params.pad;
    lo_status status = check_count(step, 1, 1, err);
    if (status != LO_OK) return status;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    if (x->rank != y->rank)
        return step_fail(err, step, "input rank %d and output rank %d differ", x->rank, y->rank);
    const int64_t limit = INT64_MAX / 4;
    for (int d = 0; d < x->rank; d++) {
        int64_t padded;
        if (p->pad_begin[d] < -limit || p->pad_begin[d] > limit || p->pad_end[d] < -limit ||
            p->pad_end[d] > limit ||
            !lo_add_i64(x->dims[d], p->pad_begin[d] + p->pad_end[d], &padded) ||
            padded != y->dims[d])
            return step_fail(err, step,
                             "axis %d: input %lld with pads %lld/%lld does not give output %lld", d,
                             (long long)x->dims[d], (long long)p->pad_begin[d],
                             (long long)p->pad_end[d], (long long)y->dims[d]);
    }
    return LO_OK;
}

static lo_status check_concat(const lo_step *step, lo_error *err)
{
    const int axis = step->params.concat.axis;
    const lo_shape *y = &step->output.shape;
    lo_status status = check_count(step, 1, LO_STEP_MAX_INPUTS, err);
    if (status != LO_OK) return status;
    if (axis < 0 || axis >= y->rank)
        return step_fail(err, step, "axis %d outside the output's rank %d", axis, y->rank);
    int64_t total = 0;
    for (int i = 0; i < step->num_inputs; i++) {
        const lo_shape *x = &step->inputs[i].shape;
        bool same = x->rank == y->rank;
        for (int d = 0; same && d < y->rank; d++)
            same = d == axis || x->dims[d] == y->dims[d];
        if (!same)
            return step_fail(err, step, "input %d's dims off axis %d differ from the output's", i,
                             axis);
        total += x->dims[axis];
    }
    if (total != y->dims[axis])
        return step_fail(err, step, "the inputs hold %lld along axis %d, the output %lld",
                         (long long)total, axis, (long long)y->dims[axis]);
    return LO_OK;
}

static lo_status check_transpose(const lo_step *step, lo_error *err)
{
    const int *perm = step->params.transpose.perm;
    lo_status status = check_count(step, 1, 1, err);
    if (status != LO_OK) return status;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    if (x->rank != y->rank)
        return step_fail(err, step, "input rank %d and output rank %d differ", x->rank, y->rank);
    bool seen[LO_MAX_RANK] = {false};
    for (int d = 0; d < x->rank; d++) {
        if (perm[d] < 0 || perm[d] >= x->rank || seen[perm[d]] || y->dims[d] != x->dims[perm[d]])
            return step_fail(err, step, "perm[%d] = %d is not a permutation matching the shapes", d,
                             perm[d]);
        seen[perm[d]] = true;
    }
    return LO_OK;
}

static lo_status check_binary(const lo_step *step, lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    char as[160], bs[160], ys[160];
    lo_status status = check_count(step, 2, 2, err);
    if (status != LO_OK) return status;
    if (p->op < LO_BIN_ADD || p->op > LO_BIN_PRELU)
        return step_fail(err, step, "unknown binary op %d", (int)p->op);
    const lo_shape *y = &step->output.shape;
    if (!strides_inside(&step->inputs[0].shape, y->rank, y->dims, p->a_strides) ||
        !strides_inside(&step->inputs[1].shape, y->rank, y->dims, p->b_strides))
        return step_fail(err, step, "broadcast strides reach past A %s or B %s for Y %s",
                         shape_text(&step->inputs[0].shape, as, sizeof as),
                         shape_text(&step->inputs[1].shape, bs, sizeof bs),
                         shape_text(y, ys, sizeof ys));
    return LO_OK;
}

static lo_status check_softmax(const lo_step *step, lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    lo_status status = check_count(step, 1, 1, err);
    if (status == LO_OK) status = check_same_numel(step, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->output.shape);
    const bool sizes_ok = p->outer >= 0 && p->axis_len >= 0 && p->inner >= 0 &&
                          (p->axis_len == 0 || p->outer <= INT64_MAX / p->axis_len) &&
                          (p->inner == 0 || p->outer * p->axis_len <= INT64_MAX / p->inner);
    if (!sizes_ok || p->outer * p->axis_len * p->inner != n)
        return step_fail(err, step, "[%lld,%lld,%lld] does not hold %lld elements",
                         (long long)p->outer, (long long)p->axis_len, (long long)p->inner,
                         (long long)n);
    return LO_OK;
}

static lo_status check_batchnorm(const lo_step *step, lo_error *err)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    lo_status status = check_count(step, 5, 5, err);
    if (status == LO_OK) status = check_same_numel(step, err);
    if (status != LO_OK) return status;
    const int64_t n = lo_shape_numel(&step->inputs[0].shape);
    if (p->channels < 1 || p->inner < 1 || p->channels > INT64_MAX / p->inner ||
        n % (p->channels * p->inner) != 0)
        return step_fail(err, step, "%lld channels of %lld do not tile %lld elements",
                         (long long)p->channels, (long long)p->inner, (long long)n);
    for (int i = 1; i < 5; i++)
        if (lo_shape_numel(&step->inputs[i].shape) != p->channels)
            return step_fail(err, step, "input %d does not hold %lld values", i,
                             (long long)p->channels);
    return LO_OK;
}

static lo_status check_matmul(const lo_step *step, lo_error *err)
{
    const lo_matmul_params *p = &step->params.matmul;
    lo_status status = check_count(step, 2, 2, err);
    if (status != LO_OK) return status;
    const int64_t limit = INT64_MAX / 4;
    bool ok = p->batch_rank >= 0 && p->batch_rank <= LO_MAX_RANK && p->m >= 0 && p->n >= 0 &&
              p->k >= 0 && p->m <= limit && p->n <= limit && p->k <= limit;
    int64_t batch = 1;
    for (int d = 0; ok && d < p->batch_rank; d++) {
        ok = p->batch_dims[d] >= 0 && (p->batch_dims[d] == 0 || batch <= limit / p->batch_dims[d]);
        batch *= ok ? p->batch_dims[d] : 1;
    }
    const lo_shape *as = &step->inputs[0].shape, *bs = &step->inputs[1].shape;
    const int64_t out = lo_shape_numel(&step->output.shape);
    if (ok && (batch == 0 || p->m == 0 || p->n == 0))
        ok = out == 0;
    else if (ok)
        ok = p->n <= out / p->m && batch <= out / (p->m * p->n) && batch * p->m * p->n == out;
    /* Each operand's last matrix must end inside it; the batch strides say where it starts. */
    if (ok && batch > 0 && p->m > 0 && p->n > 0 && p->k > 0) {
        int64_t last_a = 0, last_b = 0;
        ok = p->m <= limit / p->k && p->k <= limit / p->n;
        for (int d = 0; ok && d < p->batch_rank; d++) {
            const int64_t steps = p->batch_dims[d] - 1;
            ok = p->a_strides[d] >= 0 && p->b_strides[d] >= 0 &&
                 (steps == 0 || (p->a_strides[d] <= (limit - last_a) / steps &&
                                 p->b_strides[d] <= (limit - last_b) / steps));
            if (ok) {
                last_a += steps * p->a_strides[d];
                last_b += steps * p->b_strides[d];
            }
        }
        ok = ok && last_a + p->m * p->k <= lo_shape_numel(as) &&
             last_b + p->k * p->n <= lo_shape_numel(bs);
    }
    if (!ok)
        return step_fail(err, step,
                         "a batch of %lld [%lld,%lld]x[%lld,%lld] products does not fit its "
                         "tensors",
                         (long long)batch, (long long)p->m, (long long)p->k, (long long)p->k,
                         (long long)p->n);
    return LO_OK;
}

lo_status lo_step_validate(const lo_step *step, lo_error *err)
{
    if (!step) return lo_fail(err, LO_ERR_ARGUMENT, "lo_step_validate: step is NULL");
    lo_status status = check_count(step, 0, LO_STEP_MAX_INPUTS, err);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = check_tensor(step, &step->inputs[i], input_names[i], false, err);
    if (status == LO_OK) status = check_tensor(step, &step->output, "the output", true, err);
    if (status == LO_OK && step->num_inputs > 0) status = check_dtypes(step, err);
    if (status == LO_OK) status = check_aliasing(step, err);
    if (status != LO_OK) return status;
    switch (step->kind) {
    case LO_STEP_CONV:
        return check_conv(step, err);
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        return check_pool(step, err);
    case LO_STEP_GEMM:
        return check_gemm(step, err);
    case LO_STEP_UNARY:
        return check_unary(step, err);
    case LO_STEP_COPY:
        status = check_count(step, 1, 1, err);
        return status == LO_OK ? check_same_numel(step, err) : status;
    case LO_STEP_PAD:
        return check_pad(step, err);
    case LO_STEP_CONCAT:
        return check_concat(step, err);
    case LO_STEP_TRANSPOSE:
        return check_transpose(step, err);
    case LO_STEP_BINARY:
        return check_binary(step, err);
    case LO_STEP_SOFTMAX:
        return check_softmax(step, err);
    case LO_STEP_BATCHNORM:
        return check_batchnorm(step, err);
    case LO_STEP_MATMUL:
        return check_matmul(step, err);
    case LO_STEP_GEMM_CHAIN:
        return check_gemm_chain(step, err);
    }
    return step_fail(err, step, "unknown step kind %d", (int)step->kind);
}
