/* The kernel test's shared machinery: see kernel_harness.h. */
#include "kernel_harness.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const lo_backend *be;
lo_backend_context *ctx;
const lo_backend *ref_be;
lo_backend_context *ref_ctx;
size_t align_bytes;
ref_rng rng;
double worst_error;
static int reports_left = 25; /* detailed failure reports; later failures are only counted */

/* ---------------------------------------------------------------- counters */

#define MAX_COUNTED_FILES 16
static int *counted_checks[MAX_COUNTED_FILES], *counted_failures[MAX_COUNTED_FILES];
static int num_counted;

void kernel_counters_add(int *checks, int *failures)
{
    if (num_counted == MAX_COUNTED_FILES) {
        fprintf(stderr, "test bug: more than %d files count checks\n", MAX_COUNTED_FILES);
        exit(2);
    }
    counted_checks[num_counted] = checks;
    counted_failures[num_counted++] = failures;
}

int kernel_failures(void)
{
    int sum = 0;
    for (int i = 0; i < num_counted; i++)
        sum += *counted_failures[i];
    return sum;
}

int kernel_exit_code(void)
{
    int checks = 0;
    for (int i = 0; i < num_counted; i++)
        checks += *counted_checks[i];
    printf("%d checks, %d failed\n", checks, kernel_failures());
    return kernel_failures() ? 1 : 0;
}

bool report_failure(void)
{
    lo_test_checks++;
    lo_test_failures++;
    if (reports_left == 0) fprintf(stderr, "(further failures are counted, not described)\n");
    return reports_left-- > 0;
}

/* ---------------------------------------------------------------- small helpers */

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int64_t rint_(int64_t lo, int64_t hi)
{
    return ref_rng_int(&rng, lo, hi);
}

bool chance(double p)
{
    return ref_rng_chance(&rng, p);
}

void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of host memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

size_t ref_bytes(const lo_tensor_ref *r)
{
    return (size_t)ref_numel(&r->shape) * ref_dtype_size(r->dtype);
}

lo_activation random_fused_activation(lo_activation_args *args)
{
    memset(args, 0, sizeof *args);
    const int64_t r = rint_(0, 11);
    if (r == 10) {
        args->alpha = chance(0.5) ? 0.01f : ref_rng_float(&rng, -0.5f, 0.5f);
        return LO_ACT_LEAKY_RELU;
    }
    if (r == 11) {
        /* ReLU6, bounds inside the values' range, unbounded below (Clip 11 without min), or
         * crossed (min > max: max wins). */
        static const lo_activation_args bounds[4] = {
            {0.0f, 0.0f, 6.0f}, {0.0f, -0.5f, 0.25f}, {0.0f, -INFINITY, 0.5f}, {0.0f, 0.5f, -0.5f}};
        *args = bounds[rint_(0, 3)];
        return LO_ACT_CLIP;
    }
    return r < 4 ? LO_ACT_NONE : r < 8 ? LO_ACT_RELU : r == 8 ? LO_ACT_SIGMOID : LO_ACT_TANH;
}

void step_label(lo_step *st, const char *op, lo_activation activation)
{
    if (activation == LO_ACT_NONE)
        snprintf(st->label, sizeof st->label, "%s", op);
    else
        snprintf(st->label, sizeof st->label, "%s+%s", op, lo_activation_name(activation));
}

const char *kind_name(lo_step_kind kind)
{
    switch (kind) {
    case LO_STEP_CONV:
        return "Conv";
    case LO_STEP_MAXPOOL:
        return "MaxPool";
    case LO_STEP_GEMM:
        return "Gemm";
    case LO_STEP_UNARY:
        return "Unary";
    case LO_STEP_COPY:
        return "Copy";
    case LO_STEP_AVGPOOL:
        return "AveragePool";
    case LO_STEP_PAD:
        return "Pad";
    case LO_STEP_CONCAT:
        return "Concat";
    case LO_STEP_TRANSPOSE:
        return "Transpose";
    case LO_STEP_BINARY:
        return "Binary";
    case LO_STEP_SOFTMAX:
        return "Softmax";
    case LO_STEP_BATCHNORM:
        return "BatchNorm";
    case LO_STEP_MATMUL:
        return "MatMul";
    case LO_STEP_GEMM_CHAIN:
        return "GemmChain";
    }
    return "?";
}

static const char *act_name(lo_activation a)
{
    return lo_activation_name(a);
}

/* "[1,0,3]" of the first `rank` strides. */
static const char *strides_str(int rank, const int64_t *strides, char *buf, size_t size)
{
    lo_shape as_shape = ref_shape(rank, strides);
    return ref_shape_str(&as_shape, buf, size);
}

static void print_ref(const char *name, const lo_tensor_ref *r)
{
    char s[128], where[48];
    if (r->buffer == LO_BUFFER_ARENA)
        snprintf(where, sizeof where, "arena+%zu", r->offset);
    else
        snprintf(where, sizeof where, "constant %d", r->constant);
    fprintf(stderr, "    %-3s %s %s %s\n", name, where,
            r->dtype == LO_DTYPE_UINT8 ? "uint8" : "float", ref_shape_str(&r->shape, s, sizeof s));
}

void describe_step(const lo_step *st)
{
    fprintf(stderr, "  step %s (%s, \"%s\")\n", kind_name(st->kind),
            st->node_name ? st->node_name : "", st->label);
    switch (st->kind) {
    case LO_STEP_CONV: {
        const lo_conv_params *p = &st->params.conv;
        fprintf(stderr,
                "    group=%" PRId64 " kernel=%" PRId64 "x%" PRId64 " stride=%" PRId64 "x%" PRId64
                " dilation=%" PRId64 "x%" PRId64 " pads(t,l,b,r)=%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRId64 " bias=%d act=%s(alpha=%.9g min=%.9g max=%.9g)\n",
                p->group, p->kernel[0], p->kernel[1], p->stride[0], p->stride[1], p->dilation[0],
                p->dilation[1], p->pad_begin[0], p->pad_begin[1], p->pad_end[0], p->pad_end[1],
                p->has_bias, act_name(p->activation), (double)p->activation_args.alpha,
                (double)p->activation_args.min, (double)p->activation_args.max);
        break;
    }
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL: {
        const lo_pool_params *p = &st->params.pool;
        fprintf(stderr,
                "    kernel=%" PRId64 "x%" PRId64 " stride=%" PRId64 "x%" PRId64
                " dilation=%" PRId64 "x%" PRId64 " pads(t,l,b,r)=%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRId64 " count_include_pad=%d\n",
                p->kernel[0], p->kernel[1], p->stride[0], p->stride[1], p->dilation[0],
                p->dilation[1], p->pad_begin[0], p->pad_begin[1], p->pad_end[0], p->pad_end[1],
                p->count_include_pad);
        break;
    }
    case LO_STEP_PAD: {
        const lo_pad_params *p = &st->params.pad;
        fprintf(stderr, "    value=%.9g pads(begin;end)=", (double)p->value);
        for (int d = 0; d < st->inputs[0].shape.rank; d++)
            fprintf(stderr, "%s%" PRId64, d ? "," : "", p->pad_begin[d]);
        fprintf(stderr, ";");
        for (int d = 0; d < st->inputs[0].shape.rank; d++)
            fprintf(stderr, "%s%" PRId64, d ? "," : "", p->pad_end[d]);
        fprintf(stderr, "\n");
        break;
    }
    case LO_STEP_CONCAT:
        fprintf(stderr, "    axis=%d\n", st->params.concat.axis);
        break;
    case LO_STEP_TRANSPOSE:
        fprintf(stderr, "    perm=");
        for (int d = 0; d < st->output.shape.rank; d++)
            fprintf(stderr, "%s%d", d ? "," : "", st->params.transpose.perm[d]);
        fprintf(stderr, "\n");
        break;
    case LO_STEP_GEMM: {
        const lo_gemm_params *p = &st->params.gemm;
        fprintf(stderr,
                "    alpha=%.9g beta=%.9g trans_a=%d trans_b=%d has_c=%d act=%s(alpha=%.9g "
                "min=%.9g max=%.9g)\n",
                (double)p->alpha, (double)p->beta, p->trans_a, p->trans_b, p->has_c,
                act_name(p->activation), (double)p->activation_args.alpha,
                (double)p->activation_args.min, (double)p->activation_args.max);
        break;
    }
    case LO_STEP_UNARY:
        fprintf(stderr, "    op=%s alpha=%.9g min=%.9g max=%.9g min_input=%d max_input=%d\n",
                act_name(st->params.unary.op), (double)st->params.unary.alpha,
                (double)st->params.unary.min, (double)st->params.unary.max,
                st->params.unary.min_input, st->params.unary.max_input);
        break;
    case LO_STEP_COPY:
        break;
    case LO_STEP_BINARY: {
        const lo_binary_params *p = &st->params.binary;
        char sa[128], sb[128];
        fprintf(stderr, "    op=%s a_strides=%s b_strides=%s\n", lo_binary_op_name(p->op),
                strides_str(st->output.shape.rank, p->a_strides, sa, sizeof sa),
                strides_str(st->output.shape.rank, p->b_strides, sb, sizeof sb));
        break;
    }
    case LO_STEP_SOFTMAX: {
        const lo_softmax_params *p = &st->params.softmax;
        fprintf(stderr, "    outer=%" PRId64 " len=%" PRId64 " inner=%" PRId64 " log=%d\n",
                p->outer, p->axis_len, p->inner, p->log);
        break;
    }
    case LO_STEP_BATCHNORM: {
        const lo_batchnorm_params *p = &st->params.batchnorm;
        fprintf(stderr, "    channels=%" PRId64 " inner=%" PRId64 " epsilon=%.9g\n", p->channels,
                p->inner, (double)p->epsilon);
        break;
    }
    case LO_STEP_MATMUL: {
        const lo_matmul_params *p = &st->params.matmul;
        char sd[128], sa[128], sb[128];
        fprintf(stderr,
                "    m=%" PRId64 " n=%" PRId64 " k=%" PRId64
                " batch=%s a_strides=%s b_strides=%s\n",
                p->m, p->n, p->k, strides_str(p->batch_rank, p->batch_dims, sd, sizeof sd),
                strides_str(p->batch_rank, p->a_strides, sa, sizeof sa),
                strides_str(p->batch_rank, p->b_strides, sb, sizeof sb));
        break;
    }
    case LO_STEP_GEMM_CHAIN: {
        const lo_gemm_chain_params *p = &st->params.gemm_chain;
        for (int l = 0; l < p->layers; l++)
            fprintf(stderr,
                    "    layer %d: alpha=%.9g beta=%.9g trans_b=%d has_c=%d act=%s b=in%d c=in%d\n",
                    l, (double)p->layer[l].alpha, (double)p->layer[l].beta, p->layer[l].trans_b,
                    p->layer[l].has_c, act_name(p->layer[l].activation), p->b_input[l],
                    p->c_input[l]);
        break;
    }
    }
    static const char *names[LO_STEP_MAX_INPUTS] = {"in0", "in1", "in2", "in3",
                                                    "in4", "in5", "in6", "in7"};

    for (int i = 0; i < st->num_inputs; i++)
        print_ref(names[i], &st->inputs[i]);
    print_ref("out", &st->output);
}

/* "[n,c,h,w]" of a flat index in shape. */
static const char *index_str(const lo_shape *shape, int64_t flat, char *buf, size_t size)
{
    int64_t idx[LO_MAX_RANK];
    for (int i = shape->rank - 1; i >= 0; i--) {
        idx[i] = shape->dims[i] ? flat % shape->dims[i] : 0;
        flat = shape->dims[i] ? flat / shape->dims[i] : 0;
    }
    lo_shape as_shape = ref_shape(shape->rank, idx);
    return ref_shape_str(&as_shape, buf, size);
}

bool compare_output(const char *what, const lo_step *st, const void *got, const void *want)
{
    const int64_t n = ref_numel(&st->output.shape);
    int64_t bad = 0, first = -1;
    double max_err = 0.0;
    if (st->output.dtype == LO_DTYPE_UINT8) {
        const uint8_t *g = got, *w = want;
        for (int64_t i = 0; i < n; i++)
            if (g[i] != w[i]) {
                if (first < 0) first = i;
                bad++;
                max_err = fmax(max_err, fabs((double)g[i] - (double)w[i]));
            }
    } else {
        const float *g = got, *w = want;
        for (int64_t i = 0; i < n; i++) {
            const double err = fabs((double)g[i] - (double)w[i]);
            const double scaled = err / fmax(1.0, fabs((double)w[i]));
            if (scaled > worst_error) worst_error = scaled;
            if (!(scaled <= TOLERANCE)) {
                if (first < 0) first = i;
                bad++;
                max_err = isnan(err) ? err : fmax(max_err, err);
            }
        }
    }
    if (!bad) {
        lo_test_checks++;
        return true;
    }
    if (!report_failure()) return false;
    char ib[96];
    fprintf(stderr,
            "FAIL %s: %s output differs from the reference backend in %" PRId64 " of %" PRId64
            " elements (max |err| %.3g)\n",
            what, kind_name(st->kind), bad, n, max_err);
    describe_step(st);
    if (st->output.dtype == LO_DTYPE_UINT8)
        fprintf(stderr, "  first bad index %" PRId64 " %s: got %u want %u\n", first,
                index_str(&st->output.shape, first, ib, sizeof ib), ((const uint8_t *)got)[first],
                ((const uint8_t *)want)[first]);
    else
        fprintf(stderr, "  first bad index %" PRId64 " %s: got %.9g want %.9g\n", first,
                index_str(&st->output.shape, first, ib, sizeof ib),
                (double)((const float *)got)[first], (double)((const float *)want)[first]);
    return false;
}

lo_conv_params conv_params(int64_t group, int64_t kh, int64_t kw)
{
    lo_conv_params p;
    memset(&p, 0, sizeof p);
    p.group = group;
    p.kernel[0] = kh;
    p.kernel[1] = kw;
    p.stride[0] = p.stride[1] = 1;
    p.dilation[0] = p.dilation[1] = 1;
    return p;
}

/* ---------------------------------------------------------------- random shapes */

lo_shape factor_shape(int64_t numel, int rank)
{
    int64_t dims[LO_MAX_RANK];
    int64_t left = numel;
    for (int i = 0; i < rank - 1; i++) {
        int64_t d;
        do
            d = rint_(1, left < 12 ? left : 12);
        while (left % d);
        dims[i] = d;
        left /= d;
    }
    if (rank > 0) dims[rank - 1] = left;
    return ref_shape(rank, dims);
}

lo_shape random_shape(int64_t max_numel)
{
    const int rank = (int)rint_(0, 4);
    int64_t dims[LO_MAX_RANK], numel = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = rint_(1, max_numel > 10000 ? 40 : 13);
        if (numel * dims[i] > max_numel) dims[i] = 1;
        numel *= dims[i];
    }
    return ref_shape(rank, dims);
}

lo_shape small_shape(int rank, int64_t max_dim)
{
    int64_t dims[LO_MAX_RANK];
    for (int i = 0; i < rank; i++)
        dims[i] = rint_(1, max_dim);
    return ref_shape(rank, dims);
}

void test_strides(const lo_shape *in, int at, int64_t strides[LO_MAX_RANK])
{
    memset(strides, 0, LO_MAX_RANK * sizeof strides[0]);
    int64_t dense = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        if (in->dims[d] != 1) strides[at + d] = dense;
        dense *= in->dims[d];
    }
}

/* An input shape that broadcasts to `out` numpy-style: a suffix of it, some dims set to 1. */

/* ---------------------------------------------------------------- batches of one-step cases */

uint64_t new_constant_id(void)
{
    static uint64_t last;
    return ++last;
}

static int batch_counter;

void *batch_alloc(batch *b, size_t bytes)
{
    if (b->num_allocs == MAX_ALLOCS) {
        fprintf(stderr, "test bug: too many allocations in a batch\n");
        exit(2);
    }
    return b->allocs[b->num_allocs++] = xmalloc(bytes);
}

void batch_reset(batch *b)
{
    for (int i = 0; i < b->num_allocs; i++)
        free(b->allocs[i]);
    memset(b, 0, sizeof *b);
}

float *random_f32(batch *b, int64_t n, float lo, float hi)
{
    float *x = batch_alloc(b, (size_t)n * sizeof *x);
    ref_fill_f32(&rng, x, (size_t)n, lo, hi);
    return x;
}

void *random_data(batch *b, lo_dtype dtype, int64_t n)
{
    if (dtype == LO_DTYPE_FLOAT) return random_f32(b, n, -1.0f, 1.0f);
    uint8_t *x = batch_alloc(b, (size_t)n);
    ref_fill_u8(&rng, x, (size_t)n);
    return x;
}

/* Next region: aligned, never at offset 0, sometimes with a gap of a few alignment units. */
static size_t place(size_t *end, size_t bytes)
{
    size_t off = round_up(*end, align_bytes) + align_bytes * (size_t)rint_(0, 2);
    if (off == 0) off = align_bytes;
    *end = off + bytes;
    return off;
}

void set_input(pending *pc, int i, lo_dtype dtype, lo_shape shape, const void *data, double p_arena)
{
    pc->st.inputs[i].dtype = dtype;
    pc->st.inputs[i].shape = shape;
    pc->data[i] = data;
    pc->where[i] = chance(p_arena) ? LO_BUFFER_ARENA : LO_BUFFER_CONSTANT;
    if (pc->st.num_inputs < i + 1) pc->st.num_inputs = i + 1;
}

int refused_optional;

/* The core's validation and both backends must take a generated step. */
static bool step_accepted(const lo_step *st)
{
    lo_error err = {0};
    const char *who = "the core's step validation";
    lo_status status = lo_step_validate(st, &err);
    if (status == LO_OK) {
        who = be->name;
        status = be->supports(ctx, st, &err);
        /* A pool epilogue and a Gemm chain are optional fusions (step.h): a backend may refuse
         * them, with a reason, and the core then plans the steps apart. Counted, not failed. */
        if (status == LO_ERR_UNSUPPORTED &&
            ((st->kind == LO_STEP_CONV && st->params.conv.has_pool) ||
             st->kind == LO_STEP_GEMM_CHAIN)) {
            refused_optional++;
            return false;
        }
    }
    if (status == LO_OK) {
        who = ref_be->name;
        status = ref_be->supports(ref_ctx, st, &err);
    }
    if (status == LO_OK) return true;
    if (report_failure()) {
        fprintf(stderr, "FAIL: %s rejects a valid step: %s\n", who, err.message);
        describe_step(st);
    }
    return false;
}

void batch_add(batch *b, pending *pc)
{
    const size_t arena_before = b->arena_bytes;
    const int plan_inputs_before = b->num_plan_inputs, constants_before = b->num_constants;
    const int s = b->num_steps;
    lo_step *st = &b->steps[s];
    *st = pc->st;
    snprintf(b->names[s], sizeof b->names[s], "case%d.%d", batch_counter, s);
    st->node_name = b->names[s];
    if (!st->label[0]) snprintf(st->label, sizeof st->label, "%s", kind_name(st->kind));
    for (int i = 0; i < st->num_inputs; i++) {
        lo_tensor_ref *r = &st->inputs[i];
        r->buffer = pc->where[i];
        if (r->buffer == LO_BUFFER_ARENA) {
            r->offset = place(&b->arena_bytes, ref_bytes(r));
            b->plan_inputs[b->num_plan_inputs] = *r;
            b->plan_input_data[b->num_plan_inputs++] = pc->data[i];
        } else {
            /* Each constant input its own plan constant; the bytes are the generator's, which
             * run_batch scribbles over once both backends have prepared. */
            r->offset = 0;
            r->constant = b->num_constants;
            b->constants[b->num_constants++] = (lo_plan_constant){
                .name = b->names[s],
                .id = new_constant_id(),
                .data = pc->data[i],
                .bytes = ref_bytes(r),
                .dtype = r->dtype,
                .shape = r->shape,
            };
        }
    }
    st->output.buffer = LO_BUFFER_ARENA;
    if (pc->in_place)
        st->output.offset = st->inputs[pc->in_place_input].offset;
    else
        st->output.offset = place(&b->arena_bytes, ref_bytes(&st->output));
    if (!step_accepted(st)) {
        b->arena_bytes = arena_before;
        b->num_plan_inputs = plan_inputs_before;
        b->num_constants = constants_before;
        return;
    }
    b->plan_outputs[s] = st->output;
    b->num_steps++;
}

/* One backend's arena and prepared plan. */
typedef struct prepared_side {
    const lo_backend *backend;
    lo_backend_context *context;
    lo_backend_buffer *arena;
    lo_prepared *prepared;
} prepared_side;

static bool side_prepare(prepared_side *side, const lo_plan *plan, const uint8_t *image,
                         const char *what)
{
    lo_error err = {0};
    lo_status st =
        side->backend->buffer_alloc(side->context, plan->arena_bytes, &side->arena, &err);
    CHECK_OK(st, &err);
    if (!st)
        CHECK_OK(st = side->backend->buffer_write(side->context, side->arena, 0, image,
                                                  plan->arena_bytes, &err),
                 &err);
    if (!st)
        CHECK_OK(
            st = side->backend->prepare(side->context, plan, side->arena, &side->prepared, &err),
            &err);
    if (st)
        fprintf(stderr, "  (%s: %s could not prepare a plan of %d steps)\n", what,
                side->backend->name, plan->num_steps);
    return st == LO_OK;
}

static void side_free(prepared_side *side)
{
    if (side->prepared) side->backend->release(side->prepared);
    if (side->arena) side->backend->buffer_free(side->arena);
    memset(side, 0, sizeof *side);
}

void run_batch(batch *b, const char *what)
{
    if (!b->num_steps) return;
    const int n = b->num_steps;
    const uint8_t sentinel = (batch_counter & 1) ? 0xFF : 0x7F;
    lo_error err = {0};
    prepared_side tested = {be, ctx, NULL, NULL}, oracle = {ref_be, ref_ctx, NULL, NULL};
    void *got[BATCH_STEPS + 1] = {0}, *again[BATCH_STEPS + 1] = {0}, *want[BATCH_STEPS + 1] = {0};
    uint8_t *image = NULL, *expect = NULL, *care = NULL, *untouched = NULL;

    /* A graph output held in a constant (a graph whose output is known at plan time) is the
     * core's to copy: run() must leave its buffer alone. */
    const bool constant_output = b->num_constants > 0;
    size_t constant_output_bytes = 0;
    if (constant_output) {
        const lo_plan_constant *c = &b->constants[0];
        b->plan_outputs[n] = (lo_tensor_ref){LO_BUFFER_CONSTANT, c->dtype, 0, 0, c->shape};
        constant_output_bytes = c->bytes;
        untouched = xmalloc(constant_output_bytes);
        memset(untouched, 0x5A, constant_output_bytes);
    }
    const int num_outputs = n + (constant_output ? 1 : 0);

    const size_t arena_bytes = round_up(b->arena_bytes + align_bytes, align_bytes);
    image = xmalloc(arena_bytes);
    memset(image, sentinel, arena_bytes);
    const lo_plan plan = {
        .steps = b->steps,
        .num_steps = n,
        .arena_bytes = arena_bytes,
        .constants = b->constants,
        .num_constants = b->num_constants,
        .inputs = b->plan_inputs,
        .num_inputs = b->num_plan_inputs,
        .outputs = b->plan_outputs,
        .num_outputs = num_outputs,
    };
    if (!side_prepare(&oracle, &plan, image, what) || !side_prepare(&tested, &plan, image, what))
        goto done;
    /* The constants' host bytes are valid only during prepare: from here on they are junk. */
    for (int c = 0; c < b->num_constants; c++)
        memset((void *)b->constants[c].data, 0xA5, b->constants[c].bytes);

    for (int i = 0; i < num_outputs; i++) {
        const size_t bytes = i < n ? ref_bytes(&b->steps[i].output) : constant_output_bytes;
        got[i] = xmalloc(bytes);
        again[i] = xmalloc(bytes);
        want[i] = xmalloc(bytes);
        if (i == n) {
            memcpy(got[i], untouched, bytes);
            memcpy(again[i], untouched, bytes);
            memcpy(want[i], untouched, bytes);
        }
    }
    lo_status st = oracle.backend->run(oracle.prepared, b->plan_input_data, want, NULL, &err);
    CHECK_OK(st, &err);
    if (st) goto done;
    CHECK_OK(st = be->run(tested.prepared, b->plan_input_data, got, NULL, &err), &err);
    if (st) goto done;
    for (int i = 0; i < n; i++)
        compare_output(what, &b->steps[i], got[i], want[i]);
    if (constant_output) {
        CHECK_MSG(memcmp(got[n], untouched, constant_output_bytes) == 0,
                  "%s: %s wrote a graph output held in a constant", what, be->name);
        CHECK_MSG(memcmp(want[n], untouched, constant_output_bytes) == 0,
                  "%s: %s wrote a graph output held in a constant", what, ref_be->name);
    }

    /* Outside the outputs, the arena must hold exactly what was written: the sentinel, or the
     * inputs. A host backend may read an input where the caller holds it (input_in_place.h):
     * its bytes then keep the sentinel, all of them. */
    expect = xmalloc(arena_bytes);
    care = xmalloc(arena_bytes);
    memcpy(expect, image, arena_bytes);
    memset(care, 1, arena_bytes);
    for (int i = 0; i < n; i++)
        memset(care + b->steps[i].output.offset, 0, ref_bytes(&b->steps[i].output));
    CHECK_OK(st = be->buffer_read(ctx, tested.arena, 0, image, arena_bytes, &err), &err);
    if (st) goto done;
    for (int i = 0; i < b->num_plan_inputs; i++) {
        const size_t offset = b->plan_inputs[i].offset, bytes = ref_bytes(&b->plan_inputs[i]);
        bool kept = true;
        for (size_t k = 0; k < bytes && kept; k++)
            kept = image[offset + k] == sentinel;
        if (!kept) memcpy(expect + offset, b->plan_input_data[i], bytes);
    }
    for (size_t i = 0; i < arena_bytes; i++)
        if (care[i] && image[i] != expect[i]) {
            /* Name the step whose output ends closest before the damaged byte. */
            int near_step = -1;
            size_t best = SIZE_MAX;
            for (int s = 0; s < n; s++) {
                const size_t end = b->steps[s].output.offset + ref_bytes(&b->steps[s].output);
                if (end <= i && i - end < best) best = i - end, near_step = s;
            }
            if (report_failure()) {
                fprintf(stderr,
                        "FAIL %s: arena byte %zu changed (0x%02x, expected 0x%02x), %zu bytes "
                        "past the output of step %d\n",
                        what, i, image[i], expect[i], best, near_step);
                if (near_step >= 0) describe_step(&b->steps[near_step]);
            }
            break;
        }

    /* The same prepared plan again: bit-identical results. */
    CHECK_OK(st = be->run(tested.prepared, b->plan_input_data, again, NULL, &err), &err);
    if (!st)
        for (int i = 0; i < n; i++)
            if (memcmp(got[i], again[i], ref_bytes(&b->steps[i].output)) != 0 && report_failure()) {
                fprintf(stderr, "FAIL %s: a second run of step %d gave different bits\n", what, i);
                describe_step(&b->steps[i]);
            }

done:
    side_free(&tested);
    side_free(&oracle);
    for (int i = 0; i < num_outputs; i++) {
        free(got[i]);
        free(again[i]);
        free(want[i]);
    }
    free(image);
    free(expect);
    free(care);
    free(untouched);
    batch_counter++;
}
