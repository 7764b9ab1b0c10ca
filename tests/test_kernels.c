/* Kernel tests: every step kind of the OpenCL backend against the plain-C oracle in ref_ops.c,
 * on hundreds of random cases per kind, then multi-step plans (a small LeNet) for chaining,
 * arena reuse, determinism and independence of prepared plans.
 *
 * Usage: test_kernels [SEED [SCALE]]. SEED (decimal or 0x...) reproduces a run; SCALE
 * multiplies the number of random cases (default 1: 800 convs, 1000 max pools, 800 gemms, 400
 * relus, 400 copies, 400 each of average pools, pads, concats and transposes, 400 other
 * activations, 600 binaries, 400 softmaxes, 200 batchnorms and 400 matmuls).
 *
 * Random cases are grouped many to a plan, each step in its own arena region, because prepare
 * and the first launch of each kernel shape cost far more than the run. The arena is filled
 * with a sentinel first, so writes outside a step's output and skipped elements show up.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "ref_ops.h"
#include "test_util.h"

#define BATCH_STEPS 50
#define MAX_ALLOCS  (BATCH_STEPS * 8)
#define TOLERANCE   1e-4

static const lo_backend *be;
static lo_backend_context *ctx;
static size_t align_bytes;
static ref_rng rng;
static double worst_error;    /* largest |got - want| / max(1, |want|) seen in the current group */
static int reports_left = 25; /* detailed failure reports; later failures are only counted */

/* Counts a failure; true when it should still be described in full. */
static bool report_failure(void)
{
    lo_test_checks++;
    lo_test_failures++;
    if (reports_left == 0) fprintf(stderr, "(further failures are counted, not described)\n");
    return reports_left-- > 0;
}

/* ---------------------------------------------------------------- small helpers */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int64_t rint_(int64_t lo, int64_t hi)
{
    return ref_rng_int(&rng, lo, hi);
}

static bool chance(double p)
{
    return ref_rng_chance(&rng, p);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of host memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static size_t ref_bytes(const lo_tensor_ref *r)
{
    return (size_t)ref_numel(&r->shape) * ref_dtype_size(r->dtype);
}

static const char *kind_name(lo_step_kind kind)
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
    char s[128];
    fprintf(stderr, "    %-3s %s+%zu %s %s\n", name,
            r->buffer == LO_BUFFER_ARENA ? "arena" : "weights", r->offset,
            r->dtype == LO_DTYPE_UINT8 ? "uint8" : "float", ref_shape_str(&r->shape, s, sizeof s));
}

/* Everything about a step, for a failure message that reproduces the case by itself. */
static void describe_step(const lo_step *st)
{
    fprintf(stderr, "  step %s (%s, \"%s\")\n", kind_name(st->kind),
            st->node_name ? st->node_name : "", st->label);
    switch (st->kind) {
    case LO_STEP_CONV: {
        const lo_conv_params *p = &st->params.conv;
        fprintf(stderr,
                "    group=%" PRId64 " kernel=%" PRId64 "x%" PRId64 " stride=%" PRId64 "x%" PRId64
                " dilation=%" PRId64 "x%" PRId64 " pads(t,l,b,r)=%" PRId64 ",%" PRId64 ",%" PRId64
                ",%" PRId64 " bias=%d act=%s\n",
                p->group, p->kernel[0], p->kernel[1], p->stride[0], p->stride[1], p->dilation[0],
                p->dilation[1], p->pad_begin[0], p->pad_begin[1], p->pad_end[0], p->pad_end[1],
                p->has_bias, act_name(p->activation));
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
        fprintf(stderr, "    alpha=%.9g beta=%.9g trans_a=%d trans_b=%d has_c=%d act=%s\n",
                (double)p->alpha, (double)p->beta, p->trans_a, p->trans_b, p->has_c,
                act_name(p->activation));
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

/* Compares a step's output with the oracle's. Returns true when they agree. */
static bool compare_output(const char *what, const lo_step *st, const void *got, const void *want)
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
            "FAIL %s: %s output differs from the oracle in %" PRId64 " of %" PRId64
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

/* ---------------------------------------------------------------- oracle self-checks */

static bool near(float got, double want)
{
    return fabs((double)got - want) <= 1e-5 * fmax(1.0, fabs(want));
}

static lo_conv_params conv_params(int64_t group, int64_t kh, int64_t kw)
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

static void oracle_self_checks(void)
{
    /* Output-size formulas against the ONNX operator docs' examples. */
    CHECK(ref_conv_out_dim(7, 3, 2, 1, 1, 1) == 4); /* conv_with_strides_padding */
    CHECK(ref_conv_out_dim(7, 3, 2, 1, 0, 0) == 3); /* conv_with_strides_no_padding */
    CHECK(ref_conv_out_dim(5, 3, 1, 1, 1, 1) == 5);
    CHECK(ref_conv_out_dim(5, 3, 1, 2, 0, 0) == 1); /* dilated extent 5 */
    CHECK(ref_conv_out_dim(4, 3, 1, 2, 0, 0) == 0);
    CHECK(ref_pool_out_dim(32, 2, 1, 1, 0, 0, false) == 31); /* maxpool_2d_default */
    CHECK(ref_pool_out_dim(4, 3, 2, 1, 0, 0, true) == 2);    /* maxpool_2d_ceil */
    CHECK(ref_pool_out_dim(4, 3, 2, 1, 0, 0, false) == 1);
    CHECK(ref_pool_out_dim(5, 5, 1, 1, 2, 2, false) == 5); /* maxpool_2d_pads */
    /* The ceil rule: windows start at -1, 1, 3, 5; the last starts in the right padding. */
    CHECK(ref_pool_out_dim(5, 2, 2, 1, 1, 1, true) == 3);
    CHECK(ref_pool_out_dim(6, 2, 2, 1, 1, 1, true) == 4);

    /* ONNX's averagepool_2d_ceil: 1..16 as 4x4, 3x3 windows, stride 2, ceil_mode; the last
     * row and column of windows are clipped to 2 pixels and divide by what they hold. */
    {
        float x[16], y[4];
        for (int i = 0; i < 16; i++)
            x[i] = (float)(i + 1);
        lo_pool_params p;
        memset(&p, 0, sizeof p);
        p.kernel[0] = p.kernel[1] = 3;
        p.stride[0] = p.stride[1] = 2;
        p.dilation[0] = p.dilation[1] = 1;
        lo_shape xs = ref_shape4(1, 1, 4, 4), ys = ref_shape4(1, 1, 2, 2);
        CHECK(ref_avgpool(&p, &xs, x, &ys, y) == 0);
        CHECK(y[0] == 6.0f && y[1] == 7.5f && y[2] == 12.0f && y[3] == 13.5f);
        /* averagepool_2d_pads_count_include_pad's corner: 3x3 window at pad 2, 5x5 kernel. */
        p.kernel[0] = p.kernel[1] = 5;
        p.stride[0] = p.stride[1] = 1;
        p.pad_begin[0] = p.pad_begin[1] = p.pad_end[0] = p.pad_end[1] = 2;
        float x4[16], y4[16];
        for (int i = 0; i < 16; i++)
            x4[i] = 1.0f;
        lo_shape ys4 = ref_shape4(1, 1, 4, 4);
        p.count_include_pad = true;
        CHECK(ref_avgpool(&p, &xs, x4, &ys4, y4) == 0 && near(y4[0], 9.0 / 25.0));
        p.count_include_pad = false;
        CHECK(ref_avgpool(&p, &xs, x4, &ys4, y4) == 0 && y4[0] == 1.0f);
    }
    /* Transpose of a 2x3 matrix, a pad that crops one side and pads the other, a concat. */
    {
        const float x[6] = {1, 2, 3, 4, 5, 6};
        float y[12];
        lo_transpose_params tp = {{1, 0}};
        lo_shape s23 = ref_shape2(2, 3), s32 = ref_shape2(3, 2);
        CHECK(ref_transpose(&tp, &s23, x, &s32, y) == 0);
        CHECK(y[0] == 1 && y[1] == 4 && y[2] == 2 && y[3] == 5 && y[4] == 3 && y[5] == 6);
        lo_pad_params pp;
        memset(&pp, 0, sizeof pp);
        pp.pad_begin[1] = -1;
        pp.pad_end[1] = 2;
        pp.value = 9.0f;
        lo_shape s24 = ref_shape2(2, 4);
        CHECK(ref_pad(&pp, &s23, x, &s24, y) == 0);
        CHECK(y[0] == 2 && y[1] == 3 && y[2] == 9 && y[3] == 9 && y[4] == 5 && y[7] == 9);
        lo_concat_params cp = {1};
        const lo_shape shapes[2] = {s23, ref_shape2(2, 1)};
        const float z[2] = {7, 8};
        const float *ins[2] = {x, z};
        CHECK(ref_concat(&cp, 2, shapes, ins, &s24, y) == 0);
        CHECK(y[0] == 1 && y[2] == 3 && y[3] == 7 && y[4] == 4 && y[7] == 8);
    }

    /* A 1x1 conv is a matrix multiply: Y[m, p] = sum_c W[m, c] * X[c, p]. */
    {
        enum { C = 3, M = 4, H = 2, W = 5 };
        float x[C * H * W], w[M * C], y_conv[M * H * W], y_gemm[M * H * W];
        ref_fill_f32(&rng, x, C * H * W, -1, 1);
        ref_fill_f32(&rng, w, M * C, -1, 1);
        lo_conv_params p = conv_params(1, 1, 1);
        lo_shape xs = ref_shape4(1, C, H, W), ws = ref_shape4(M, C, 1, 1),
                 ys = ref_shape4(1, M, H, W);
        CHECK(ref_conv(&p, &xs, x, &ws, w, NULL, &ys, y_conv) == 0);
        lo_gemm_params g = {1.0f, 1.0f, false, false, false, LO_ACT_NONE};
        lo_shape as = ref_shape2(M, C), bs = ref_shape2(C, H * W), os = ref_shape2(M, H * W);
        CHECK(ref_gemm(&g, &as, w, &bs, x, NULL, NULL, &os, y_gemm) == 0);
        bool same = true;
        for (int i = 0; i < M * H * W; i++) {
            double want = 0;
            for (int c = 0; c < C; c++)
                want += (double)w[(i / (H * W)) * C + c] * x[c * H * W + i % (H * W)];
            same = same && near(y_conv[i], want) && near(y_gemm[i], want);
        }
        CHECK_MSG(same, "1x1 conv and gemm disagree with the hand loop");
    }

    /* A 3x3 all-ones kernel with pad 1 on a constant image: 9v inside, 6v on edges, 4v in
     * corners; plus a bias and Relu on a negative image giving zero. */
    {
        enum { H = 4, W = 5 };
        float x[H * W], w[9], y[H * W], b = 0.5f;
        for (int i = 0; i < H * W; i++)
            x[i] = 2.0f;
        for (int i = 0; i < 9; i++)
            w[i] = 1.0f;
        lo_conv_params p = conv_params(1, 3, 3);
        p.pad_begin[0] = p.pad_begin[1] = p.pad_end[0] = p.pad_end[1] = 1;
        p.has_bias = true;
        lo_shape xs = ref_shape4(1, 1, H, W), ws = ref_shape4(1, 1, 3, 3),
                 ys = ref_shape4(1, 1, H, W);
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0);
        CHECK(near(y[0], 8.5) && near(y[W - 1], 8.5) && near(y[H * W - 1], 8.5));
        CHECK(near(y[1], 12.5) && near(y[W], 12.5));
        CHECK(near(y[W + 1], 18.5) && near(y[2 * W + 3], 18.5));
        for (int i = 0; i < H * W; i++)
            x[i] = -1.0f;
        p.activation = LO_ACT_RELU;
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0);
        CHECK(y[0] == 0.0f && y[W + 1] == 0.0f);
        /* A wrong output shape is rejected. */
        lo_shape bad = ref_shape4(1, 1, H, W + 1);
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &bad, y) != 0);
    }

    /* Grouped conv equals one conv per group on channel slices. */
    {
        enum { C = 4, M = 6, H = 5, W = 6 };
        float x[C * H * W], w[M * (C / 2) * 9], b[M], y[M * H * W], part[(M / 2) * H * W];
        ref_fill_f32(&rng, x, C * H * W, -1, 1);
        ref_fill_f32(&rng, w, M * (C / 2) * 9, -1, 1);
        ref_fill_f32(&rng, b, M, -1, 1);
        lo_conv_params p = conv_params(2, 3, 3);
        p.pad_begin[0] = 1;
        p.pad_end[1] = 2;
        p.stride[1] = 2;
        p.has_bias = true;
        const int64_t oh = ref_conv_out_dim(H, 3, 1, 1, 1, 0);
        const int64_t ow = ref_conv_out_dim(W, 3, 2, 1, 0, 2);
        lo_shape xs = ref_shape4(1, C, H, W), ws = ref_shape4(M, C / 2, 3, 3),
                 ys = ref_shape4(1, M, oh, ow);
        CHECK(ref_conv(&p, &xs, x, &ws, w, b, &ys, y) == 0);
        lo_conv_params p1 = p;
        p1.group = 1;
        lo_shape xs1 = ref_shape4(1, C / 2, H, W), ws1 = ref_shape4(M / 2, C / 2, 3, 3),
                 ys1 = ref_shape4(1, M / 2, oh, ow);
        bool same = true;
        for (int g = 0; g < 2; g++) {
            CHECK(ref_conv(&p1, &xs1, x + g * (C / 2) * H * W, &ws1, w + g * (M / 2) * (C / 2) * 9,
                           b + g * (M / 2), &ys1, part) == 0);
            for (int64_t i = 0; i < (M / 2) * oh * ow; i++)
                same = same && y[g * (M / 2) * oh * ow + i] == part[i];
        }
        CHECK_MSG(same, "group conv differs from per-group convs");
    }

    /* Max pool of an ascending ramp picks each window's bottom-right element; ceil mode adds a
     * clipped last window; uint8 the same. */
    {
        enum { H = 5, W = 5 };
        float x[H * W], y[9];
        uint8_t xu[H * W], yu[9];
        for (int i = 0; i < H * W; i++) {
            x[i] = (float)i;
            xu[i] = (uint8_t)(i * 10);
        }
        lo_pool_params p;
        memset(&p, 0, sizeof p);
        p.kernel[0] = p.kernel[1] = 2;
        p.stride[0] = p.stride[1] = 2;
        p.dilation[0] = p.dilation[1] = 1;
        lo_shape xs = ref_shape4(1, 1, H, W), floor_s = ref_shape4(1, 1, 2, 2),
                 ceil_s = ref_shape4(1, 1, 3, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &floor_s, y) == 0);
        CHECK(y[0] == 6 && y[1] == 8 && y[2] == 16 && y[3] == 18);
        CHECK(ref_maxpool_f32(&p, &xs, x, &ceil_s, y) == 0);
        CHECK(y[2] == 9 && y[5] == 19 && y[6] == 21 && y[8] == 24);
        CHECK(ref_maxpool_u8(&p, &xs, xu, &ceil_s, yu) == 0);
        CHECK(yu[0] == 60 && yu[8] == 240);
        lo_shape too_big = ref_shape4(1, 1, 4, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &too_big, y) != 0);
        /* Padding never wins: all-negative input with pads. */
        for (int i = 0; i < H * W; i++)
            x[i] = -100.0f - (float)i;
        p.pad_begin[0] = p.pad_begin[1] = 1;
        lo_shape ps = ref_shape4(1, 1, 3, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &ps, y) == 0);
        CHECK(y[0] == -100.0f && y[4] == -106.0f);
    }

    /* Gemm by hand: A = [[1,2],[3,4]], B = [[5,6],[7,8]]. */
    {
        const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c_row[2] = {10, 20};
        const float c_col[2] = {-1, 1}, c_scalar = 3;
        float y[4];
        lo_shape s22 = ref_shape2(2, 2), s2 = ref_shape1(2), s21 = ref_shape2(2, 1),
                 s0 = ref_shape(0, NULL);
        lo_gemm_params g = {1.0f, 1.0f, false, false, false, LO_ACT_NONE};
        CHECK(ref_gemm(&g, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 19 && y[1] == 22 && y[2] == 43 && y[3] == 50);
        g.alpha = 2.0f;
        g.beta = 0.5f;
        g.has_c = true;
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s2, c_row, &s22, y) == 0);
        CHECK(y[0] == 43 && y[1] == 54 && y[2] == 91 && y[3] == 110);
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s21, c_col, &s22, y) == 0);
        CHECK(y[0] == 37.5f && y[1] == 43.5f && y[2] == 86.5f && y[3] == 100.5f);
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s0, &c_scalar, &s22, y) == 0);
        CHECK(y[0] == 39.5f && y[3] == 101.5f);
        lo_gemm_params t = {1.0f, 1.0f, true, false, false, LO_ACT_NONE};
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 26 && y[1] == 30 && y[2] == 38 && y[3] == 44);
        t.trans_a = false;
        t.trans_b = true;
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 17 && y[1] == 23 && y[2] == 39 && y[3] == 53);
        t.trans_a = true;
        t.alpha = -1.0f;
        t.activation = LO_ACT_RELU;
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 0 && y[3] == 0);
        /* A 1x3 by 3x1 product through the dispatcher; C of a wrong size is rejected. */
        lo_step st;
        memset(&st, 0, sizeof st);
        st.kind = LO_STEP_GEMM;
        st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, false, false, LO_ACT_NONE};
        st.num_inputs = 2;
        st.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, ref_shape2(1, 3)};
        st.inputs[1] = (lo_tensor_ref){LO_BUFFER_WEIGHTS, LO_DTYPE_FLOAT, 0, ref_shape2(3, 1)};
        st.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, ref_shape2(1, 1)};
        const float va[3] = {1, 2, 3}, vb[3] = {4, 5, 6};
        const void *ins[2] = {va, vb};
        CHECK(ref_run_step(&st, ins, y) == 0 && y[0] == 32);
        lo_shape s3 = ref_shape1(3);
        g.has_c = true;
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s3, va, &s22, y) != 0);
    }

    /* Relu and copy. */
    {
        const float x[5] = {-1.5f, 0.0f, 2.0f, -0.0f, 1e-30f};
        float y[5];
        lo_unary_params u = {LO_ACT_RELU, 0, 0, 0, 0, 0};
        lo_shape s = ref_shape1(5);
        CHECK(ref_unary(&u, &s, x, y) == 0);
        CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3] == 0 && y[4] == 1e-30f);
        lo_shape s51 = ref_shape2(5, 1), s6 = ref_shape1(6);
        CHECK(ref_copy(&s, &s51, 4, x, y) == 0 && memcmp(x, y, sizeof x) == 0);
        CHECK(ref_copy(&s, &s6, 4, x, y) != 0);
    }

    /* The other activations, on values worked out by hand. */
    {
        const float x[4] = {-2.0f, 0.0f, 0.5f, 3.0f};
        float y[4];
        lo_shape s = ref_shape1(4);
        lo_unary_params u = {LO_ACT_SIGMOID, 0, 0, 0, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[1], 0.5) && near(y[3], 0.95257412682));
        u.op = LO_ACT_TANH;
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[0], -0.96402758007) && y[1] == 0);
        u = (lo_unary_params){LO_ACT_LEAKY_RELU, 0.1f, 0, 0, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[0], -0.2) && y[3] == 3);
        u = (lo_unary_params){LO_ACT_CLIP, 0, -1.0f, 1.0f, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && y[0] == -1 && y[2] == 0.5f && y[3] == 1);
        u = (lo_unary_params){LO_ACT_CLIP, 0, 2.0f, 1.0f, 0, 0}; /* ONNX, numpy: max wins */
        CHECK(ref_unary(&u, &s, x, y) == 0 && y[0] == 1 && y[1] == 1 && y[2] == 1 && y[3] == 1);
    }

    /* Binary: [2,3] - [3] (B's strides 0 along rows), and PRelu with a per-row slope. */
    {
        const float a[6] = {1, 2, 3, -4, -5, -6}, b[3] = {1, 10, 100};
        float y[6];
        lo_shape s23 = ref_shape2(2, 3), s3 = ref_shape1(3), s21 = ref_shape2(2, 1);
        lo_binary_params p;
        memset(&p, 0, sizeof p);
        p.op = LO_BIN_SUB;
        p.a_strides[0] = 3;
        p.a_strides[1] = 1;
        p.b_strides[1] = 1;
        CHECK(ref_binary(&p, &s23, a, &s3, b, &s23, y) == 0 && y[0] == 0 && y[5] == -106);
        p.op = LO_BIN_PRELU;
        p.b_strides[0] = 1;
        p.b_strides[1] = 0;
        CHECK(ref_binary(&p, &s23, a, &s21, b, &s23, y) == 0 && y[2] == 3 && y[3] == -40);
        p.b_strides[0] = 3; /* reaches past B's two values */
        CHECK(ref_binary(&p, &s23, a, &s21, b, &s23, y) != 0);
    }

    /* Softmax over [1,2] rows of a [2,2]; log form; large inputs stay finite. */
    {
        const float x[4] = {0.0f, 0.0f, 1000.0f, 1001.0f};
        float y[4];
        lo_shape s = ref_shape2(2, 2);
        lo_softmax_params p = {2, 2, 1, false};
        CHECK(ref_softmax(&p, &s, x, y) == 0 && near(y[0], 0.5) && near(y[3], 0.73105857863));
        p.log = true;
        CHECK(ref_softmax(&p, &s, x, y) == 0 && near(y[2], -1.31326168752));
    }

    /* BatchNormalization of two channels of [1,2,2]; MatMul [2,2,3] x [3] (batched by vector). */
    {
        const float x[4] = {1, 3, 10, 20}, scale[2] = {2, 1}, bias[2] = {0, 1}, mean[2] = {2, 10},
                    var[2] = {4, 1};
        float y[4];
        lo_shape s = ref_shape(3, (const int64_t[]){1, 2, 2});
        lo_batchnorm_params p = {2, 2, 0.0f};
        CHECK(ref_batchnorm(&p, &s, x, scale, bias, mean, var, y) == 0 && near(y[0], -1) &&
              near(y[1], 1) && near(y[2], 1) && near(y[3], 11));
        const float a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, v[3] = {1, 0, -1};
        lo_shape as = ref_shape(3, (const int64_t[]){2, 2, 3}), vs = ref_shape1(3),
                 ys = ref_shape2(2, 2);
        CHECK(ref_matmul(&as, a, &vs, v, &ys, y) == 0 && y[0] == -2 && y[3] == -2);
        lo_shape bad = ref_shape1(4);
        CHECK(ref_matmul(&as, a, &bad, v, &ys, y) != 0);
    }
}

/* ---------------------------------------------------------------- batches of one-step cases */

typedef struct batch {
    lo_step steps[BATCH_STEPS];
    char names[BATCH_STEPS][32];
    const void *step_data[BATCH_STEPS][LO_STEP_MAX_INPUTS]; /* host copy of every input */
    int num_steps;
    lo_tensor_ref plan_inputs[BATCH_STEPS * LO_STEP_MAX_INPUTS];
    const void *plan_input_data[BATCH_STEPS * LO_STEP_MAX_INPUTS];
    int num_plan_inputs;
    lo_tensor_ref plan_outputs[BATCH_STEPS];
    uint8_t *weights;
    size_t weights_bytes, weights_cap;
    size_t arena_bytes;
    void *allocs[MAX_ALLOCS];
    int num_allocs;
} batch;

static batch the_batch;
static int batch_counter;

static void *batch_alloc(batch *b, size_t bytes)
{
    if (b->num_allocs == MAX_ALLOCS) {
        fprintf(stderr, "test bug: too many allocations in a batch\n");
        exit(2);
    }
    return b->allocs[b->num_allocs++] = xmalloc(bytes);
}

static void batch_reset(batch *b)
{
    for (int i = 0; i < b->num_allocs; i++)
        free(b->allocs[i]);
    free(b->weights);
    memset(b, 0, sizeof *b);
}

/* Next region: aligned, never at offset 0, sometimes with a gap of a few alignment units. */
static size_t place(size_t *end, size_t bytes)
{
    size_t off = round_up(*end, align_bytes) + align_bytes * (size_t)rint_(0, 2);
    if (off == 0) off = align_bytes;
    *end = off + bytes;
    return off;
}

/* A step under construction: shapes, dtypes and host data set, placement still to do. */
typedef struct pending {
    lo_step st;
    const void *data[LO_STEP_MAX_INPUTS];
    lo_buffer_id where[LO_STEP_MAX_INPUTS];
    bool in_place; /* output shares input 0's region (Unary only) */
} pending;

static void set_input(pending *pc, int i, lo_dtype dtype, lo_shape shape, const void *data,
                      double p_arena)
{
    pc->st.inputs[i].dtype = dtype;
    pc->st.inputs[i].shape = shape;
    pc->data[i] = data;
    pc->where[i] = chance(p_arena) ? LO_BUFFER_ARENA : LO_BUFFER_WEIGHTS;
    if (pc->st.num_inputs < i + 1) pc->st.num_inputs = i + 1;
}

/* Places the pending step's tensors and adds it; a step the backend rejects is a failure and
 * is left out of the plan. */
static void batch_add(batch *b, pending *pc)
{
    const size_t arena_before = b->arena_bytes, weights_before = b->weights_bytes;
    const int plan_inputs_before = b->num_plan_inputs;
    const int s = b->num_steps;
    lo_step *st = &b->steps[s];
    *st = pc->st;
    snprintf(b->names[s], sizeof b->names[s], "case%d.%d", batch_counter, s);
    st->node_name = b->names[s];
    if (!st->label[0]) snprintf(st->label, sizeof st->label, "%s", kind_name(st->kind));
    for (int i = 0; i < st->num_inputs; i++) {
        lo_tensor_ref *r = &st->inputs[i];
        const size_t bytes = ref_bytes(r);
        r->buffer = pc->where[i];
        b->step_data[s][i] = pc->data[i];
        if (r->buffer == LO_BUFFER_ARENA) {
            r->offset = place(&b->arena_bytes, bytes);
            b->plan_inputs[b->num_plan_inputs] = *r;
            b->plan_input_data[b->num_plan_inputs++] = pc->data[i];
        } else {
            const size_t gap_start = b->weights_bytes;
            r->offset = place(&b->weights_bytes, bytes);
            if (b->weights_bytes > b->weights_cap) {
                b->weights_cap = 2 * b->weights_bytes;
                b->weights = realloc(b->weights, b->weights_cap);
                if (!b->weights) exit(2);
            }
            /* Gaps in the image get a pattern, so a misplaced read sees junk, not zeros. */
            memset(b->weights + gap_start, 0xC3, r->offset - gap_start);
            memcpy(b->weights + r->offset, pc->data[i], bytes);
        }
    }
    st->output.buffer = LO_BUFFER_ARENA;
    if (pc->in_place)
        st->output.offset = st->inputs[0].offset;
    else
        st->output.offset = place(&b->arena_bytes, ref_bytes(&st->output));

    lo_error err = {0};
    if (be->supports && be->supports(ctx, st, &err) != LO_OK) {
        if (report_failure()) {
            fprintf(stderr, "FAIL: backend rejects a valid step: %s\n", err.message);
            describe_step(st);
        }
        b->arena_bytes = arena_before;
        b->weights_bytes = weights_before;
        b->num_plan_inputs = plan_inputs_before;
        return;
    }
    b->plan_outputs[s] = st->output;
    b->num_steps++;
}

/* Marks [offset, offset + bytes) in mask with value. */
static void mark(uint8_t *mask, size_t offset, size_t bytes, uint8_t value)
{
    memset(mask + offset, value, bytes);
}

/* Prepares and runs the batch twice, comparing every output with the oracle, the two runs with
 * each other, the arena outside outputs with what it held before, and the weights buffer. */
static void run_batch(batch *b, const char *what)
{
    if (!b->num_steps) return;
    const int n = b->num_steps;
    const uint8_t sentinel = (batch_counter & 1) ? 0xFF : 0x7F;
    lo_error err = {0};
    lo_backend_buffer *arena = NULL, *weights = NULL;
    lo_prepared *prep = NULL;
    void *got[BATCH_STEPS] = {0}, *again[BATCH_STEPS] = {0};
    uint8_t *image = NULL, *expect = NULL, *care = NULL;

    const size_t arena_bytes = round_up(b->arena_bytes + align_bytes, align_bytes);
    lo_status st = be->buffer_alloc(ctx, arena_bytes, &arena, &err);
    CHECK_OK(st, &err);
    if (st) goto done;
    if (b->weights_bytes) {
        st = be->buffer_alloc(ctx, b->weights_bytes, &weights, &err);
        CHECK_OK(st, &err);
        if (st) goto done;
        CHECK_OK(st = be->buffer_write(ctx, weights, 0, b->weights, b->weights_bytes, &err), &err);
        if (st) goto done;
    }
    image = xmalloc(arena_bytes);
    memset(image, sentinel, arena_bytes);
    CHECK_OK(st = be->buffer_write(ctx, arena, 0, image, arena_bytes, &err), &err);
    if (st) goto done;

    lo_plan plan = {
        .steps = b->steps,
        .num_steps = n,
        .arena_bytes = arena_bytes,
        .weights = b->weights_bytes ? b->weights : NULL,
        .weights_bytes = b->weights_bytes,
        .inputs = b->plan_inputs,
        .num_inputs = b->num_plan_inputs,
        .outputs = b->plan_outputs,
        .num_outputs = n,
    };
    st = be->prepare(ctx, &plan, arena, weights, &prep, &err);
    CHECK_OK(st, &err);
    if (st) {
        fprintf(stderr, "  (%s: prepare failed for a plan of %d steps)\n", what, n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        got[i] = xmalloc(ref_bytes(&b->steps[i].output));
        again[i] = xmalloc(ref_bytes(&b->steps[i].output));
    }
    CHECK_OK(st = be->run(prep, b->plan_input_data, got, NULL, &err), &err);
    if (st) goto done;

    for (int i = 0; i < n; i++) {
        const lo_step *s = &b->steps[i];
        void *want = xmalloc(ref_bytes(&s->output));
        if (ref_run_step(s, b->step_data[i], want) != 0) {
            if (report_failure()) {
                fprintf(stderr, "FAIL test bug: the oracle rejects a generated step: %s\n",
                        ref_error());
                describe_step(s);
            }
        } else {
            compare_output(what, s, got[i], want);
        }
        free(want);
    }

    /* Outside the outputs, the arena must hold exactly what was written: the sentinel, or the
     * inputs. */
    expect = xmalloc(arena_bytes);
    care = xmalloc(arena_bytes);
    memcpy(expect, image, arena_bytes);
    memset(care, 1, arena_bytes);
    for (int i = 0; i < b->num_plan_inputs; i++)
        memcpy(expect + b->plan_inputs[i].offset, b->plan_input_data[i],
               ref_bytes(&b->plan_inputs[i]));
    for (int i = 0; i < n; i++)
        mark(care, b->steps[i].output.offset, ref_bytes(&b->steps[i].output), 0);
    CHECK_OK(st = be->buffer_read(ctx, arena, 0, image, arena_bytes, &err), &err);
    if (st) goto done;
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
    if (b->weights_bytes) {
        uint8_t *wback = xmalloc(b->weights_bytes);
        CHECK_OK(st = be->buffer_read(ctx, weights, 0, wback, b->weights_bytes, &err), &err);
        CHECK_MSG(st || memcmp(wback, b->weights, b->weights_bytes) == 0,
                  "%s: the weights buffer changed during run", what);
        free(wback);
    }

    /* The same prepared plan again: bit-identical results. */
    CHECK_OK(st = be->run(prep, b->plan_input_data, again, NULL, &err), &err);
    if (!st)
        for (int i = 0; i < n; i++)
            if (memcmp(got[i], again[i], ref_bytes(&b->steps[i].output)) != 0 && report_failure()) {
                fprintf(stderr, "FAIL %s: a second run of step %d gave different bits\n", what, i);
                describe_step(&b->steps[i]);
            }

done:
    if (prep) be->release(prep);
    if (weights) be->buffer_free(weights);
    if (arena) be->buffer_free(arena);
    for (int i = 0; i < n; i++) {
        free(got[i]);
        free(again[i]);
    }
    free(image);
    free(expect);
    free(care);
    batch_counter++;
}

/* ---------------------------------------------------------------- case generators */

static float *random_f32(batch *b, int64_t n, float lo, float hi)
{
    float *x = batch_alloc(b, (size_t)n * sizeof *x);
    ref_fill_f32(&rng, x, (size_t)n, lo, hi);
    return x;
}

static void *random_data(batch *b, lo_dtype dtype, int64_t n)
{
    if (dtype == LO_DTYPE_FLOAT) return random_f32(b, n, -1.0f, 1.0f);
    uint8_t *x = batch_alloc(b, (size_t)n);
    ref_fill_u8(&rng, x, (size_t)n);
    return x;
}

/* Pads for one axis of a window with the given dilated extent. */
static void random_pads(int mode, int64_t extent, int64_t *begin, int64_t *end)
{
    switch (mode) {
    case 0: /* none */
        *begin = *end = 0;
        break;
    case 1: /* symmetric */
        *begin = *end = rint_(0, 3);
        break;
    case 2: /* asymmetric */
        *begin = rint_(0, 3);
        *end = rint_(0, 3);
        break;
    default: /* larger than the kernel on at least one side */
        *begin = rint_(0, extent + 2);
        *end = rint_(extent, extent + 2);
        if (chance(0.5)) {
            const int64_t t = *begin;
            *begin = *end;
            *end = t;
        }
        break;
    }
}

static int64_t random_kernel_dim(void)
{
    return chance(0.3) ? 1 + 2 * rint_(0, 3) : rint_(1, 7); /* odd sizes often */
}

static void gen_conv(batch *b, int index)
{
    pending pc;
    lo_conv_params *p = &pc.st.params.conv;
    int64_t n, c, m, group, in[2], out[2];
    /* Re-rolled until the oracle's work is modest, so large channel counts stay cheap. */
    for (;;) {
        memset(&pc, 0, sizeof pc);
        n = rint_(1, 5);
        switch (index % 8) {
        case 0: /* depthwise, with channel multipliers */
            c = rint_(1, 16);
            group = c;
            m = c * rint_(1, 3);
            break;
        case 1: /* group = C/2 */
            group = rint_(1, 8);
            c = 2 * group;
            m = group * rint_(1, 6);
            break;
        case 2: /* other groups, up to a dozen outputs each */
            group = rint_(2, 4);
            c = group * rint_(1, 4);
            m = group * rint_(1, 12);
            break;
        case 3: /* many output channels: several vector blocks and a partial last one */
            group = 1;
            c = rint_(1, 16);
            m = rint_(17, 40);
            break;
        default:
            group = 1;
            c = rint_(1, 8);
            m = rint_(1, 16);
            break;
        }
        /* Now and then a large image, so the grid spans many work-groups. */
        const bool large = index % 25 == 24;
        p->group = group;
        p->kernel[0] = random_kernel_dim();
        p->kernel[1] = chance(0.5) ? p->kernel[0] : random_kernel_dim();
        const int pad_mode = (int)rint_(0, 3);
        for (int a = 0; a < 2; a++) {
            p->stride[a] = rint_(1, 3);
            p->dilation[a] = chance(0.6) ? 1 : rint_(2, 3);
            const int64_t extent = p->dilation[a] * (p->kernel[a] - 1) + 1;
            random_pads(pad_mode, extent, &p->pad_begin[a], &p->pad_end[a]);
            int64_t min_in = extent - p->pad_begin[a] - p->pad_end[a];
            if (min_in < 1) min_in = 1;
            in[a] = large ? rint_(min_in + 30, min_in + 70) : rint_(min_in, min_in + 12);
            out[a] = ref_conv_out_dim(in[a], p->kernel[a], p->stride[a], p->dilation[a],
                                      p->pad_begin[a], p->pad_end[a]);
        }
        const int64_t macs = n * m * out[0] * out[1] * (c / group) * p->kernel[0] * p->kernel[1];
        if (macs <= 2000000) break;
    }
    pc.st.kind = LO_STEP_CONV;
    p->has_bias = chance(0.5);
    p->activation = chance(0.5) ? LO_ACT_RELU : LO_ACT_NONE;
    snprintf(pc.st.label, sizeof pc.st.label, "Conv%s", p->activation ? "+Relu" : "");

    const lo_shape xs = ref_shape4(n, c, in[0], in[1]);
    const lo_shape ws = ref_shape4(m, c / group, p->kernel[0], p->kernel[1]);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    set_input(&pc, 1, LO_DTYPE_FLOAT, ws, random_f32(b, ref_numel(&ws), -1, 1), 0.2);
    if (p->has_bias) set_input(&pc, 2, LO_DTYPE_FLOAT, ref_shape1(m), random_f32(b, m, -1, 1), 0.2);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape =
        ref_shape4(n, m,
                   ref_conv_out_dim(in[0], p->kernel[0], p->stride[0], p->dilation[0],
                                    p->pad_begin[0], p->pad_end[0]),
                   ref_conv_out_dim(in[1], p->kernel[1], p->stride[1], p->dilation[1],
                                    p->pad_begin[1], p->pad_end[1]));
    batch_add(b, &pc);
}

/* True when every window along the axis sees at least one input element (ONNX leaves the
 * value of an all-padding window undefined in practice, so the tests avoid it). */
static bool windows_nonempty(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                             int64_t dilation, int64_t pad_begin)
{
    for (int64_t o = 0; o < out; o++) {
        bool any = false;
        for (int64_t j = 0; j < kernel && !any; j++) {
            const int64_t pos = o * stride - pad_begin + j * dilation;
            any = pos >= 0 && pos < in;
        }
        if (!any) return false;
    }
    return true;
}

static void gen_pool(batch *b, lo_step_kind kind, lo_dtype dtype)
{
    pending pc;
    lo_pool_params *p;
    int64_t in[2], out[2];
    for (;;) {
        memset(&pc, 0, sizeof pc);
        p = &pc.st.params.pool;
        /* A quarter are the windows networks use (2x2 or 3x3, stride 2, no padding): backends
         * tend to have a fast path for those. */
        const bool classic = chance(0.25);
        const int pad_mode = classic || chance(0.4) ? 0 : (int)rint_(1, 3);
        const bool ceil_mode = chance(0.5);
        /* Global pooling: one window over the whole image. */
        const bool global = !classic && chance(0.1);
        bool ok = true;
        p->kernel[0] = classic ? (chance(0.75) ? 2 : 3) : rint_(1, 5);
        p->kernel[1] = classic || chance(0.5) ? p->kernel[0] : rint_(1, 5);
        for (int a = 0; a < 2 && ok; a++) {
            p->stride[a] = classic ? 2 : rint_(1, 3);
            p->dilation[a] = classic || chance(0.7) ? 1 : rint_(2, 3);
            const int64_t extent = p->dilation[a] * (p->kernel[a] - 1) + 1;
            random_pads(pad_mode, extent, &p->pad_begin[a], &p->pad_end[a]);
            int64_t min_in = extent - p->pad_begin[a] - p->pad_end[a];
            if (min_in < 1) min_in = 1;
            in[a] = chance(0.05) ? rint_(min_in + 30, min_in + 70) : rint_(min_in, min_in + 14);
            out[a] = ref_pool_out_dim(in[a], p->kernel[a], p->stride[a], p->dilation[a],
                                      p->pad_begin[a], p->pad_end[a], ceil_mode);
            if (global) {
                in[a] = rint_(1, 20);
                p->kernel[a] = in[a];
                p->stride[a] = p->dilation[a] = out[a] = 1;
                p->pad_begin[a] = p->pad_end[a] = 0;
            }
            ok = out[a] >= 1 && windows_nonempty(in[a], out[a], p->kernel[a], p->stride[a],
                                                 p->dilation[a], p->pad_begin[a]);
        }
        if (ok) break;
    }
    pc.st.kind = kind;
    p->count_include_pad = kind == LO_STEP_AVGPOOL && chance(0.5);
    snprintf(pc.st.label, sizeof pc.st.label, "%s", kind_name(kind));
    const int64_t n = rint_(1, 5), c = rint_(1, 6);
    const lo_shape xs = ref_shape4(n, c, in[0], in[1]);
    set_input(&pc, 0, dtype, xs, random_data(b, dtype, ref_numel(&xs)), 0.85);
    pc.st.output.dtype = dtype;
    pc.st.output.shape = ref_shape4(n, c, out[0], out[1]);
    batch_add(b, &pc);
}

static int64_t gemm_dim(void)
{
    const int64_t r = rint_(0, 9);
    return r == 0 ? 1 : r == 1 ? 70 : rint_(1, 70);
}

static void gen_gemm(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    lo_gemm_params *p = &pc.st.params.gemm;
    pc.st.kind = LO_STEP_GEMM;
    /* Some cases are the size of a classifier layer (LeNet's first is 400 -> 120). */
    const bool large = index % 8 == 7;
    const int64_t m = gemm_dim(), n = large ? rint_(70, 130) : gemm_dim(),
                  k = large ? rint_(100, 512) : gemm_dim();
    p->trans_a = index & 1;
    p->trans_b = (index >> 1) & 1;
    p->alpha = chance(0.3) ? 1.0f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->beta = chance(0.3) ? 1.0f : chance(0.05) ? 0.0f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->activation = chance(0.5) ? LO_ACT_RELU : LO_ACT_NONE;
    snprintf(pc.st.label, sizeof pc.st.label, "Gemm%s", p->activation ? "+Relu" : "");
    const lo_shape as = p->trans_a ? ref_shape2(k, m) : ref_shape2(m, k);
    const lo_shape bs = p->trans_b ? ref_shape2(n, k) : ref_shape2(k, n);
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, random_f32(b, m * k, -1, 1), 0.8);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, random_f32(b, k * n, -1, 1), 0.25);
    lo_shape cs;
    memset(&cs, 0, sizeof cs);
    switch ((index / 4) % 8) {
    case 0:
        cs.rank = -1; /* no C */
        break;
    case 1:
        cs = ref_shape(0, NULL);
        break;
    case 2:
        cs = ref_shape1(n);
        break;
    case 3:
        cs = ref_shape2(1, n);
        break;
    case 4:
        cs = ref_shape2(m, 1);
        break;
    case 5:
        cs = ref_shape2(m, n);
        break;
    case 6:
        cs = ref_shape1(1);
        break;
    default:
        cs = ref_shape2(1, 1);
        break;
    }
    p->has_c = cs.rank >= 0;
    if (p->has_c) set_input(&pc, 2, LO_DTYPE_FLOAT, cs, random_f32(b, ref_numel(&cs), -1, 1), 0.25);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ref_shape2(m, n);
    batch_add(b, &pc);
}

/* A random shape of the given rank whose element count is exactly numel. */
static lo_shape factor_shape(int64_t numel, int rank)
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

static lo_shape random_shape(int64_t max_numel)
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

static void gen_unary(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_UNARY;
    pc.st.params.unary.op = LO_ACT_RELU;
    snprintf(pc.st.label, sizeof pc.st.label, "Relu");
    const lo_shape s = random_shape(chance(0.05) ? 200000 : 6000);
    const int64_t n = ref_numel(&s);
    float *x = random_f32(b, n, -3.0f, 3.0f);
    /* Mixed signs, with exact zeros, negative zeros and tiny values among them. */
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rint_(0, 19);
        if (r == 0) x[i] = 0.0f;
        if (r == 1) x[i] = -0.0f;
        if (r == 2) x[i] *= 1e-30f;
        if (r == 3) x[i] *= 1e30f;
    }
    pc.in_place = chance(0.25);
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, x, pc.in_place ? 1.0 : 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

static lo_shape small_shape(int rank, int64_t max_dim)
{
    int64_t dims[LO_MAX_RANK];
    for (int i = 0; i < rank; i++)
        dims[i] = rint_(1, max_dim);
    return ref_shape(rank, dims);
}

static void gen_pad(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_PAD;
    snprintf(pc.st.label, sizeof pc.st.label, "Pad");
    lo_pad_params *p = &pc.st.params.pad;
    const int rank = (int)rint_(1, 5);
    const lo_shape xs = small_shape(rank, rank > 3 ? 6 : 12);
    lo_shape ys = xs;
    for (int d = 0; d < rank; d++) {
        /* Mostly growth; now and then cropping (negative pads), never below one element. */
        p->pad_begin[d] = chance(0.2) ? -rint_(0, xs.dims[d] - 1) : rint_(0, 3);
        p->pad_end[d] = chance(0.2) ? -rint_(0, xs.dims[d] - 1) : rint_(0, 3);
        if (xs.dims[d] + p->pad_begin[d] + p->pad_end[d] < 1) p->pad_end[d] = -p->pad_begin[d];
        ys.dims[d] = xs.dims[d] + p->pad_begin[d] + p->pad_end[d];
    }
    p->value = chance(0.5) ? 0.0f : ref_rng_float(&rng, -5.0f, 5.0f);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

static void gen_concat(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_CONCAT;
    snprintf(pc.st.label, sizeof pc.st.label, "Concat");
    const int rank = (int)rint_(1, 4);
    const int axis = (int)rint_(0, rank - 1);
    const int count = (int)rint_(1, LO_STEP_MAX_INPUTS);
    lo_shape ys = small_shape(rank, rank > 2 ? 7 : 12);
    ys.dims[axis] = 0;
    pc.st.params.concat.axis = axis;
    for (int i = 0; i < count; i++) {
        lo_shape xs = ys;
        xs.dims[axis] = rint_(1, 6);
        ys.dims[axis] += xs.dims[axis];
        set_input(&pc, i, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.8);
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

static void gen_transpose(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_TRANSPOSE;
    snprintf(pc.st.label, sizeof pc.st.label, "Transpose");
    const int rank = (int)rint_(1, 6);
    const lo_shape xs = small_shape(rank, rank > 4 ? 4 : rank > 2 ? 8 : 20);
    int *perm = pc.st.params.transpose.perm;
    for (int d = 0; d < rank; d++)
        perm[d] = d;
    for (int d = rank - 1; d > 0; d--) { /* Fisher-Yates */
        const int j = (int)rint_(0, d), t = perm[d];
        perm[d] = perm[j];
        perm[j] = t;
    }
    lo_shape ys = xs;
    for (int d = 0; d < rank; d++)
        ys.dims[d] = xs.dims[perm[d]];
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

/* The activations past Relu with their parameters; Clip sometimes one-sided or unbounded. */
static void gen_activation(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_UNARY;
    lo_unary_params *p = &pc.st.params.unary;
    static const lo_activation ops[4] = {LO_ACT_SIGMOID, LO_ACT_TANH, LO_ACT_LEAKY_RELU,
                                         LO_ACT_CLIP};
    p->op = ops[index % 4];
    p->alpha = chance(0.3) ? 0.01f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->min = chance(0.2) ? -INFINITY : ref_rng_float(&rng, -4.0f, 0.5f);
    p->max = chance(0.2) ? INFINITY : ref_rng_float(&rng, 0.5f, 4.0f);
    /* min > max: ONNX's min(max(x, min), max) gives max everywhere (finite: the oracle
     * comparison takes differences). */
    if (isfinite(p->min) && isfinite(p->max) && chance(0.1)) {
        const float swap = p->min;
        p->min = p->max;
        p->max = swap;
    }
    snprintf(pc.st.label, sizeof pc.st.label, "%s", lo_activation_name(p->op));
    const lo_shape s = random_shape(chance(0.05) ? 200000 : 6000);
    const int64_t n = ref_numel(&s);
    float *x = random_f32(b, n, -8.0f, 8.0f);
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rint_(0, 19);
        if (r == 0) x[i] = 0.0f;
        if (r == 1) x[i] = -0.0f;
        if (r == 2) x[i] *= 1e-30f;
        if (r == 3) x[i] *= 1e4f; /* saturates sigmoid and tanh; exp overflows */
    }
    pc.in_place = chance(0.25);
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, x, pc.in_place ? 1.0 : 0.85);
    /* Clip's bounds, now and then, as inputs read at run time (the params then hold junk). */
    if (p->op == LO_ACT_CLIP) {
        float *bounds[2] = {&p->min, &p->max};
        int *which[2] = {&p->min_input, &p->max_input};
        for (int k = 0; k < 2; k++) {
            if (!chance(0.4)) continue;
            float *v = random_f32(b, 1, 0, 1);
            *v = *bounds[k];
            *bounds[k] = 12345.0f;
            *which[k] = pc.st.num_inputs;
            set_input(&pc, pc.st.num_inputs, LO_DTYPE_FLOAT,
                      chance(0.5) ? ref_shape(0, NULL) : ref_shape1(1), v, 0.5);
        }
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

/* Dense strides of `in` placed with its axis 0 at output axis `at`; 0 where in has a 1 or
 * lacks the axis. */
static void test_strides(const lo_shape *in, int at, int64_t strides[LO_MAX_RANK])
{
    memset(strides, 0, LO_MAX_RANK * sizeof strides[0]);
    int64_t dense = 1;
    for (int d = in->rank - 1; d >= 0; d--) {
        if (in->dims[d] != 1) strides[at + d] = dense;
        dense *= in->dims[d];
    }
}

/* An input shape that broadcasts to `out` numpy-style: a suffix of it, some dims set to 1. */
static lo_shape broadcast_operand(const lo_shape *out)
{
    const int rank = (int)rint_(0, out->rank);
    int64_t dims[LO_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        dims[d] = out->dims[out->rank - rank + d];
        if (chance(0.35)) dims[d] = 1;
    }
    return ref_shape(rank, dims);
}

static void gen_binary(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_BINARY;
    lo_binary_params *p = &pc.st.params.binary;
    p->op = (lo_binary_op)(LO_BIN_ADD + index % 5);
    snprintf(pc.st.label, sizeof pc.st.label, "%s", lo_binary_op_name(p->op));
    int64_t dims[LO_MAX_RANK];
    const int rank = (int)rint_(0, chance(0.1) ? 8 : 5);
    int64_t numel = 1;
    for (int d = 0; d < rank; d++) {
        dims[d] = chance(0.2) ? 1 : rint_(1, rank > 5 ? 3 : 9);
        if (chance(0.03)) dims[d] = rint_(100, 600);
        if (numel * dims[d] > 100000) dims[d] = 1;
        numel *= dims[d];
    }
    const lo_shape ys = ref_shape(rank, dims);
    lo_shape as = ys, bs = ys;
    int b_at = 0;
    switch ((index / 5) % 4) {
    case 0: /* same shapes: the direct path */
        break;
    case 1: /* numpy broadcast of B (PRelu's only form: the slope broadcasts to X) */
        bs = broadcast_operand(&ys);
        break;
    case 2: /* numpy broadcast of both, A never bigger than the output */
        if (p->op != LO_BIN_PRELU) as = broadcast_operand(&ys);
        bs = broadcast_operand(&ys);
        break;
    default: { /* legacy: B a run of the output's dims aligned at an axis */
        const int len = (int)rint_(0, rank);
        b_at = (int)rint_(0, rank - len);
        bs = ref_shape(len, dims + b_at);
        break;
    }
    }
    /* numpy: broadcast operands align right; the legacy run sits at b_at. */
    if ((index / 5) % 4 != 3) b_at = rank - bs.rank;
    /* The output is what the operands broadcast to: where both have a 1, so does it. */
    lo_shape out = ys;
    for (int d = 0; d < rank; d++) {
        const int da = d - (rank - as.rank), db = d - b_at;
        const int64_t x = da >= 0 ? as.dims[da] : 1, z = db >= 0 && db < bs.rank ? bs.dims[db] : 1;
        out.dims[d] = x == 1 ? z : x;
    }
    test_strides(&as, rank - as.rank, p->a_strides);
    test_strides(&bs, b_at, p->b_strides);
    float *a = random_f32(b, ref_numel(&as), -3.0f, 3.0f);
    float *bv = random_f32(b, ref_numel(&bs), -3.0f, 3.0f);
    if (p->op == LO_BIN_DIV) /* divisors away from 0 */
        for (int64_t i = 0; i < ref_numel(&bs); i++)
            bv[i] = (bv[i] < 0 ? -0.5f : 0.5f) + bv[i];
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, a, 0.7);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, bv, 0.5);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = out;
    batch_add(b, &pc);
}

static void gen_softmax(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_SOFTMAX;
    lo_softmax_params *p = &pc.st.params.softmax;
    p->log = index & 1;
    snprintf(pc.st.label, sizeof pc.st.label, "%s", p->log ? "LogSoftmax" : "Softmax");
    lo_shape s = random_shape(chance(0.05) ? 100000 : 6000);
    if (s.rank == 0) s = ref_shape1(rint_(1, 1000));
    /* Split at a random axis: the legacy 2-D view (inner 1) or one axis (inner the rest). */
    const int axis = (int)rint_(0, s.rank - 1);
    const bool coerce = (index >> 1) & 1;
    p->outer = p->axis_len = p->inner = 1;
    for (int d = 0; d < s.rank; d++) {
        if (d < axis)
            p->outer *= s.dims[d];
        else if (d == axis || coerce)
            p->axis_len *= s.dims[d];
        else
            p->inner *= s.dims[d];
    }
    const int64_t n = ref_numel(&s);
    /* Now and then huge logits: exp() would overflow without the max subtracted. */
    const float range = chance(0.2) ? 500.0f : 8.0f;
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, random_f32(b, n, -range, range), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

static void gen_batchnorm(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_BATCHNORM;
    lo_batchnorm_params *p = &pc.st.params.batchnorm;
    snprintf(pc.st.label, sizeof pc.st.label, "BatchNormalization");
    const int rank = (int)rint_(2, 5);
    int64_t dims[LO_MAX_RANK];
    dims[0] = rint_(1, 4);
    dims[1] = rint_(1, 24);
    p->channels = dims[1];
    p->inner = 1;
    for (int d = 2; d < rank; d++) {
        dims[d] = rint_(1, rank > 3 ? 6 : 14);
        p->inner *= dims[d];
    }
    p->epsilon = chance(0.5) ? 1e-5f : ref_rng_float(&rng, 0.0f, 0.1f);
    const lo_shape xs = ref_shape(rank, dims), cs = ref_shape1(p->channels);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -3, 3), 0.85);
    for (int i = 1; i < 5; i++) {
        const bool variance = i == 4;
        set_input(&pc, i, LO_DTYPE_FLOAT, cs,
                  random_f32(b, p->channels, variance ? 0.05f : -2.0f, 2.0f), 0.2);
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = xs;
    batch_add(b, &pc);
}

static void gen_matmul(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_MATMUL;
    lo_matmul_params *p = &pc.st.params.matmul;
    snprintf(pc.st.label, sizeof pc.st.label, "MatMul");
    const int ra = (int)rint_(1, 5), rb = (int)rint_(1, 5);
    p->m = ra == 1 ? 1 : rint_(1, 20);
    p->k = rint_(1, 40);
    p->n = rb == 1 ? 1 : rint_(1, 20);
    /* Batch dims of the output; each operand takes a suffix of them, some set to 1. */
    const int abr = ra > 2 ? ra - 2 : 0, bbr = rb > 2 ? rb - 2 : 0;
    p->batch_rank = abr > bbr ? abr : bbr;
    for (int d = 0; d < p->batch_rank; d++)
        p->batch_dims[d] = rint_(1, 4);
    int64_t ad[LO_MAX_RANK], bd[LO_MAX_RANK];
    for (int d = 0; d < abr; d++)
        ad[d] = chance(0.3) ? 1 : p->batch_dims[p->batch_rank - abr + d];
    for (int d = 0; d < bbr; d++)
        bd[d] = chance(0.3) ? 1 : p->batch_dims[p->batch_rank - bbr + d];
    /* Where both operands have a 1 (or lack the axis), so does the output. */
    for (int d = 0; d < p->batch_rank; d++) {
        const int da = d - (p->batch_rank - abr), db = d - (p->batch_rank - bbr);
        const int64_t x = da >= 0 ? ad[da] : 1, z = db >= 0 ? bd[db] : 1;
        p->batch_dims[d] = x == 1 ? z : x;
    }
    const lo_shape ab = ref_shape(abr, ad), bb = ref_shape(bbr, bd);
    test_strides(&ab, p->batch_rank - abr, p->a_strides);
    test_strides(&bb, p->batch_rank - bbr, p->b_strides);
    for (int d = 0; d < p->batch_rank; d++) {
        p->a_strides[d] *= p->m * p->k;
        p->b_strides[d] *= p->k * p->n;
    }
    lo_shape as = ab, bs = bb, ys = ref_shape(p->batch_rank, p->batch_dims);
    if (ra > 1) as.dims[as.rank++] = p->m;
    as.dims[as.rank++] = p->k;
    bs.dims[bs.rank++] = p->k;
    if (rb > 1) bs.dims[bs.rank++] = p->n;
    if (ra > 1) ys.dims[ys.rank++] = p->m;
    if (rb > 1) ys.dims[ys.rank++] = p->n;
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, random_f32(b, ref_numel(&as), -1, 1), 0.8);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, random_f32(b, ref_numel(&bs), -1, 1), 0.5);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ys;
    batch_add(b, &pc);
}

static void gen_copy(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_COPY;
    snprintf(pc.st.label, sizeof pc.st.label, "Copy");
    const lo_dtype dtype = chance(0.3) ? LO_DTYPE_UINT8 : LO_DTYPE_FLOAT;
    const lo_shape xs = random_shape(chance(0.05) ? 200000 : 8000);
    const int64_t n = ref_numel(&xs);
    set_input(&pc, 0, dtype, xs, random_data(b, dtype, n), 0.8);
    pc.st.output.dtype = dtype;
    pc.st.output.shape = factor_shape(n, n == 1 ? (int)rint_(0, 3) : (int)rint_(1, 4));
    batch_add(b, &pc);
}

typedef enum {
    GEN_CONV,
    GEN_POOL_F32,
    GEN_POOL_U8,
    GEN_GEMM,
    GEN_UNARY,
    GEN_COPY,
    GEN_AVGPOOL,
    GEN_PAD,
    GEN_CONCAT,
    GEN_TRANSPOSE,
    GEN_ACTIVATION,
    GEN_BINARY,
    GEN_SOFTMAX,
    GEN_BATCHNORM,
    GEN_MATMUL,
} gen_kind;

static void run_cases(gen_kind kind, const char *what, int count)
{
    const double t0 = now_s();
    const int failures_before = lo_test_failures;
    batch *b = &the_batch;
    worst_error = 0.0;
    for (int done = 0; done < count;) {
        batch_reset(b);
        const int size = count - done < BATCH_STEPS ? count - done : BATCH_STEPS;
        for (int i = 0; i < size; i++, done++) {
            switch (kind) {
            case GEN_CONV:
                gen_conv(b, done);
                break;
            case GEN_POOL_F32:
                gen_pool(b, LO_STEP_MAXPOOL, LO_DTYPE_FLOAT);
                break;
            case GEN_POOL_U8:
                gen_pool(b, LO_STEP_MAXPOOL, LO_DTYPE_UINT8);
                break;
            case GEN_AVGPOOL:
                gen_pool(b, LO_STEP_AVGPOOL, LO_DTYPE_FLOAT);
                break;
            case GEN_PAD:
                gen_pad(b);
                break;
            case GEN_CONCAT:
                gen_concat(b);
                break;
            case GEN_TRANSPOSE:
                gen_transpose(b);
                break;
            case GEN_GEMM:
                gen_gemm(b, done);
                break;
            case GEN_UNARY:
                gen_unary(b);
                break;
            case GEN_COPY:
                gen_copy(b);
                break;
            case GEN_ACTIVATION:
                gen_activation(b, done);
                break;
            case GEN_BINARY:
                gen_binary(b, done);
                break;
            case GEN_SOFTMAX:
                gen_softmax(b, done);
                break;
            case GEN_BATCHNORM:
                gen_batchnorm(b);
                break;
            case GEN_MATMUL:
                gen_matmul(b);
                break;
            }
        }
        run_batch(b, what);
    }
    batch_reset(b);
    printf("%-14s %5d cases  %6.2f s  max scaled err %.2g  %s\n", what, count, now_s() - t0,
           worst_error, lo_test_failures == failures_before ? "ok" : "FAILED");
    fflush(stdout);
}

/* ---------------------------------------------------------------- multi-step plans */

/* A LeNet-shaped chain: Conv+Relu, MaxPool, Conv+Relu, MaxPool, Copy (flatten), Gemm+Relu,
 * Gemm, Relu in place, Gemm. Activations ping-pong between two arena regions at varying
 * offsets, as a planner reusing memory would place them. */
#define NET_STEPS 9

typedef struct net {
    lo_step steps[NET_STEPS];
    lo_tensor_ref input, output;
    uint8_t *weights;
    size_t weights_bytes, arena_bytes;
    lo_backend_buffer *arena_buf, *weights_buf;
    lo_prepared *prep;
} net;

typedef struct net_config {
    int64_t batch, channels, size, pad1;
} net_config;

static lo_tensor_ref arena_ref(size_t offset, lo_shape shape)
{
    return (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, offset, shape};
}

/* Adds a constant of the given shape with values of about unit output scale. */
static lo_tensor_ref net_const(net *nt, size_t *end, lo_shape shape, int64_t fan_in)
{
    const int64_t n = ref_numel(&shape);
    const size_t gap_start = *end, off = round_up(*end, align_bytes) + align_bytes;
    *end = off + (size_t)n * 4;
    nt->weights = realloc(nt->weights, *end);
    if (!nt->weights) exit(2);
    memset(nt->weights + gap_start, 0xC3, off - gap_start);
    const float scale = 1.5f / sqrtf((float)fan_in);
    ref_fill_f32(&rng, (float *)(nt->weights + off), (size_t)n, -scale, scale);
    return (lo_tensor_ref){LO_BUFFER_WEIGHTS, LO_DTYPE_FLOAT, off, shape};
}

static lo_step net_conv(lo_tensor_ref x, lo_tensor_ref w, lo_tensor_ref bias, lo_tensor_ref y,
                        int64_t pad)
{
    lo_step st;
    memset(&st, 0, sizeof st);
    st.kind = LO_STEP_CONV;
    st.params.conv = conv_params(1, w.shape.dims[2], w.shape.dims[3]);
    st.params.conv.pad_begin[0] = st.params.conv.pad_begin[1] = pad;
    st.params.conv.pad_end[0] = st.params.conv.pad_end[1] = pad;
    st.params.conv.has_bias = true;
    st.params.conv.activation = LO_ACT_RELU;
    snprintf(st.label, sizeof st.label, "Conv+Relu");
    st.inputs[0] = x;
    st.inputs[1] = w;
    st.inputs[2] = bias;
    st.num_inputs = 3;
    st.output = y;
    return st;
}

static lo_step net_pool(lo_tensor_ref x, lo_tensor_ref y)
{
    lo_step st;
    memset(&st, 0, sizeof st);
    st.kind = LO_STEP_MAXPOOL;
    lo_pool_params *p = &st.params.pool;
    p->kernel[0] = p->kernel[1] = p->stride[0] = p->stride[1] = 2;
    p->dilation[0] = p->dilation[1] = 1;
    snprintf(st.label, sizeof st.label, "MaxPool");
    st.inputs[0] = x;
    st.num_inputs = 1;
    st.output = y;
    return st;
}

static lo_step net_gemm(lo_tensor_ref a, lo_tensor_ref w, lo_tensor_ref c, lo_tensor_ref y,
                        lo_activation act)
{
    lo_step st;
    memset(&st, 0, sizeof st);
    st.kind = LO_STEP_GEMM;
    st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, true, true, act};
    snprintf(st.label, sizeof st.label, "Gemm%s", act ? "+Relu" : "");
    st.inputs[0] = a;
    st.inputs[1] = w;
    st.inputs[2] = c;
    st.num_inputs = 3;
    st.output = y;
    return st;
}

static void net_build(net *nt, const net_config *cfg)
{
    memset(nt, 0, sizeof *nt);
    const int64_t n = cfg->batch, s1 = cfg->size + 2 * cfg->pad1 - 4, p1 = s1 / 2, s2 = p1 - 4,
                  p2 = s2 / 2;
    const lo_shape shapes[] = {
        ref_shape4(n, cfg->channels, cfg->size, cfg->size),
        ref_shape4(n, 6, s1, s1),
        ref_shape4(n, 6, p1, p1),
        ref_shape4(n, 16, s2, s2),
        ref_shape4(n, 16, p2, p2),
        ref_shape2(n, 16 * p2 * p2),
        ref_shape2(n, 120),
        ref_shape2(n, 84),
        ref_shape2(n, 10),
    };
    size_t region = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if ((size_t)ref_numel(&shapes[i]) * 4 > region) region = (size_t)ref_numel(&shapes[i]) * 4;
    region = round_up(region, align_bytes) + 4 * align_bytes;
    /* Region 0 starts at offset 0 (the input sits there); region 1 right after. */
    size_t t[9];
    for (int i = 0; i < 9; i++)
        t[i] = (size_t)(i % 2) * region + align_bytes * (size_t)(i == 0 ? 0 : rint_(0, 3));
    nt->arena_bytes = 2 * region;

    size_t wend = 0;
    const int64_t c0 = cfg->channels, flat = 16 * p2 * p2;
    lo_tensor_ref w1 = net_const(nt, &wend, ref_shape4(6, c0, 5, 5), c0 * 25);
    lo_tensor_ref b1 = net_const(nt, &wend, ref_shape1(6), c0 * 25);
    lo_tensor_ref w2 = net_const(nt, &wend, ref_shape4(16, 6, 5, 5), 150);
    lo_tensor_ref b2 = net_const(nt, &wend, ref_shape1(16), 150);
    lo_tensor_ref w3 = net_const(nt, &wend, ref_shape2(120, flat), flat);
    lo_tensor_ref b3 = net_const(nt, &wend, ref_shape1(120), flat);
    lo_tensor_ref w4 = net_const(nt, &wend, ref_shape2(84, 120), 120);
    lo_tensor_ref b4 = net_const(nt, &wend, ref_shape2(1, 84), 120);
    lo_tensor_ref w5 = net_const(nt, &wend, ref_shape2(10, 84), 84);
    lo_tensor_ref b5 = net_const(nt, &wend, ref_shape(0, NULL), 84);
    nt->weights_bytes = wend;

    lo_tensor_ref x[9];
    for (int i = 0; i < 9; i++)
        x[i] = arena_ref(t[i], shapes[i]);
    nt->steps[0] = net_conv(x[0], w1, b1, x[1], cfg->pad1);
    nt->steps[1] = net_pool(x[1], x[2]);
    nt->steps[2] = net_conv(x[2], w2, b2, x[3], 0);
    nt->steps[3] = net_pool(x[3], x[4]);
    memset(&nt->steps[4], 0, sizeof nt->steps[4]);
    nt->steps[4].kind = LO_STEP_COPY;
    snprintf(nt->steps[4].label, sizeof nt->steps[4].label, "Copy");
    nt->steps[4].inputs[0] = x[4];
    nt->steps[4].num_inputs = 1;
    nt->steps[4].output = x[5];
    nt->steps[5] = net_gemm(x[5], w3, b3, x[6], LO_ACT_RELU);
    nt->steps[6] = net_gemm(x[6], w4, b4, x[7], LO_ACT_NONE);
    memset(&nt->steps[7], 0, sizeof nt->steps[7]);
    nt->steps[7].kind = LO_STEP_UNARY;
    nt->steps[7].params.unary.op = LO_ACT_RELU;
    snprintf(nt->steps[7].label, sizeof nt->steps[7].label, "Relu");
    nt->steps[7].inputs[0] = x[7];
    nt->steps[7].num_inputs = 1;
    nt->steps[7].output = x[7]; /* in place */
    nt->steps[8] = net_gemm(x[7], w5, b5, x[8], LO_ACT_NONE);
    static const char *names[NET_STEPS] = {"conv1", "pool1", "conv2", "pool2", "flatten",
                                           "fc1",   "fc2",   "relu3", "fc3"};
    for (int i = 0; i < NET_STEPS; i++)
        nt->steps[i].node_name = names[i];
    nt->input = x[0];
    nt->output = x[8];
}

static lo_plan net_plan(const net *nt, bool profiling)
{
    return (lo_plan){.steps = nt->steps,
                     .num_steps = NET_STEPS,
                     .arena_bytes = nt->arena_bytes,
                     .weights = nt->weights,
                     .weights_bytes = nt->weights_bytes,
                     .inputs = &nt->input,
                     .num_inputs = 1,
                     .outputs = &nt->output,
                     .num_outputs = 1,
                     .profiling = profiling};
}

static bool net_prepare(net *nt, bool profiling)
{
    lo_error err = {0};
    lo_status st = be->buffer_alloc(ctx, nt->arena_bytes, &nt->arena_buf, &err);
    CHECK_OK(st, &err);
    if (!st) CHECK_OK(st = be->buffer_alloc(ctx, nt->weights_bytes, &nt->weights_buf, &err), &err);
    if (!st)
        CHECK_OK(
            st = be->buffer_write(ctx, nt->weights_buf, 0, nt->weights, nt->weights_bytes, &err),
            &err);
    const lo_plan plan = net_plan(nt, profiling);
    if (!st)
        CHECK_OK(st = be->prepare(ctx, &plan, nt->arena_buf, nt->weights_buf, &nt->prep, &err),
                 &err);
    return st == LO_OK;
}

static void net_free(net *nt)
{
    if (nt->prep) be->release(nt->prep);
    if (nt->weights_buf) be->buffer_free(nt->weights_buf);
    if (nt->arena_buf) be->buffer_free(nt->arena_buf);
    free(nt->weights);
    memset(nt, 0, sizeof *nt);
}

/* The oracle for a whole plan: a host arena and weights image, steps run in order on them, so
 * reuse and in-place steps behave as on the device. */
static void net_reference(const net *nt, const float *input, float *output)
{
    uint8_t *arena = xmalloc(nt->arena_bytes);
    memset(arena, 0, nt->arena_bytes);
    memcpy(arena + nt->input.offset, input, ref_bytes(&nt->input));
    for (int s = 0; s < NET_STEPS; s++) {
        const lo_step *st = &nt->steps[s];
        const void *ins[LO_STEP_MAX_INPUTS];
        for (int i = 0; i < st->num_inputs; i++)
            ins[i] = (st->inputs[i].buffer == LO_BUFFER_ARENA ? arena : nt->weights) +
                     st->inputs[i].offset;
        void *tmp = xmalloc(ref_bytes(&st->output));
        CHECK_MSG(ref_run_step(st, ins, tmp) == 0, "oracle rejects net step %d: %s", s,
                  ref_error());
        memcpy(arena + st->output.offset, tmp, ref_bytes(&st->output));
        free(tmp);
    }
    memcpy(output, arena + nt->output.offset, ref_bytes(&nt->output));
    free(arena);
}

static bool net_run(net *nt, const float *input, float *output, double *step_ms)
{
    lo_error err = {0};
    const void *ins[1] = {input};
    void *outs[1] = {output};
    lo_status st = be->run(nt->prep, ins, outs, step_ms, &err);
    CHECK_OK(st, &err);
    return st == LO_OK;
}

/* Runs the net on input and compares with the oracle; output receives the device's result. */
static void net_check(net *nt, const char *what, const float *input, float *output)
{
    float want[64 * 10];
    if (!net_run(nt, input, output, NULL)) return;
    net_reference(nt, input, want);
    compare_output(what, &nt->steps[NET_STEPS - 1], output, want);
}

typedef struct net_thread {
    net *nt;
    const float *input;
    const float *expect;
    int runs, mismatches, errors;
} net_thread;

static void *net_thread_main(void *arg)
{
    net_thread *t = arg;
    float out[64 * 10];
    lo_error err = {0};
    const void *ins[1] = {t->input};
    void *outs[1] = {out};
    for (int i = 0; i < t->runs; i++) {
        if (be->run(t->nt->prep, ins, outs, NULL, &err) != LO_OK) {
            t->errors++;
            continue;
        }
        if (memcmp(out, t->expect, ref_bytes(&t->nt->output)) != 0) t->mismatches++;
    }
    return NULL;
}

static void multi_step_tests(void)
{
    const double t0 = now_s();
    const int failures_before = lo_test_failures;
    worst_error = 0.0;
    net a, b;
    const net_config cfg_a = {3, 3, 32, 0}, cfg_b = {2, 1, 28, 2};
    net_build(&a, &cfg_a);
    net_build(&b, &cfg_b);
    const size_t a_in = (size_t)ref_numel(&a.input.shape), b_in = (size_t)ref_numel(&b.input.shape);
    float *xa1 = xmalloc(a_in * 4), *xa2 = xmalloc(a_in * 4), *xb1 = xmalloc(b_in * 4),
          *xb2 = xmalloc(b_in * 4);
    ref_fill_f32(&rng, xa1, a_in, -1, 1);
    ref_fill_f32(&rng, xa2, a_in, -1, 1);
    ref_fill_f32(&rng, xb1, b_in, 0, 1);
    ref_fill_f32(&rng, xb2, b_in, -2, 2);
    float ya1[30] = {0}, ya1_again[30] = {0}, ya2[30] = {0}, yb1[20] = {0}, yb2[20] = {0},
          scratch[30] = {0};

    if (net_prepare(&a, false) && net_prepare(&b, false)) {
        /* Several runs of one plan, then the two plans alternately. */
        net_check(&a, "lenet A run 1", xa1, ya1);
        net_check(&a, "lenet A run 2", xa2, ya2);
        net_check(&a, "lenet A run 3", xa1, ya1_again);
        CHECK_MSG(memcmp(ya1, ya1_again, sizeof ya1) == 0,
                  "lenet A: the same input gave different bits on a later run");
        net_check(&b, "lenet B run 1", xb1, yb1);
        net_check(&a, "lenet A after B", xa2, scratch);
        CHECK_MSG(memcmp(ya2, scratch, sizeof ya2) == 0, "lenet A changed after running B");
        net_check(&b, "lenet B run 2", xb2, yb2);
        net_check(&a, "lenet A after B again", xa1, scratch);
        CHECK_MSG(memcmp(ya1, scratch, sizeof ya1) == 0, "lenet A changed after running B");
        net_check(&b, "lenet B run 3", xb1, scratch);
        CHECK_MSG(memcmp(yb1, scratch, sizeof yb1) == 0, "lenet B changed after running A");

        /* Different prepared plans may run concurrently (backend.h). */
        net_thread ta = {&a, xa1, ya1, 20, 0, 0}, tb = {&b, xb2, yb2, 20, 0, 0};
        pthread_t th_a, th_b;
        const bool started_a = pthread_create(&th_a, NULL, net_thread_main, &ta) == 0;
        const bool started_b = pthread_create(&th_b, NULL, net_thread_main, &tb) == 0;
        if (started_a) pthread_join(th_a, NULL);
        if (started_b) pthread_join(th_b, NULL);
        CHECK(started_a && started_b);
        CHECK_MSG(ta.errors == 0 && tb.errors == 0, "concurrent runs failed: %d and %d of 20",
                  ta.errors, tb.errors);
        CHECK_MSG(ta.mismatches == 0 && tb.mismatches == 0,
                  "concurrent runs of two plans changed results: %d and %d of 20", ta.mismatches,
                  tb.mismatches);
    }
    net_free(&b);

    /* Profiling: per-step times come back and the results stay right. */
    net c;
    net_build(&c, &cfg_a);
    if (net_prepare(&c, true)) {
        double ms[NET_STEPS];
        for (int i = 0; i < NET_STEPS; i++)
            ms[i] = -1.0;
        float want[30] = {0};
        if (net_run(&c, xa1, scratch, ms)) {
            net_reference(&c, xa1, want);
            compare_output("lenet C profiled", &c.steps[NET_STEPS - 1], scratch, want);
            for (int i = 0; i < NET_STEPS; i++)
                CHECK_MSG(isfinite(ms[i]) && ms[i] >= 0.0, "step %d time %g ms", i, ms[i]);
        }
        /* A is still right with a third plan prepared beside it. */
        if (a.prep) net_check(&a, "lenet A beside C", xa2, scratch);
    }
    net_free(&c);
    net_free(&a);
    free(xa1);
    free(xa2);
    free(xb1);
    free(xb2);
    printf("%-14s %5d plans  %6.2f s  max scaled err %.2g  %s\n", "multi-step", 3, now_s() - t0,
           worst_error, lo_test_failures == failures_before ? "ok" : "FAILED");
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    uint64_t seed = 20240611u;
    double scale = 1.0;
    if (argc > 1) seed = strtoull(argv[1], NULL, 0);
    if (argc > 2) scale = strtod(argv[2], NULL);
    printf("seed %" PRIu64 " (rerun: test_kernels %" PRIu64 ")\n", seed, seed);
    ref_rng_seed(&rng, seed);

    const int failures_before = lo_test_failures;
    oracle_self_checks();
    printf("oracle self-checks: %s\n", lo_test_failures == failures_before ? "ok" : "FAILED");
    fflush(stdout);

    be = lo_opencl_backend();
    CHECK(be != NULL);
    if (!be) return lo_test_exit_code();
    CHECK(be->api_version == LO_BACKEND_API_VERSION);
    lo_error err = {0};
    lo_status st = be->open(LENET_ONNX_DEVICE_AUTO, 0, &ctx, &err);
    CHECK_OK(st, &err);
    if (st) return lo_test_exit_code();
    lenet_onnx_device_info info;
    memset(&info, 0, sizeof info);
    be->device_info(ctx, &info);
    align_bytes = be->alignment(ctx);
    CHECK(align_bytes > 0);
    if (!align_bytes) align_bytes = 128;
    printf("device: %s (%s), alignment %zu bytes\n", info.name, info.platform, align_bytes);
    fflush(stdout);

    const double t0 = now_s();
    const int k = (int)(scale * 200.0 + 0.5);
    run_cases(GEN_CONV, "conv", 4 * k);
    run_cases(GEN_POOL_F32, "maxpool f32", 3 * k);
    run_cases(GEN_POOL_U8, "maxpool u8", 2 * k);
    run_cases(GEN_GEMM, "gemm", 4 * k);
    run_cases(GEN_UNARY, "unary relu", 2 * k);
    run_cases(GEN_COPY, "copy", 2 * k);
    run_cases(GEN_AVGPOOL, "averagepool", 2 * k);
    run_cases(GEN_PAD, "pad", 2 * k);
    run_cases(GEN_CONCAT, "concat", 2 * k);
    run_cases(GEN_TRANSPOSE, "transpose", 2 * k);
    run_cases(GEN_ACTIVATION, "activations", 2 * k);
    run_cases(GEN_BINARY, "binary", 3 * k);
    run_cases(GEN_SOFTMAX, "softmax", 2 * k);
    run_cases(GEN_BATCHNORM, "batchnorm", k);
    run_cases(GEN_MATMUL, "matmul", 2 * k);
    multi_step_tests();
    printf("backend tests: %.2f s\n", now_s() - t0);

    be->close(ctx);
    return lo_test_exit_code();
}
