/* The rewriting passes, each on a small graph built in the IR: the plan has the expected
 * steps, and running it gives what the ORIGINAL graph means, computed by the oracle ops. */
#include <math.h>
#include <string.h>

#include "api.h"
#include "graph_build.h"
#include "passes.h"
#include "ref_ops.h"
#include "session.h"
#include "test_util.h"

static lo_error err;
static ref_rng rng;
static lenet_onnx_context *context;

static void fill(float *x, size_t n)
{
    ref_fill_f32(&rng, x, n, -1.0f, 1.0f);
}

/* Plans `g` at `batch`, checks the step kinds, runs one input and returns the output. */
static void plan_and_run(const lo_graph *g, int64_t batch, const lo_step_kind *kinds, int num_kinds,
                         const float *input, float *output)
{
    lenet_onnx_session *s = NULL;
    CHECK_OK(lo_session_create(context, g, &(lo_session_config){.batch = batch}, &s, &err), &err);
    if (!s) return;
    CHECK_MSG(s->schedule.num_steps == num_kinds, "%d steps, expected %d", s->schedule.num_steps,
              num_kinds);
    for (int k = 0; k < num_kinds && k < s->schedule.num_steps; k++)
        CHECK_MSG(s->schedule.steps[k].kind == kinds[k], "step %d is %s", k,
                  s->schedule.steps[k].label);
    const void *inputs[] = {input};
    void *outputs[] = {output};
    CHECK_OK(lo_session_run(s, inputs, outputs, &err), &err);
    lo_session_release(s);
}

static void check_close(const float *got, const float *want, size_t n, const char *what)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / fmax(1.0, fabs(want[i]));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst <= 1e-4, "%s: scaled error %g", what, worst);
    printf("%s: max scaled error %.2g\n", what, worst);
}

/* Conv (pads 1, bias) -> BatchNormalization: one Conv step with folded weights. */
static void test_batchnorm_fold(void)
{
    enum { N = 2, C = 3, H = 6, M = 4 };
    float x[N * C * H * H], w[M * C * 9], b[M], scale[M], shift[M], mean[M], var[M];
    fill(x, N * C * H * H), fill(w, M * C * 9), fill(b, M), fill(scale, M), fill(shift, M);
    fill(mean, M), fill(var, M);
    for (int m = 0; m < M; m++)
        var[m] = fabsf(var[m]) + 0.1f;
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("bn-fold", &g, &err), &err);
    int xi =
        add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, C, H, H}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
    int wi = add_const_floats(g, "w", (lo_shape){4, {M, C, 3, 3}}, w);
    int bi = add_const_floats(g, "b", (lo_shape){1, {M}}, b);
    int si = add_const_floats(g, "scale", (lo_shape){1, {M}}, scale);
    int hi = add_const_floats(g, "shift", (lo_shape){1, {M}}, shift);
    int mi = add_const_floats(g, "mean", (lo_shape){1, {M}}, mean);
    int vi = add_const_floats(g, "var", (lo_shape){1, {M}}, var);
    int conv = add_activation(g, "conv"), y = add_activation(g, "y");
    int64_t pads[4] = {1, 1, 1, 1};
    lo_attr conv_attrs[] = {{.name = "pads", .type = LO_ATTR_INTS, .ints = pads, .count = 4}};
    add_node(g, "Conv", (int[]){xi, wi, bi}, 3, conv, conv_attrs, 1);
    lo_attr bn_attrs[] = {{.name = "epsilon", .type = LO_ATTR_FLOAT, .f = 1e-3f}};
    add_node(g, "BatchNormalization", (int[]){conv, si, hi, mi, vi}, 5, y, bn_attrs, 1);
    mark_output(g, y);

    float got[N * M * H * H], want[N * M * H * H];
    plan_and_run(g, N, (lo_step_kind[]){LO_STEP_CONV}, 1, x, got);
    lo_conv_params p = {.group = 1,
                        .kernel = {3, 3},
                        .stride = {1, 1},
                        .dilation = {1, 1},
                        .pad_begin = {1, 1},
                        .pad_end = {1, 1},
                        .has_bias = true};
    lo_shape xs = {4, {N, C, H, H}}, ws = {4, {M, C, 3, 3}}, ys = {4, {N, M, H, H}};
    CHECK(ref_conv(&p, &xs, x, &ws, w, b, &ys, want) == 0);
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++)
            for (int i = 0; i < H * H; i++) {
                float *v = &want[(n * M + m) * H * H + i];
                *v = (float)((*v - mean[m]) / sqrt((double)var[m] + 1e-3) * scale[m] + shift[m]);
            }
    check_close(got, want, sizeof want / sizeof *want, "Conv+BatchNormalization");
    lo_graph_free(g);
}

/* x -> Relu -> BatchNormalization -> MaxPool(2x2) -> Conv(3x3): with every scale positive the
 * BatchNorm moves after the pool and folds into the unpadded Conv (Relu, MaxPool, Conv); a
 * negative scale keeps it where it is; a padded Conv keeps it, after the pool. Each plan
 * computes what the graph means, by the oracle ops in the graph's order. */
static void test_batchnorm_before_pool(void)
{
    enum { N = 2, C = 3, H = 8, P = 4, M = 2 };
    float x[N * C * H * H], w[M * C * 9], b[M], scale[C], shift[C], mean[C], var[C];
    fill(x, N * C * H * H), fill(w, M * C * 9), fill(b, M), fill(shift, C), fill(mean, C);
    fill(var, C);
    for (int c = 0; c < C; c++)
        var[c] = fabsf(var[c]) + 0.1f;
    for (int variant = 0; variant < 3; variant++) {
        const bool negative = variant == 1, padded = variant == 2;
        for (int c = 0; c < C; c++)
            scale[c] = 0.5f + (float)c;
        if (negative) scale[1] = -0.75f;
        const int pad = padded ? 1 : 0, O = P + 2 * pad - 2;
        lo_graph *g = NULL;
        CHECK_OK(lo_graph_create("bn-pool", &g, &err), &err);
        int xi =
            add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, C, H, H}}, LO_TENSOR_GRAPH_INPUT);
        CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
        int wi = add_const_floats(g, "w", (lo_shape){4, {M, C, 3, 3}}, w);
        int bi = add_const_floats(g, "b", (lo_shape){1, {M}}, b);
        int si = add_const_floats(g, "scale", (lo_shape){1, {C}}, scale);
        int hi = add_const_floats(g, "shift", (lo_shape){1, {C}}, shift);
        int mi = add_const_floats(g, "mean", (lo_shape){1, {C}}, mean);
        int vi = add_const_floats(g, "var", (lo_shape){1, {C}}, var);
        int relu = add_activation(g, "relu"), bn = add_activation(g, "bn");
        int pooled = add_activation(g, "pooled"), y = add_activation(g, "y");
        int64_t pads[4] = {pad, pad, pad, pad}, k2[2] = {2, 2};
        lo_attr conv_attrs[] = {{.name = "pads", .type = LO_ATTR_INTS, .ints = pads, .count = 4}};
        lo_attr pool_attrs[] = {
            {.name = "kernel_shape", .type = LO_ATTR_INTS, .ints = k2, .count = 2},
            {.name = "strides", .type = LO_ATTR_INTS, .ints = k2, .count = 2}};
        add_node(g, "Relu", (int[]){xi}, 1, relu, NULL, 0);
        add_node(g, "BatchNormalization", (int[]){relu, si, hi, mi, vi}, 5, bn, NULL, 0);
        add_node(g, "MaxPool", (int[]){bn}, 1, pooled, pool_attrs, 2);
        add_node(g, "Conv", (int[]){pooled, wi, bi}, 3, y, conv_attrs, 1);
        mark_output(g, y);

        static const lo_step_kind folded[] = {LO_STEP_UNARY, LO_STEP_MAXPOOL, LO_STEP_CONV};
        static const lo_step_kind kept[] = {LO_STEP_UNARY, LO_STEP_BATCHNORM, LO_STEP_MAXPOOL,
                                            LO_STEP_CONV};
        static const lo_step_kind moved[] = {LO_STEP_UNARY, LO_STEP_MAXPOOL, LO_STEP_BATCHNORM,
                                             LO_STEP_CONV};
        float got[N * M * 4 * 4], want[N * M * 4 * 4];
        plan_and_run(g, N,
                     negative ? kept
                     : padded ? moved
                              : folded,
                     negative || padded ? 4 : 3, x, got);
        float a[N * C * H * H], c[N * C * H * H], d[N * C * P * P];
        lo_shape xs = {4, {N, C, H, H}}, ds = {4, {N, C, P, P}}, ws = {4, {M, C, 3, 3}},
                 ys = {4, {N, M, O, O}};
        const lo_unary_params r = {.op = LO_ACT_RELU};
        const lo_batchnorm_params bp = {.channels = C, .inner = H * H, .epsilon = 1e-5f};
        const lo_pool_params pp = {.kernel = {2, 2}, .stride = {2, 2}, .dilation = {1, 1}};
        lo_conv_params cp = {.group = 1,
                             .kernel = {3, 3},
                             .stride = {1, 1},
                             .dilation = {1, 1},
                             .pad_begin = {pad, pad},
                             .pad_end = {pad, pad},
                             .has_bias = true};
        CHECK(ref_unary(&r, &xs, x, a) == 0);
        CHECK(ref_batchnorm(&bp, &xs, a, scale, shift, mean, var, c) == 0);
        CHECK(ref_maxpool_f32(&pp, &xs, c, &ds, d) == 0);
        CHECK(ref_conv(&cp, &ds, d, &ws, w, b, &ys, want) == 0);
        check_close(got, want, (size_t)(N * M * O * O), "Relu+BatchNorm+MaxPool+Conv");
        lo_graph_free(g);
    }
}

/* MatMul -> Add(bias) -> Relu: one Gemm+Relu step. */
static void test_matmul_add(void)
{
    enum { N = 3, K = 5, M = 4 };
    float x[N * K], w[K * M], c[M];
    fill(x, N * K), fill(w, K * M), fill(c, M);
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("matmul-add", &g, &err), &err);
    int xi = add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){2, {-1, K}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
    int wi = add_const_floats(g, "w", (lo_shape){2, {K, M}}, w);
    int ci = add_const_floats(g, "c", (lo_shape){1, {M}}, c);
    int mm = add_activation(g, "mm"), sum = add_activation(g, "sum"), y = add_activation(g, "y");
    add_node(g, "MatMul", (int[]){xi, wi}, 2, mm, NULL, 0);
    add_node(g, "Add", (int[]){ci, mm}, 2, sum, NULL, 0); /* bias first: Add commutes */
    add_node(g, "Relu", (int[]){sum}, 1, y, NULL, 0);
    mark_output(g, y);

    float got[N * M], want[N * M];
    plan_and_run(g, N, (lo_step_kind[]){LO_STEP_GEMM}, 1, x, got);
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++) {
            double acc = c[m];
            for (int k = 0; k < K; k++)
                acc += (double)x[n * K + k] * w[k * M + m];
            want[n * M + m] = acc > 0 ? (float)acc : 0.0f;
        }
    check_close(got, want, N * M, "MatMul+Add+Relu");
    lo_graph_free(g);
}

/* Pad(1, zeros) -> AveragePool(3, stride 2, count_include_pad 0): one AveragePool step that
 * counts the padded pixels, as the Pad made it do. */
static void test_pad_fold(void)
{
    enum { N = 2, C = 2, H = 5, O = 3 };
    float x[N * C * H * H];
    fill(x, N * C * H * H);
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("pad-fold", &g, &err), &err);
    int xi =
        add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, C, H, H}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
    int64_t pad_values[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    int pads = add_const_ints(g, "pads", pad_values, 8);
    int padded = add_activation(g, "padded"), y = add_activation(g, "y");
    add_node(g, "Pad", (int[]){xi, pads}, 2, padded, NULL, 0);
    int64_t kernel[2] = {3, 3}, strides[2] = {2, 2};
    lo_attr pool_attrs[] = {
        {.name = "kernel_shape", .type = LO_ATTR_INTS, .ints = kernel, .count = 2},
        {.name = "strides", .type = LO_ATTR_INTS, .ints = strides, .count = 2},
        {.name = "count_include_pad", .type = LO_ATTR_INT, .i = 0}};
    add_node(g, "AveragePool", (int[]){padded}, 1, y, pool_attrs, 3);
    mark_output(g, y);

    float got[N * C * O * O], want[N * C * O * O], mid[N * C * (H + 2) * (H + 2)];
    plan_and_run(g, N, (lo_step_kind[]){LO_STEP_AVGPOOL}, 1, x, got);
    lo_pad_params pp = {.pad_begin = {0, 0, 1, 1}, .pad_end = {0, 0, 1, 1}, .value = 0.0f};
    lo_shape xs = {4, {N, C, H, H}}, ms = {4, {N, C, H + 2, H + 2}}, ys = {4, {N, C, O, O}};
    lo_pool_params pool = {.kernel = {3, 3}, .stride = {2, 2}, .dilation = {1, 1}};
    CHECK(ref_pad(&pp, &xs, x, &ms, mid) == 0);
    CHECK(ref_avgpool(&pool, &ms, mid, &ys, want) == 0);
    check_close(got, want, sizeof want / sizeof *want, "Pad+AveragePool");
    lo_graph_free(g);
}

/* NHWC gray input -> Transpose(0,3,1,2) -> Conv -> Transpose(0,2,3,1) -> Transpose(0,3,1,2)
 * -> Relu: the first Transpose only moves a size-1 dim and the pair cancels, so no
 * Transpose kernel runs. */
static void test_transposes(void)
{
    enum { N = 2, H = 6, M = 2 };
    float x[N * H * H], w[M * 9];
    fill(x, N * H * H), fill(w, M * 9);
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("transposes", &g, &err), &err);
    int xi =
        add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, H, H, 1}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
    int wi = add_const_floats(g, "w", (lo_shape){4, {M, 1, 3, 3}}, w);
    int nchw = add_activation(g, "nchw"), conv = add_activation(g, "conv");
    int back = add_activation(g, "back"), again = add_activation(g, "again");
    int y = add_activation(g, "y");
    int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
    lo_attr a_nchw[] = {{.name = "perm", .type = LO_ATTR_INTS, .ints = to_nchw, .count = 4}};
    lo_attr a_nhwc[] = {{.name = "perm", .type = LO_ATTR_INTS, .ints = to_nhwc, .count = 4}};
    add_node(g, "Transpose", (int[]){xi}, 1, nchw, a_nchw, 1);
    add_node(g, "Conv", (int[]){nchw, wi}, 2, conv, NULL, 0);
    add_node(g, "Transpose", (int[]){conv}, 1, back, a_nhwc, 1);
    add_node(g, "Transpose", (int[]){back}, 1, again, a_nchw, 1);
    add_node(g, "Relu", (int[]){again}, 1, y, NULL, 0);
    mark_output(g, y);

    float got[N * M * 4 * 4], want[N * M * 4 * 4];
    plan_and_run(g, N, (lo_step_kind[]){LO_STEP_CONV, LO_STEP_UNARY}, 2, x, got);
    lo_conv_params p = {.group = 1,
                        .kernel = {3, 3},
                        .stride = {1, 1},
                        .dilation = {1, 1},
                        .activation = LO_ACT_RELU};
    lo_shape xs = {4, {N, 1, H, H}}, ws = {4, {M, 1, 3, 3}}, ys = {4, {N, M, 4, 4}};
    CHECK(ref_conv(&p, &xs, x, &ws, w, NULL, &ys, want) == 0);
    check_close(got, want, sizeof want / sizeof *want, "Transposes");
    lo_graph_free(g);
}

/* x[N,C,H,W] -> Transpose(0,2,3,1) -> Flatten -> Gemm(B [M,K] transB, C), and the same through
 * Reshape([-1, K]) -> MatMul(B [K,M]) (tf2onnx's dense layer after NCHW convs): the Transpose
 * folds into B, so the plan is the dense step alone. */
static void test_transpose_into_dense(void)
{
    enum { N = 2, C = 3, H = 2, W = 4, K = C * H * W, M = 5 };
    float x[N * K], b[K * M], c[M];
    fill(x, N * K), fill(b, K * M), fill(c, M);
    for (int variant = 0; variant < 2; variant++) {
        const bool gemm = variant == 0;
        lo_graph *g = NULL;
        CHECK_OK(lo_graph_create("transpose-dense", &g, &err), &err);
        int xi =
            add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, C, H, W}}, LO_TENSOR_GRAPH_INPUT);
        CHECK_OK(lo_graph_add_input(g, xi, &err), &err);
        int bi = add_const_floats(g, "b", gemm ? (lo_shape){2, {M, K}} : (lo_shape){2, {K, M}}, b);
        int ci = add_const_floats(g, "c", (lo_shape){1, {M}}, c);
        int64_t target_values[2] = {-1, K};
        int target = add_const_ints(g, "target", target_values, 2);
        int nhwc = add_activation(g, "nhwc"), flat = add_activation(g, "flat");
        int y = add_activation(g, "y");
        int64_t to_nhwc[4] = {0, 2, 3, 1};
        lo_attr perm[] = {{.name = "perm", .type = LO_ATTR_INTS, .ints = to_nhwc, .count = 4}};
        lo_attr trans_b[] = {{.name = "transB", .type = LO_ATTR_INT, .i = 1}};
        add_node(g, "Transpose", (int[]){xi}, 1, nhwc, perm, 1);
        if (gemm) {
            add_node(g, "Flatten", (int[]){nhwc}, 1, flat, NULL, 0);
            add_node(g, "Gemm", (int[]){flat, bi, ci}, 3, y, trans_b, 1);
        } else {
            add_node(g, "Reshape", (int[]){nhwc, target}, 2, flat, NULL, 0);
            add_node(g, "MatMul", (int[]){flat, bi}, 2, y, NULL, 0);
        }
        mark_output(g, y);

        float got[N * M], want[N * M];
        plan_and_run(g, N, (lo_step_kind[]){LO_STEP_GEMM}, 1, x,
                     got); /* MatMul of matrices: a Gemm */
        for (int n = 0; n < N; n++)
            for (int m = 0; m < M; m++) {
                double acc = gemm ? c[m] : 0.0;
                for (int ch = 0; ch < C; ch++)
                    for (int h = 0; h < H; h++)
                        for (int w = 0; w < W; w++) {
                            const int k = (h * W + w) * C + ch; /* the NHWC flat index */
                            acc += (double)x[((n * C + ch) * H + h) * W + w] *
                                   b[gemm ? m * K + k : k * M + m];
                        }
                want[n * M + m] = (float)acc;
            }
        check_close(got, want, N * M, gemm ? "Transpose+Flatten+Gemm" : "Transpose+Reshape+MatMul");
        lo_graph_free(g);
    }
}

int main(void)
{
    ref_rng_seed(&rng, 20261125);
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    CHECK_OK(api->context_create(NULL, &context, &err), &err);
    if (!context) return lo_test_exit_code();
    test_batchnorm_fold();
    test_batchnorm_before_pool();
    test_matmul_add();
    test_pad_fold();
    test_transposes();
    test_transpose_into_dense();
    api->context_release(context);
    return lo_test_exit_code();
}
