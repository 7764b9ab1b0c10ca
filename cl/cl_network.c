/* The whole network as one kernel (kernels/network.cl): where every step of a plan has a
 * work-group form, prepare generates one kernel that runs them all in order inside one
 * work-group, a barrier between steps, reading and writing the arena exactly where the steps'
 * own launches would. A run is then one launch: no per-step dispatch, one wake-up of the
 * device's workers. One work-group is one compute unit, so the form suits small batches; the
 * choice is lo_cl_network_choose's.
 */
#include "cl_launch_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "step_cost.h"

/* Constants start on 64-byte boundaries in the packed buffer. */
#define NETWORK_CONSTANT_ALIGN 16 /* floats */
/* Launches a plan may have and still be generated (the source grows with each). */
#define NETWORK_MAX_STEPS 256
/* Work-items of the one group, at most (the device and the built kernel may allow fewer). */
#define NETWORK_LOCAL 256
/* The automatic choice, on CPU devices: the form for plans of at most this many FLOPs
 * (step_cost.h's count) per launch it saves. Measured on PoCL (2-core AMD EPYC, AVX-512): one
 * work-group is one core and PoCL does not vectorise its per-element loops, so the form wins
 * only where launches cost more than the work: 13 element-wise steps on [N,256] ran at 0.6x the
 * per-step launches' median latency at batch 1 and 0.9x at 8, broke even at 16 (5.8 kFLOP per
 * saved launch); a small Conv+Gemm+Softmax plan ran at 0.7x at batch 1 (1.9 kFLOP per saved
 * launch); LeNet (2.3 MFLOP per saved launch) ran 27x slower. */
#define NETWORK_AUTO_FLOPS_PER_LAUNCH 6000u

/* ---- the generated source ---- */

/* Where each plan constant starts in the packed buffer, in floats (-1: not read). */
typedef struct network_layout {
    const lo_plan *plan;
    int64_t *offsets;
    int64_t floats;
} network_layout;

typedef struct network_text {
    char *data;
    size_t length, capacity;
    bool failed;                  /* out of memory: the text is incomplete */
    const network_layout *layout; /* of the constants the text names */
} network_text;

static void put(network_text *text, const char *fmt, ...) LO_PRINTF(2, 3);

static void put(network_text *text, const char *fmt, ...)
{
    if (text->failed) return;
    va_list args;
    va_start(args, fmt);
    const int need = vsnprintf(text->data ? text->data + text->length : NULL,
                               text->data ? text->capacity - text->length : 0, fmt, args);
    va_end(args);
    if (need < 0) {
        text->failed = true;
        return;
    }
    if (text->data && text->length + (size_t)need < text->capacity) {
        text->length += (size_t)need;
        return;
    }
    size_t capacity = text->capacity ? text->capacity : 4096;
    while (capacity <= text->length + (size_t)need)
        capacity *= 2;
    char *grown = lo_realloc(text->data, capacity);
    if (!grown) {
        text->failed = true;
        return;
    }
    text->data = grown;
    text->capacity = capacity;
    va_start(args, fmt);
    vsnprintf(text->data + text->length, capacity - text->length, fmt, args);
    va_end(args);
    text->length += (size_t)need;
}

/* A float as an exact OpenCL C literal: hexadecimal, or the names of infinity and NaN. */
static const char *float_literal(float value, char *buf, size_t size)
{
    if (isnan(value))
        snprintf(buf, size, "NAN");
    else if (isinf(value))
        snprintf(buf, size, "%s", value > 0 ? "INFINITY" : "(-INFINITY)");
    else
        snprintf(buf, size, "%af", (double)value);
    return buf;
}

/* activation.cl's float4: (op, alpha, min, max). */
static void put_activation(network_text *text, lo_activation act, const lo_activation_args *a)
{
    char alpha[40], lo[40], hi[40];
    put(text, "(float4)(%d.0f, %s, %s, %s)", (int)act, float_literal(a->alpha, alpha, sizeof alpha),
        float_literal(a->min, lo, sizeof lo), float_literal(a->max, hi, sizeof hi));
}

/* int8 of a shape's axes right-aligned, leading ones filled (binary.cl's dims and strides). */
static void put_axes8(network_text *text, int rank, const int64_t *values, int fill)
{
    put(text, "(int8)(");
    for (int d = 0; d < 8; d++) {
        const int src = d - (8 - rank);
        put(text, "%s%lld", d ? ", " : "", src >= 0 ? (long long)values[src] : (long long)fill);
    }
    put(text, ")");
}

/* A step's tensor as an expression of the kernel's arguments, "arena + 1024" or
 * "constants + 96", checked against its buffer as a launch's would be. */
typedef char tensor_expr[48];
static lo_status tensor_text(const network_layout *layout, const lo_step *step,
                             const lo_cl_buffers *buffers, const lo_tensor_ref *ref,
                             const char *what, tensor_expr out, lo_error *err)
{
    if (ref->buffer == LO_BUFFER_CONSTANT) {
        snprintf(out, sizeof(tensor_expr), "constants + %lld",
                 (long long)layout->offsets[ref->constant]);
        return LO_OK;
    }
    lo_cl_tensor placed;
    lo_status status = lo_cl_place_tensor(step, buffers, ref, what, &placed, err);
    if (status == LO_OK)
        snprintf(out, sizeof(tensor_expr), "arena + %lld", (long long)placed.offset);
    return status;
}

static lo_status put_tensor(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                            const lo_tensor_ref *ref, const char *what, lo_error *err)
{
    tensor_expr expr;
    lo_status status = tensor_text(text->layout, step, buffers, ref, what, expr, err);
    if (status == LO_OK) put(text, "%s", expr);
    return status;
}

static void put_ints(network_text *text, int count, const int64_t *values)
{
    for (int i = 0; i < count; i++)
        put(text, ", %lld", (long long)values[i]);
}

static lo_status put_conv(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                          lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape, *ws = &step->inputs[1].shape;
    const lo_shape *ys = &step->output.shape;
    const lo_shape full = lo_conv_full_shape(step); /* before the pool epilogue */
    put(text, "    net_conv(");
    lo_status status = put_tensor(text, step, buffers, &step->inputs[0], "X", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->inputs[1], "W", err);
    put(text, ", ");
    if (status == LO_OK)
        status = put_tensor(text, step, buffers, &step->inputs[p->has_bias ? 2 : 1], "B", err);
    put(text, ", %d, ", p->has_bias ? 1 : 0);
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    const int64_t sizes[] = {xs->dims[0],    xs->dims[1],    xs->dims[2],     xs->dims[3],
                             ws->dims[0],    full.dims[2],   full.dims[3],    p->group,
                             ws->dims[2],    ws->dims[3],    p->stride[0],    p->stride[1],
                             p->dilation[0], p->dilation[1], p->pad_begin[0], p->pad_begin[1]};
    put_ints(text, (int)(sizeof sizes / sizeof sizes[0]), sizes);
    put(text, ", ");
    put_activation(text, p->activation, &p->activation_args);
    /* Without a pool, the 1x1 window of stride 1 over the conv's own output. */
    const lo_pool_params *q = &p->pool;
    const int64_t pool[] = {ys->dims[2],
                            ys->dims[3],
                            p->has_pool ? q->kernel[0] : 1,
                            p->has_pool ? q->kernel[1] : 1,
                            p->has_pool ? q->stride[0] : 1,
                            p->has_pool ? q->stride[1] : 1,
                            p->has_pool ? q->dilation[0] : 1,
                            p->has_pool ? q->dilation[1] : 1,
                            p->has_pool ? q->pad_begin[0] : 0,
                            p->has_pool ? q->pad_begin[1] : 0};
    put_ints(text, (int)(sizeof pool / sizeof pool[0]), pool);
    put(text, ");\n");
    return LO_OK;
}

static lo_status put_pool(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                          lo_error *err)
{
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const bool average = step->kind == LO_STEP_AVGPOOL;
    put(text, "    net_%s(", average ? "avgpool" : "maxpool");
    lo_status status = put_tensor(text, step, buffers, &step->inputs[0], "X", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    const int64_t sizes[] = {xs->dims[0] * xs->dims[1],
                             xs->dims[2],
                             xs->dims[3],
                             ys->dims[2],
                             ys->dims[3],
                             p->kernel[0],
                             p->kernel[1],
                             p->stride[0],
                             p->stride[1],
                             p->dilation[0],
                             p->dilation[1],
                             p->pad_begin[0],
                             p->pad_begin[1]};
    put_ints(text, (int)(sizeof sizes / sizeof sizes[0]), sizes);
    if (average) {
        const int64_t more[] = {p->pad_end[0], p->pad_end[1], p->count_include_pad ? 1 : 0};
        put_ints(text, 3, more);
    }
    put(text, ");\n");
    return LO_OK;
}

/* One Gemm: `a` and `y` are expressions already (a chain's layers pass the scratch), B and C
 * the step's inputs b and c (c < 0: none). */
static lo_status put_gemm_call(network_text *text, const lo_step *step,
                               const lo_cl_buffers *buffers, const char *a, int b, int c,
                               const char *y, int64_t M, int64_t N, int64_t K,
                               const lo_gemm_params *p, lo_error *err)
{
    put(text, "    net_gemm(%s, ", a);
    lo_status status = put_tensor(text, step, buffers, &step->inputs[b], "B", err);
    put(text, ", ");
    int64_t c_sm = 0, c_sn = 0;
    if (c >= 0) {
        lo_cl_gemm_c_strides(&step->inputs[c].shape, &c_sm, &c_sn);
        if (status == LO_OK) status = put_tensor(text, step, buffers, &step->inputs[c], "C", err);
    } else {
        put(text, "arena"); /* never read */
    }
    if (status != LO_OK) return status;
    char alpha[40], beta[40];
    put(text, ", %d, %lld, %lld, %s, %lld, %lld, %lld, %d, %d, %s, %s, ", c >= 0 ? 1 : 0,
        (long long)c_sm, (long long)c_sn, y, (long long)M, (long long)N, (long long)K,
        p->trans_a ? 1 : 0, p->trans_b ? 1 : 0, float_literal(p->alpha, alpha, sizeof alpha),
        float_literal(p->beta, beta, sizeof beta));
    put_activation(text, p->activation, &p->activation_args);
    put(text, ");\n");
    return LO_OK;
}

static lo_status put_gemm(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                          lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    const lo_shape *as = &step->inputs[0].shape, *ys = &step->output.shape;
    tensor_expr a, y;
    lo_status status = tensor_text(text->layout, step, buffers, &step->inputs[0], "A", a, err);
    if (status == LO_OK)
        status = tensor_text(text->layout, step, buffers, &step->output, "Y", y, err);
    if (status != LO_OK) return status;
    const int64_t K = p->trans_a ? as->dims[0] : as->dims[1];
    return put_gemm_call(text, step, buffers, a, 1, p->has_c ? 2 : -1, y, ys->dims[0], ys->dims[1],
                         K, p, err);
}

/* The chain's layers in turn, the intermediate rows in the two halves of the scratch buffer
 * (scratch_rows floats each), a barrier after each layer but the last. */
static lo_status put_chain(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                           int64_t scratch_half, lo_error *err)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    const int64_t M = step->output.shape.dims[0];
    tensor_expr a, y;
    lo_status status = tensor_text(text->layout, step, buffers, &step->inputs[0], "A", a, err);
    for (int l = 0; l < p->layers && status == LO_OK; l++) {
        int64_t K, N;
        lo_gemm_chain_layer_dims(step, l, &K, &N);
        if (l == p->layers - 1)
            status = tensor_text(text->layout, step, buffers, &step->output, "Y", y, err);
        else
            snprintf(y, sizeof y, "scratch + %lld", (long long)(l % 2 ? scratch_half : 0));
        if (status == LO_OK)
            status = put_gemm_call(text, step, buffers, a, p->b_input[l],
                                   p->layer[l].has_c ? p->c_input[l] : -1, y, M, N, K, &p->layer[l],
                                   err);
        if (l < p->layers - 1) put(text, "    barrier(CLK_GLOBAL_MEM_FENCE);\n");
        snprintf(a, sizeof a, "%s", y);
    }
    return status;
}

static lo_status put_unary(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                           lo_error *err)
{
    const lo_unary_params *p = &step->params.unary;
    const bool copy = step->kind == LO_STEP_COPY;
    put(text, "    net_%s(", copy ? "copy" : "unary");
    lo_status status = put_tensor(text, step, buffers, &step->inputs[0], "X", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    put(text, ", %lld", (long long)lo_shape_numel(&step->output.shape));
    if (!copy) {
        char alpha[40], lo[40], hi[40];
        put(text, ", %d, %s, %s, %s", (int)p->op, float_literal(p->alpha, alpha, sizeof alpha),
            float_literal(p->min, lo, sizeof lo), float_literal(p->max, hi, sizeof hi));
        const int bounds[2] = {p->min_input, p->max_input};
        for (int b = 0; b < 2 && status == LO_OK; b++) {
            put(text, ", ");
            if (bounds[b])
                status = put_tensor(text, step, buffers, &step->inputs[bounds[b]],
                                    b ? "max" : "min", err);
            else
                put(text, "arena");
            put(text, ", %d", bounds[b] ? 1 : 0);
        }
    }
    put(text, ");\n");
    return status;
}

static lo_status put_binary(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                            lo_error *err)
{
    const lo_binary_params *p = &step->params.binary;
    const lo_shape *ys = &step->output.shape;
    put(text, "    net_binary(");
    lo_status status = put_tensor(text, step, buffers, &step->inputs[0], "A", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->inputs[1], "B", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    put(text, ", %lld, %d, %d, ", (long long)lo_shape_numel(ys), (int)p->op,
        lo_cl_binary_direct(step) ? 1 : 0);
    put_axes8(text, ys->rank, ys->dims, 1);
    put(text, ", ");
    put_axes8(text, ys->rank, p->a_strides, 0);
    put(text, ", ");
    put_axes8(text, ys->rank, p->b_strides, 0);
    put(text, ");\n");
    return LO_OK;
}

static lo_status put_softmax(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                             lo_error *err)
{
    const lo_softmax_params *p = &step->params.softmax;
    put(text, "    net_softmax(");
    lo_status status = put_tensor(text, step, buffers, &step->inputs[0], "X", err);
    put(text, ", ");
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    put(text, ", %lld, %lld, %lld, %d);\n", (long long)p->outer, (long long)p->axis_len,
        (long long)p->inner, p->log ? 1 : 0);
    return LO_OK;
}

static lo_status put_batchnorm(network_text *text, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_error *err)
{
    static const char *const names[5] = {"X", "scale", "B", "mean", "var"};
    const lo_batchnorm_params *p = &step->params.batchnorm;
    const int64_t n = lo_shape_numel(&step->output.shape);
    put(text, "    net_batchnorm(");
    lo_status status = LO_OK;
    for (int i = 0; i < 5 && status == LO_OK; i++) {
        status = put_tensor(text, step, buffers, &step->inputs[i], names[i], err);
        put(text, ", ");
    }
    if (status == LO_OK) status = put_tensor(text, step, buffers, &step->output, "Y", err);
    if (status != LO_OK) return status;
    const int64_t per_outer = p->channels * p->inner;
    char epsilon[40];
    put(text, ", %lld, %lld, %lld, %s);\n", (long long)(per_outer > 0 ? n / per_outer : 0),
        (long long)p->channels, (long long)p->inner,
        float_literal(p->epsilon, epsilon, sizeof epsilon));
    return LO_OK;
}

/* ---- the choice ---- */

/* Why the step has no work-group form, or NULL. */
static const char *step_refusal(const lo_step *step)
{
    for (int i = 0; i < step->num_inputs; i++)
        if (step->inputs[i].dtype != LO_DTYPE_FLOAT) return "reads a tensor that is not float";
    if (step->output.dtype != LO_DTYPE_FLOAT) return "writes a tensor that is not float";
    switch (step->kind) {
    case LO_STEP_CONV:
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
    case LO_STEP_GEMM:
    case LO_STEP_GEMM_CHAIN:
    case LO_STEP_UNARY:
    case LO_STEP_COPY:
    case LO_STEP_BINARY:
    case LO_STEP_SOFTMAX:
    case LO_STEP_BATCHNORM:
        return NULL;
    default:
        return "has no work-group form in network.cl";
    }
}

/* Floats of each half of the scratch buffer: a chain's widest intermediate rows. */
static int64_t scratch_half_floats(const lo_plan *plan)
{
    int64_t widest = 0;
    for (int s = 0; s < plan->num_steps; s++) {
        const lo_step *step = &plan->steps[s];
        if (step->kind != LO_STEP_GEMM_CHAIN) continue;
        for (int l = 0; l + 1 < step->params.gemm_chain.layers; l++) {
            int64_t k, n;
            lo_gemm_chain_layer_dims(step, l, &k, &n);
            const int64_t floats = n * step->output.shape.dims[0];
            if (floats > widest) widest = floats;
        }
    }
    return widest;
}

bool lo_cl_network_choose(const lo_backend_context *ctx, const lo_plan *plan, char *why,
                          size_t size)
{
    snprintf(why, size, "%s", "");
    if (ctx->network == LO_CL_NETWORK_OFF) {
        snprintf(why, size, "LENET_ONNX_CL_NETWORK=0");
        return false;
    }
    if (plan->profiling) {
        snprintf(why, size, "a profiled plan times each step's own launch");
        return false;
    }
    if (plan->num_steps < 1 || plan->num_steps > NETWORK_MAX_STEPS) {
        snprintf(why, size, "%d steps (the form takes 1 to %d)", plan->num_steps,
                 NETWORK_MAX_STEPS);
        return false;
    }
    uint64_t flops = 0;
    for (int s = 0; s < plan->num_steps; s++) {
        const lo_step *step = &plan->steps[s];
        const char *refusal = step_refusal(step);
        if (refusal) {
            snprintf(why, size, "node '%s' (%s) %s", step->node_name ? step->node_name : "?",
                     step->label, refusal);
            return false;
        }
        const uint64_t step_flops = lo_step_cost_of(step).flops;
        flops = flops + step_flops < flops ? UINT64_MAX : flops + step_flops;
    }
    if (!lo_cl_fits_int(scratch_half_floats(plan) * 2)) {
        snprintf(why, size, "a Gemm chain's rows are past 32-bit indexing");
        return false;
    }
    if (ctx->network == LO_CL_NETWORK_ON) return true;
    /* GPUs: one work-group is one of many compute units, and one whose items each run a whole
     * dot product was measured 2.5x slower than separate launches (an H200, cl_launch_chain.c);
     * the form is theirs only when forced, until measured there. */
    if (!(ctx->type & CL_DEVICE_TYPE_CPU)) {
        snprintf(why, size, "not a CPU device (LENET_ONNX_CL_NETWORK=1 forces the network kernel)");
        return false;
    }
    const uint64_t saved = (uint64_t)plan->num_steps - 1;
    if (saved == 0) {
        snprintf(why, size, "one step: no launch to save");
        return false;
    }
    if (flops / saved > NETWORK_AUTO_FLOPS_PER_LAUNCH) {
        snprintf(why, size,
                 "%.1f kFLOP per launch saved, past the %u FLOPs one work-group takes by default",
                 (double)flops / (double)saved / 1e3, NETWORK_AUTO_FLOPS_PER_LAUNCH);
        return false;
    }
    return true;
}

/* ---- prepare ---- */

static lo_status put_step(network_text *text, const lo_step *step, const lo_cl_buffers *buffers,
                          int64_t scratch_half, lo_error *err)
{
    put(text, "    /* node '%s' (%s) */\n", step->node_name ? step->node_name : "?", step->label);
    switch (step->kind) {
    case LO_STEP_CONV:
        return put_conv(text, step, buffers, err);
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        return put_pool(text, step, buffers, err);
    case LO_STEP_GEMM:
        return put_gemm(text, step, buffers, err);
    case LO_STEP_GEMM_CHAIN:
        return put_chain(text, step, buffers, scratch_half, err);
    case LO_STEP_UNARY:
    case LO_STEP_COPY:
        return put_unary(text, step, buffers, err);
    case LO_STEP_BINARY:
        return put_binary(text, step, buffers, err);
    case LO_STEP_SOFTMAX:
        return put_softmax(text, step, buffers, err);
    case LO_STEP_BATCHNORM:
        return put_batchnorm(text, step, buffers, err);
    default: /* lo_cl_network_choose refused the plan */
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED, "step kind %d has no work-group form",
                               (int)step->kind);
    }
}

/* Places every constant a step reads in the packed buffer (lo_cl_constants_read checks each
 * step's reference) and fills the buffer's host bytes in *packed (the caller frees it). */
static lo_status lay_out_constants(const lo_backend_context *ctx, const lo_plan *plan,
                                   network_layout *layout, float **packed, lo_error *err)
{
    *packed = NULL;
    layout->plan = plan;
    layout->floats = 0;
    const size_t count = (size_t)plan->num_constants + 1;
    layout->offsets = lo_calloc(count, sizeof *layout->offsets);
    bool *read = lo_calloc(count, sizeof *read);
    lo_status status = layout->offsets && read ? lo_cl_constants_read(ctx, plan, false, read, err)
                                               : lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
    for (int c = 0; c < plan->num_constants && status == LO_OK; c++) {
        layout->offsets[c] = read[c] ? layout->floats : -1;
        const int64_t floats = read[c] ? (int64_t)(plan->constants[c].bytes / sizeof(float)) : 0;
        layout->floats +=
            (floats + NETWORK_CONSTANT_ALIGN - 1) / NETWORK_CONSTANT_ALIGN * NETWORK_CONSTANT_ALIGN;
        if (!lo_cl_fits_int(layout->floats))
            status = lo_fail(err, LO_ERR_UNSUPPORTED,
                             "the network kernel's constants are past 32-bit indexing");
    }
    lo_free(read);
    if (status != LO_OK || layout->floats == 0) return status;
    *packed = lo_calloc((size_t)layout->floats, sizeof **packed);
    if (!*packed)
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory packing %lld constant floats",
                       (long long)layout->floats);
    for (int c = 0; c < plan->num_constants; c++)
        if (layout->offsets[c] >= 0 && plan->constants[c].bytes > 0)
            memcpy(*packed + layout->offsets[c], plan->constants[c].data, plan->constants[c].bytes);
    return LO_OK;
}

/* The packed buffer's cache key: its first constants' ids, and a hash of every id and offset
 * (another plan of the model packing the same constants the same way shares it). */
static lo_cl_constant_key packed_key(const network_layout *layout)
{
    lo_cl_constant_key key;
    memset(&key, 0, sizeof key);
    uint64_t hash = 14695981039346656037u; /* FNV-1a */
    int named = 0;
    bool known = true;
    for (int c = 0; c < layout->plan->num_constants; c++) {
        if (layout->offsets[c] < 0) continue;
        const uint64_t words[2] = {layout->plan->constants[c].id, (uint64_t)layout->offsets[c]};
        known = known && words[0] != 0;
        for (int w = 0; w < 2; w++)
            for (int b = 0; b < 8; b++) {
                hash ^= (words[w] >> (8 * b)) & 0xffu;
                hash *= 1099511628211u;
            }
        if (named < LO_CL_KEY_IDS) key.ids[named++] = words[0];
    }
    /* A constant without an id makes the copy private (ids[0] 0 is never shared). */
    if (!known) key.ids[0] = 0;
    snprintf(key.layout, sizeof key.layout, "network pack %lld floats %016llx",
             (long long)layout->floats, (unsigned long long)hash);
    return key;
}

/* network.cl's functions, then the plan's kernel. */
static lo_status generate(const lo_plan *plan, const lo_cl_buffers *buffers, int64_t scratch_half,
                          network_text *text, lo_error *err)
{
    size_t length = 0;
    const char *functions = lo_cl_kernel_source("network", &length);
    if (!functions)
        return lo_fail(err, LO_ERR_DEVICE, "the network kernel's source is not embedded");
    put(text, "%.*s\n", (int)length, functions);
    put(text, "kernel void lo_network(global float *arena, global float *scratch, "
              "global const float *constants)\n{\n    (void)scratch;\n    (void)constants;\n");
    lo_status status = LO_OK;
    for (int s = 0; s < plan->num_steps && status == LO_OK; s++) {
        if (s > 0) put(text, "    barrier(CLK_GLOBAL_MEM_FENCE);\n");
        status = put_step(text, &plan->steps[s], buffers, scratch_half, err);
    }
    put(text, "}\n");
    if (status == LO_OK && text->failed)
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory generating the network kernel");
    return status;
}

lo_status lo_cl_prepare_network(lo_backend_context *ctx, const lo_plan *plan,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                lo_cl_network *out, lo_error *err)
{
    memset(out, 0, sizeof *out);
    memset(launch, 0, sizeof *launch);
    snprintf(launch->node_name, sizeof launch->node_name, "%s",
             plan->steps[0].node_name ? plan->steps[0].node_name : "?");
    snprintf(launch->label, sizeof launch->label, "network of %d steps", plan->num_steps);
    launch->variant = "lo_network";
    const int64_t scratch_half = scratch_half_floats(plan);
    network_layout layout = {0};
    float *packed = NULL;
    lo_status status = lay_out_constants(ctx, plan, &layout, &packed, err);
    if (status == LO_OK && packed) {
        const lo_cl_constant_key key = packed_key(&layout);
        if (!lo_cl_constant_acquire(ctx, &key, &out->constants))
            status = lo_cl_constant_add(ctx, &key, packed, (size_t)layout.floats * sizeof(float),
                                        &out->constants, err);
    }
    lo_free(packed);
    network_text text = {.layout = &layout};
    if (status == LO_OK) status = generate(plan, buffers, scratch_half, &text, err);
    lo_free(layout.offsets);
    if (status == LO_OK)
        status =
            lo_cl_build_program(ctx, "network", text.data, text.length, "", &out->program, err);
    lo_free(text.data);
    cl_int rc = CL_SUCCESS;
    if (status == LO_OK) {
        launch->kernel = clCreateKernel(out->program, "lo_network", &rc);
        if (rc != CL_SUCCESS) {
            launch->kernel = NULL;
            status = lo_fail(err, lo_cl_status_of(rc), "clCreateKernel(lo_network) failed: %s",
                             lo_cl_error_name(rc));
        }
    }
    if (status == LO_OK && scratch_half > 0) {
        out->scratch = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE,
                                      (size_t)scratch_half * 2 * sizeof(float), NULL, &rc);
        if (rc != CL_SUCCESS) {
            out->scratch = NULL;
            status = lo_fail(err, lo_cl_status_of(rc),
                             "clCreateBuffer for the network kernel's %lld scratch floats failed: "
                             "%s",
                             (long long)(scratch_half * 2), lo_cl_error_name(rc));
        }
    }
    size_t local = 0;
    if (status == LO_OK) {
        rc = clGetKernelWorkGroupInfo(launch->kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                      sizeof local, &local, NULL);
        if (rc != CL_SUCCESS)
            status = lo_fail(err, lo_cl_status_of(rc),
                             "clGetKernelWorkGroupInfo(lo_network, CL_KERNEL_WORK_GROUP_SIZE) "
                             "failed: %s",
                             lo_cl_error_name(rc));
    }
    if (status == LO_OK) {
        if (local > ctx->max_work_group_size) local = ctx->max_work_group_size;
        if (local > NETWORK_LOCAL) local = NETWORK_LOCAL;
        if (local == 0) local = 1;
        launch->dims = 1;
        launch->global[0] = launch->local[0] = local;
        launch->global[1] = launch->global[2] = launch->local[1] = launch->local[2] = 1;
        /* The scratch and the constants, when there are none: the arena, never read. */
        lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
        lo_cl_arg_mem(&args, buffers->arena);
        lo_cl_arg_mem(&args, out->scratch ? out->scratch : buffers->arena);
        lo_cl_arg_mem(&args, out->constants ? out->constants : buffers->arena);
        if (args.rc != CL_SUCCESS)
            status = lo_fail(err, LO_ERR_DEVICE, "clSetKernelArg(lo_network, %u) failed: %s",
                             (unsigned)args.failed, lo_cl_error_name(args.rc));
    }
    for (int s = 0; s < plan->num_steps && status == LO_OK; s++)
        lo_trace("opencl: node '%s' (%s): lo_network step %d of %d, local %zu%s",
                 plan->steps[s].node_name ? plan->steps[s].node_name : "?", plan->steps[s].label,
                 s + 1, plan->num_steps, local, out->scratch ? " (with scratch)" : "");
    if (status != LO_OK) {
        lo_cl_launch_release(ctx, launch);
        lo_cl_network_release(ctx, out);
    }
    return status;
}

void lo_cl_network_release(lo_backend_context *ctx, lo_cl_network *network)
{
    lo_cl_constant_release(ctx, network->constants);
    network->constants = NULL;
    if (network->scratch) clReleaseMemObject(network->scratch);
    if (network->program) clReleaseProgram(network->program);
    network->scratch = NULL;
    network->program = NULL;
}
