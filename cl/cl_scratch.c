/* Scratch program for the OpenCL backend (not a test): random single-step checks against naive
 * C loops, LeNet-shape kernel timings from event profiling, and the build-failure message.
 *   lo_cl_scratch [check|bench|broken|all] [iterations]
 */
#include "cl_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const lo_backend *be;
static lo_backend_context *ctx;
static _Atomic int failures, checks; /* shared by the threads mode */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static _Thread_local uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}
static int rnd_in(int lo, int hi)
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}
static float rnd_f(void)
{
    return (float)rnd() / 2147483648.0f - 1.0f;
}

static lo_shape shape_of(int rank, const int64_t *dims)
{
    lo_shape s = {rank, {0}};
    for (int i = 0; i < rank; i++)
        s.dims[i] = dims[i];
    return s;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Runs one step: inputs flagged in_weights go to the weights buffer, the rest are plan inputs
 * in the arena, the output is read back. Returns 0 on success. */
static int run_plan(lo_step *steps, int num_steps, const void *const *data, const bool *in_weights,
                    lo_tensor_ref **refs, int num_refs, lo_tensor_ref *out_ref, void *out,
                    bool profiling, int reps, double *step_ms_median, double *run_ms_median)
{
    (void)steps;
    lo_error err = {0};
    size_t align = be->alignment(ctx);
    size_t arena_bytes = 0, weights_bytes = 0;
    for (int i = 0; i < num_refs; i++) {
        size_t bytes = lo_cl_ref_bytes(refs[i]);
        if (in_weights[i]) {
            refs[i]->buffer = LO_BUFFER_WEIGHTS;
            refs[i]->offset = weights_bytes;
            weights_bytes = align_up(weights_bytes + bytes, align);
        } else {
            refs[i]->buffer = LO_BUFFER_ARENA;
            refs[i]->offset = arena_bytes;
            arena_bytes = align_up(arena_bytes + bytes, align);
        }
    }
    unsigned char *wimg = calloc(weights_bytes + 1, 1);
    lo_tensor_ref inputs[16];
    const void *in_ptrs[16];
    int num_inputs = 0;
    for (int i = 0; i < num_refs; i++) {
        if (in_weights[i])
            memcpy(wimg + refs[i]->offset, data[i], lo_cl_ref_bytes(refs[i]));
        else if (data[i]) {
            inputs[num_inputs] = *refs[i];
            in_ptrs[num_inputs++] = data[i];
        }
    }
    lo_plan plan = {0};
    plan.steps = steps;
    plan.num_steps = num_steps;
    plan.arena_bytes = arena_bytes;
    plan.weights = wimg;
    plan.weights_bytes = weights_bytes;
    plan.inputs = inputs;
    plan.num_inputs = num_inputs;
    plan.outputs = out_ref;
    plan.num_outputs = 1;
    plan.profiling = profiling;
    lo_backend_buffer *arena = NULL, *weights = NULL;
    lo_prepared *prep = NULL;
    int rc = 1;
    double *times = calloc((size_t)reps * (size_t)(num_steps + 1), sizeof(double));
    if (be->buffer_alloc(ctx, arena_bytes, &arena, &err) != LO_OK) goto fail;
    if (be->buffer_alloc(ctx, weights_bytes, &weights, &err) != LO_OK) goto fail;
    if (be->buffer_write(ctx, weights, 0, wimg, weights_bytes, &err) != LO_OK) goto fail;
    if (be->prepare(ctx, &plan, arena, weights, &prep, &err) != LO_OK) goto fail;
    void *outs[1] = {out};
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        if (be->run(prep, in_ptrs, outs, profiling ? times + (size_t)r * (num_steps + 1) : NULL,
                    &err) != LO_OK)
            goto fail;
        times[(size_t)r * (num_steps + 1) + num_steps] = now_ms() - t0;
    }
    if (step_ms_median || run_ms_median) {
        double *col = calloc((size_t)reps, sizeof(double));
        for (int s = 0; s <= num_steps; s++) {
            for (int r = 0; r < reps; r++)
                col[r] = times[(size_t)r * (num_steps + 1) + s];
            for (int a = 1; a < reps; a++)
                for (int b = a; b > 0 && col[b - 1] > col[b]; b--) {
                    double t = col[b];
                    col[b] = col[b - 1];
                    col[b - 1] = t;
                }
            if (s < num_steps && step_ms_median) step_ms_median[s] = col[reps / 2];
            if (s < num_steps && step_ms_median) step_ms_median[num_steps + s] = col[0];
            if (s == num_steps && run_ms_median) *run_ms_median = col[reps / 2];
        }
        free(col);
    }
    rc = 0;
fail:
    if (rc) printf("  error: %s\n", err.message);
    be->release(prep);
    be->buffer_free(arena);
    be->buffer_free(weights);
    free(wimg);
    free(times);
    return rc;
}

static void compare(const char *what, const float *got, const double *want, size_t n, double terms)
{
    checks++;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if ((double)got[i] == want[i]) continue; /* also equal infinities */
        double d = fabs(got[i] - want[i]);
        double tol = 1e-5 * terms + 1e-4 * fabs(want[i]);
        if (!(d <= tol) && (d / tol > worst || isnan(d))) {
            worst = isnan(d) ? INFINITY : d / tol;
            at = i;
        }
    }
    if (worst > 0) {
        failures++;
        printf("FAIL %s: element %zu got %g want %g\n", what, at, got[at], want[at]);
    }
}

/* ---- Conv ---- */

static void check_conv(bool weights_const)
{
    int64_t N, C, H, W, M, G, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW;
    for (;;) {
        N = rnd_in(1, 3);
        int kind = rnd_in(0, 4);
        G = kind == 0 ? rnd_in(2, 4) : 1;
        int64_t Cg = rnd_in(1, 6), Mg = rnd() % 2 ? rnd_in(1, 40) : 16 * rnd_in(1, 2);
        if (kind == 1) { /* depthwise */
            G = rnd_in(2, 8);
            Cg = 1;
            Mg = rnd_in(1, 2);
        }
        C = G * Cg;
        M = G * Mg;
        H = rnd_in(1, 14);
        W = rnd_in(1, 14);
        KH = rnd_in(1, 5);
        KW = rnd_in(1, 5);
        sh = rnd_in(1, 3);
        sw = rnd_in(1, 3);
        dh = rnd_in(1, 3);
        dw = rnd_in(1, 3);
        int maxpad = rnd() % 3 == 0 ? 0 : 6;
        pt = rnd_in(0, maxpad);
        pl = rnd_in(0, maxpad);
        pb = rnd_in(0, maxpad);
        pr = rnd_in(0, maxpad);
        int64_t eh = (KH - 1) * dh + 1, ew = (KW - 1) * dw + 1;
        if (H + pt + pb < eh || W + pl + pr < ew) continue;
        OH = (H + pt + pb - eh) / sh + 1;
        OW = (W + pl + pr - ew) / sw + 1;
        break;
    }
    bool bias = rnd() % 2, relu = rnd() % 2;
    lo_step step = {0};
    step.kind = LO_STEP_CONV;
    step.node_name = "conv";
    snprintf(step.label, sizeof step.label, "Conv");
    lo_conv_params *p = &step.params.conv;
    p->group = G;
    p->kernel[0] = KH;
    p->kernel[1] = KW;
    p->stride[0] = sh;
    p->stride[1] = sw;
    p->dilation[0] = dh;
    p->dilation[1] = dw;
    p->pad_begin[0] = pt;
    p->pad_begin[1] = pl;
    p->pad_end[0] = pb;
    p->pad_end[1] = pr;
    p->has_bias = bias;
    p->activation = relu ? LO_ACT_RELU : LO_ACT_NONE;
    int64_t xd[4] = {N, C, H, W}, wd[4] = {M, C / G, KH, KW}, bd[1] = {M}, yd[4] = {N, M, OH, OW};
    step.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(4, xd)};
    step.inputs[1] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(4, wd)};
    step.inputs[2] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(1, bd)};
    step.num_inputs = bias ? 3 : 2;
    step.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(4, yd)};
    size_t nx = (size_t)(N * C * H * W), nw = (size_t)(M * (C / G) * KH * KW),
           ny = (size_t)(N * M * OH * OW);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)M * 4), *y = malloc(ny * 4);
    double *ref = calloc(ny, sizeof(double));
    for (size_t i = 0; i < nx; i++)
        x[i] = rnd_f();
    for (size_t i = 0; i < nw; i++)
        w[i] = rnd_f();
    for (int64_t i = 0; i < M; i++)
        b[i] = rnd_f();
    int64_t Cg = C / G, Mg = M / G;
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    double acc = bias ? b[m] : 0;
                    int64_t g = m / Mg;
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t kh = 0; kh < KH; kh++)
                            for (int64_t kw = 0; kw < KW; kw++) {
                                int64_t ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)x[((n * C + g * Cg + c) * H + ih) * W + iw] *
                                       w[((m * Cg + c) * KH + kh) * KW + kw];
                            }
                    if (relu && acc < 0) acc = 0;
                    ref[((n * M + m) * OH + oh) * OW + ow] = acc;
                }
    lo_tensor_ref *refs[4] = {&step.inputs[0], &step.inputs[1], &step.inputs[2], &step.output};
    const void *data[4] = {x, w, b, NULL};
    bool inw[4] = {false, weights_const, weights_const, false};
    if (!bias) {
        refs[2] = &step.output;
        data[2] = NULL;
        inw[2] = false;
    }
    char what[256];
    snprintf(what, sizeof what,
             "conv N%lld C%lld H%lld W%lld M%lld G%lld k%lldx%lld s%lld,%lld d%lld,%lld "
             "p%lld,%lld,%lld,%lld bias%d relu%d const%d",
             (long long)N, (long long)C, (long long)H, (long long)W, (long long)M, (long long)G,
             (long long)KH, (long long)KW, (long long)sh, (long long)sw, (long long)dh,
             (long long)dw, (long long)pt, (long long)pl, (long long)pb, (long long)pr, bias, relu,
             weights_const);
    if (run_plan(&step, 1, data, inw, refs, bias ? 4 : 3, &step.output, y, false, 1, NULL, NULL)) {
        failures++;
        printf("FAIL %s: run failed\n", what);
    } else {
        compare(what, y, ref, ny, (double)(Cg * KH * KW));
    }
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
}

/* ---- MaxPool ---- */

static void check_pool(bool u8)
{
    int64_t N, C, H, W, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW;
    for (;;) {
        N = rnd_in(1, 3);
        C = rnd_in(1, 5);
        H = rnd_in(1, 14);
        W = rnd_in(1, 14);
        KH = rnd_in(1, 4);
        KW = rnd_in(1, 4);
        sh = rnd_in(1, 3);
        sw = rnd_in(1, 3);
        dh = rnd_in(1, 2);
        dw = rnd_in(1, 2);
        if (rnd() % 3 == 0) KH = KW = sh = sw = 2, dh = dw = 1;
        int64_t eh = (KH - 1) * dh + 1, ew = (KW - 1) * dw + 1;
        /* ONNX: pads smaller than the kernel extent */
        pt = rnd_in(0, (int)(eh - 1));
        pb = rnd_in(0, (int)(eh - 1));
        pl = rnd_in(0, (int)(ew - 1));
        pr = rnd_in(0, (int)(ew - 1));
        if (rnd() % 3 == 0) pt = pb = pl = pr = 0;
        if (H + pt + pb < eh || W + pl + pr < ew) continue;
        bool ceil_mode = rnd() % 2;
        OH = (H + pt + pb - eh + (ceil_mode ? sh - 1 : 0)) / sh + 1;
        OW = (W + pl + pr - ew + (ceil_mode ? sw - 1 : 0)) / sw + 1;
        if ((OH - 1) * sh >= H + pt) OH--;
        if ((OW - 1) * sw >= W + pl) OW--;
        break;
    }
    lo_step step = {0};
    step.kind = LO_STEP_MAXPOOL;
    step.node_name = "pool";
    snprintf(step.label, sizeof step.label, "MaxPool");
    lo_pool_params *p = &step.params.pool;
    p->kernel[0] = KH;
    p->kernel[1] = KW;
    p->stride[0] = sh;
    p->stride[1] = sw;
    p->dilation[0] = dh;
    p->dilation[1] = dw;
    p->pad_begin[0] = pt;
    p->pad_begin[1] = pl;
    p->pad_end[0] = pb;
    p->pad_end[1] = pr;
    lo_dtype dt = u8 ? LO_DTYPE_UINT8 : LO_DTYPE_FLOAT;
    int64_t xd[4] = {N, C, H, W}, yd[4] = {N, C, OH, OW};
    step.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, dt, 0, shape_of(4, xd)};
    step.num_inputs = 1;
    step.output = (lo_tensor_ref){LO_BUFFER_ARENA, dt, 0, shape_of(4, yd)};
    size_t nx = (size_t)(N * C * H * W), ny = (size_t)(N * C * OH * OW);
    float *xf = malloc(nx * 4), *yf = malloc(ny * 4), *got = malloc(ny * 4);
    unsigned char *xu = malloc(nx), *yu = malloc(ny);
    double *ref = calloc(ny, sizeof(double));
    for (size_t i = 0; i < nx; i++) {
        xf[i] = rnd_f();
        xu[i] = (unsigned char)rnd();
    }
    for (int64_t nc = 0; nc < N * C; nc++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double best = -INFINITY;
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) {
                        int64_t ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        double v = u8 ? xu[(nc * H + ih) * W + iw] : xf[(nc * H + ih) * W + iw];
                        if (v > best) best = v;
                    }
                ref[(nc * OH + oh) * OW + ow] = best;
            }
    lo_tensor_ref *refs[2] = {&step.inputs[0], &step.output};
    const void *data[2] = {u8 ? (void *)xu : (void *)xf, NULL};
    bool inw[2] = {false, false};
    char what[256];
    snprintf(what, sizeof what,
             "maxpool%s N%lld C%lld H%lld W%lld k%lldx%lld s%lld,%lld d%lld,%lld "
             "p%lld,%lld,%lld,%lld out %lldx%lld",
             u8 ? "(u8)" : "", (long long)N, (long long)C, (long long)H, (long long)W,
             (long long)KH, (long long)KW, (long long)sh, (long long)sw, (long long)dh,
             (long long)dw, (long long)pt, (long long)pl, (long long)pb, (long long)pr,
             (long long)OH, (long long)OW);
    if (run_plan(&step, 1, data, inw, refs, 2, &step.output, u8 ? (void *)yu : (void *)yf, false, 1,
                 NULL, NULL)) {
        failures++;
        printf("FAIL %s: run failed\n", what);
    } else {
        for (size_t i = 0; i < ny; i++)
            got[i] = u8 ? yu[i] : yf[i];
        compare(what, got, ref, ny, 0);
    }
    free(xf);
    free(yf);
    free(got);
    free(xu);
    free(yu);
    free(ref);
}

/* ---- Gemm ---- */

static void check_gemm(bool weights_const)
{
    int64_t M = rnd() % 4 == 0 ? 1 : rnd_in(1, 40), N = rnd_in(1, 50), K = rnd_in(1, 90);
    if (rnd() % 5 == 0) K = 0;
    bool ta = rnd() % 2, tb = rnd() % 2, relu = rnd() % 2;
    int ckind = rnd_in(0, 5); /* none, scalar, [N], [1,N], [M,1], [M,N] */
    float alpha = rnd() % 2 ? 1.0f : rnd_f() * 2, beta = rnd() % 2 ? 1.0f : rnd_f() * 2;
    lo_step step = {0};
    step.kind = LO_STEP_GEMM;
    step.node_name = "gemm";
    snprintf(step.label, sizeof step.label, "Gemm");
    lo_gemm_params *p = &step.params.gemm;
    p->alpha = alpha;
    p->beta = beta;
    p->trans_a = ta;
    p->trans_b = tb;
    p->has_c = ckind != 0;
    p->activation = relu ? LO_ACT_RELU : LO_ACT_NONE;
    int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N}, yd[2] = {M, N};
    int64_t cd[2] = {0, 0};
    int crank = 0;
    switch (ckind) {
    case 2:
        crank = 1, cd[0] = rnd() % 2 ? N : 1;
        break;
    case 3:
        crank = 2, cd[0] = 1, cd[1] = N;
        break;
    case 4:
        crank = 2, cd[0] = M, cd[1] = 1;
        break;
    case 5:
        crank = 2, cd[0] = M, cd[1] = N;
        break;
    default:
        break;
    }
    step.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(2, ad)};
    step.inputs[1] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(2, bd)};
    step.inputs[2] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(crank, cd)};
    step.num_inputs = p->has_c ? 3 : 2;
    step.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(2, yd)};
    size_t na = (size_t)(M * K), nb = (size_t)(K * N),
           nc = (size_t)lo_cl_numel(&step.inputs[2].shape), ny = (size_t)(M * N);
    float *a = malloc(na * 4 + 4), *b = malloc(nb * 4 + 4), *c = malloc(nc * 4 + 4),
          *y = malloc(ny * 4 + 4);
    double *ref = calloc(ny + 1, sizeof(double));
    for (size_t i = 0; i < na; i++)
        a[i] = rnd_f();
    for (size_t i = 0; i < nb; i++)
        b[i] = rnd_f();
    for (size_t i = 0; i < nc; i++)
        c[i] = rnd_f();
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc +=
                    (double)(ta ? a[k * M + m] : a[m * K + k]) * (tb ? b[n * K + k] : b[k * N + n]);
            acc *= alpha;
            if (p->has_c) {
                int64_t ci = 0;
                if (crank == 1) ci = cd[0] == 1 ? 0 : n;
                if (crank == 2) ci = (cd[0] == 1 ? 0 : m) * cd[1] + (cd[1] == 1 ? 0 : n);
                acc += (double)beta * c[ci];
            }
            if (relu && acc < 0) acc = 0;
            ref[m * N + n] = acc;
        }
    lo_tensor_ref *refs[4] = {&step.inputs[0], &step.inputs[1], &step.inputs[2], &step.output};
    const void *data[4] = {a, b, c, NULL};
    bool inw[4] = {false, weights_const, weights_const, false};
    if (!p->has_c) {
        refs[2] = &step.output;
        data[2] = NULL;
        inw[2] = false;
    }
    char what[256];
    snprintf(what, sizeof what,
             "gemm M%lld N%lld K%lld ta%d tb%d C%d alpha%g beta%g relu%d const%d", (long long)M,
             (long long)N, (long long)K, ta, tb, ckind, alpha, beta, relu, weights_const);
    if (run_plan(&step, 1, data, inw, refs, p->has_c ? 4 : 3, &step.output, y, false, 1, NULL,
                 NULL)) {
        failures++;
        printf("FAIL %s: run failed\n", what);
    } else {
        compare(what, y, ref, ny, (double)K * fabs(alpha) + 1);
    }
    free(a);
    free(b);
    free(c);
    free(y);
    free(ref);
}

/* ---- Unary, Copy ---- */

static void check_eltwise(bool copy, bool u8)
{
    int64_t n = rnd() % 4 == 0 ? rnd_in(1000, 5000) : rnd_in(1, 200);
    lo_step step = {0};
    step.kind = copy ? LO_STEP_COPY : LO_STEP_UNARY;
    step.node_name = copy ? "copy" : "relu";
    snprintf(step.label, sizeof step.label, copy ? "Copy" : "Relu");
    step.params.unary.op = LO_ACT_RELU;
    lo_dtype dt = u8 ? LO_DTYPE_UINT8 : LO_DTYPE_FLOAT;
    int64_t d[1] = {n};
    step.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, dt, 0, shape_of(1, d)};
    step.num_inputs = 1;
    step.output = (lo_tensor_ref){LO_BUFFER_ARENA, dt, 0, shape_of(1, d)};
    float *xf = malloc((size_t)n * 4), *yf = malloc((size_t)n * 4), *got = malloc((size_t)n * 4);
    unsigned char *xu = malloc((size_t)n), *yu = malloc((size_t)n);
    double *ref = calloc((size_t)n, sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        xf[i] = rnd_f();
        xu[i] = (unsigned char)rnd();
        double v = u8 ? xu[i] : xf[i];
        ref[i] = copy ? v : (v > 0 ? v : 0);
    }
    lo_tensor_ref *refs[2] = {&step.inputs[0], &step.output};
    const void *data[2] = {u8 ? (void *)xu : (void *)xf, NULL};
    bool inw[2] = {false, false};
    char what[128];
    snprintf(what, sizeof what, "%s%s n%lld", copy ? "copy" : "relu", u8 ? "(u8)" : "",
             (long long)n);
    if (run_plan(&step, 1, data, inw, refs, 2, &step.output, u8 ? (void *)yu : (void *)yf, false, 1,
                 NULL, NULL)) {
        failures++;
        printf("FAIL %s: run failed\n", what);
    } else {
        for (int64_t i = 0; i < n; i++)
            got[i] = u8 ? yu[i] : yf[i];
        compare(what, got, ref, (size_t)n, 0);
    }
    free(xf);
    free(yf);
    free(got);
    free(xu);
    free(yu);
    free(ref);
}

/* ---- LeNet timings ---- */

static void bench_lenet(int batch, int reps)
{
    const int64_t B = batch;
    lo_step s[7];
    memset(s, 0, sizeof s);
    lo_tensor_ref t[20];
    memset(t, 0, sizeof t);
    int64_t x0[4] = {B, 3, 32, 32}, w1[4] = {16, 3, 5, 5}, b1[1] = {16}, y1[4] = {B, 16, 28, 28},
            p1[4] = {B, 16, 14, 14}, w2[4] = {32, 16, 5, 5}, b2[1] = {32}, y2[4] = {B, 32, 10, 10},
            p2[4] = {B, 32, 5, 5}, f2[2] = {B, 800}, w3[2] = {120, 800}, b3[1] = {120},
            y3[2] = {B, 120}, w4[2] = {84, 120}, b4[1] = {84}, y4[2] = {B, 84}, w5[2] = {10, 84},
            b5[1] = {10}, y5[2] = {B, 10};
    struct {
        const int64_t *d;
        int r;
        bool w;
    } spec[] = {{x0, 4, 0}, {w1, 4, 1}, {b1, 1, 1}, {y1, 4, 0}, {p1, 4, 0}, {w2, 4, 1},
                {b2, 1, 1}, {y2, 4, 0}, {p2, 4, 0}, {w3, 2, 1}, {b3, 1, 1}, {y3, 2, 0},
                {w4, 2, 1}, {b4, 1, 1}, {y4, 2, 0}, {w5, 2, 1}, {b5, 1, 1}, {y5, 2, 0}};
    const int nt = (int)(sizeof spec / sizeof spec[0]);
    lo_tensor_ref *refs[20];
    const void *data[20];
    bool inw[20];
    for (int i = 0; i < nt; i++) {
        t[i] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(spec[i].r, spec[i].d)};
        refs[i] = &t[i];
        inw[i] = spec[i].w;
        size_t n = (size_t)lo_cl_numel(&t[i].shape);
        float *v = NULL;
        if (i == 0 || spec[i].w) {
            v = malloc(n * 4);
            for (size_t j = 0; j < n; j++)
                v[j] = rnd_f() * 0.2f;
        }
        data[i] = v;
    }
    /* conv1 */
    for (int k = 0; k < 2; k++) {
        lo_step *c = &s[k * 2];
        c->kind = LO_STEP_CONV;
        c->node_name = k ? "conv2" : "conv1";
        snprintf(c->label, sizeof c->label, "Conv+Relu");
        c->params.conv =
            (lo_conv_params){1, {5, 5}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, true, LO_ACT_RELU};
        c->num_inputs = 3;
        lo_step *p = &s[k * 2 + 1];
        p->kind = LO_STEP_MAXPOOL;
        p->node_name = k ? "pool2" : "pool1";
        snprintf(p->label, sizeof p->label, "MaxPool");
        p->params.pool = (lo_pool_params){{2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}};
        p->num_inputs = 1;
    }
    for (int k = 0; k < 3; k++) {
        lo_step *g = &s[4 + k];
        g->kind = LO_STEP_GEMM;
        g->node_name = k == 0 ? "fc1" : k == 1 ? "fc2" : "fc3";
        snprintf(g->label, sizeof g->label, k < 2 ? "Gemm+Relu" : "Gemm");
        g->params.gemm =
            (lo_gemm_params){1.0f, 1.0f, false, true, true, k < 2 ? LO_ACT_RELU : LO_ACT_NONE};
        g->num_inputs = 3;
    }
    /* placement first, then copy refs into steps */
    double step_ms[7] = {0}, run_ms = 0;
    float *out = malloc((size_t)B * 10 * 4);
    /* run_plan places refs; the steps must see the placed refs, so place via a dry layout. */
    size_t align = be->alignment(ctx), ao = 0, wo = 0;
    for (int i = 0; i < nt; i++) {
        size_t bytes = lo_cl_ref_bytes(&t[i]);
        if (inw[i]) {
            t[i].buffer = LO_BUFFER_WEIGHTS, t[i].offset = wo;
            wo = align_up(wo + bytes, align);
        } else {
            t[i].buffer = LO_BUFFER_ARENA, t[i].offset = ao;
            ao = align_up(ao + bytes, align);
        }
    }
    (void)run_ms;
    s[0].inputs[0] = t[0], s[0].inputs[1] = t[1], s[0].inputs[2] = t[2], s[0].output = t[3];
    s[1].inputs[0] = t[3], s[1].output = t[4];
    s[2].inputs[0] = t[4], s[2].inputs[1] = t[5], s[2].inputs[2] = t[6], s[2].output = t[7];
    s[3].inputs[0] = t[7], s[3].output = t[8];
    s[4].inputs[0] = t[8];
    s[4].inputs[0].shape = shape_of(2, f2); /* Flatten: a view */
    s[4].inputs[1] = t[9], s[4].inputs[2] = t[10], s[4].output = t[11];
    s[5].inputs[0] = t[11], s[5].inputs[1] = t[12], s[5].inputs[2] = t[13], s[5].output = t[14];
    s[6].inputs[0] = t[14], s[6].inputs[1] = t[15], s[6].inputs[2] = t[16], s[6].output = t[17];
    double prof_ms[14];
    if (run_plan(s, 7, data, inw, refs, nt, &t[17], out, true, reps, prof_ms, NULL) == 0 &&
        run_plan(s, 7, data, inw, refs, nt, &t[17], out, false, reps, NULL, &run_ms) == 0) {
        double total = 0;
        printf("batch %d (median of %d runs):\n", batch, reps);
        for (int i = 0; i < 7; i++) {
            printf("  %-6s %-10s %9.3f ms (min %.3f)\n", s[i].node_name, s[i].label, prof_ms[i],
                   prof_ms[7 + i]);
            total += prof_ms[i];
        }
        printf("  kernels total %.3f ms; whole run (write, 7 kernels, read, one wait) %.3f ms = "
               "%.0f images/s\n",
               total, run_ms, batch / run_ms * 1e3);
    } else {
        failures++;
    }
    (void)step_ms;
    for (int i = 0; i < nt; i++)
        free((void *)data[i]);
    free(out);
}

/* The fixed cost of a run: one copy step of a LeNet input. */
static void bench_floor(int reps)
{
    lo_step step = {0};
    step.kind = LO_STEP_COPY;
    step.node_name = "copy";
    snprintf(step.label, sizeof step.label, "Copy");
    int64_t d[1] = {3072};
    step.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(1, d)};
    step.num_inputs = 1;
    step.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, shape_of(1, d)};
    float *x = calloc(3072, 4), *y = calloc(3072, 4);
    lo_tensor_ref *refs[2] = {&step.inputs[0], &step.output};
    const void *data[2] = {x, NULL};
    bool inw[2] = {false, false};
    double run_ms = 0;
    if (run_plan(&step, 1, data, inw, refs, 2, &step.output, y, false, reps, NULL, &run_ms) == 0)
        printf("floor: write 12 KB, one copy kernel, read 12 KB, one wait: %.3f ms\n", run_ms);
    free(x);
    free(y);
}

static void broken_build(void)
{
    const char *src = "kernel void broken(global float *y) { y[0] = undeclared_value + ; }\n";
    cl_program program = NULL;
    lo_error err = {0};
    setenv("LENET_ONNX_NO_BINARY_CACHE", "1", 1);
    lo_status st = lo_cl_build_program(ctx, "broken", src, strlen(src), "-DVEC=16", &program, &err);
    unsetenv("LENET_ONNX_NO_BINARY_CACHE");
    checks++;
    if (st == LO_OK || program) {
        failures++;
        printf("FAIL broken kernel built\n");
    }
    printf("broken kernel -> status %d, message (%zu bytes):\n%s\n", (int)st, strlen(err.message),
           err.message);
}

/* Sessions on several threads preparing (building programs) and running against one context:
 * a fresh context, so the program cache starts empty and the threads race to fill it. */
static void *thread_main(void *arg)
{
    rng_state ^= (uint64_t)(uintptr_t)arg * 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 40; i++) {
        check_conv(true);
        check_gemm(true);
        check_pool(i % 2);
        check_eltwise(i % 2, false);
    }
    return NULL;
}

static void threads_check(void)
{
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, thread_main, (void *)(i + 1));
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("threads: checks %d, failures %d\n", (int)checks, (int)failures);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    int iters = argc > 2 ? atoi(argv[2]) : 200;
    lo_error err = {0};
    be = lo_opencl_backend();
    lenet_onnx_device_info infos[8];
    size_t count = 0;
    if (be->list_devices(infos, 8, &count, &err) != LO_OK) {
        printf("list_devices: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < count && i < 8; i++)
        printf("device %u: %s / %s / %s, %llu MiB, align %u\n", infos[i].index, infos[i].name,
               infos[i].platform, infos[i].driver_version,
               (unsigned long long)(infos[i].global_memory_bytes >> 20),
               infos[i].base_address_alignment_bytes);
    if (be->open(LENET_ONNX_DEVICE_AUTO, 0, &ctx, &err) != LO_OK) {
        printf("open: %s\n", err.message);
        return 1;
    }
    bool all = strcmp(mode, "all") == 0;
    if (all || strcmp(mode, "check") == 0) {
        double t0 = now_ms();
        for (int i = 0; i < iters; i++) {
            check_conv(true);
            check_conv(false);
            check_pool(false);
            check_pool(true);
            check_gemm(true);
            check_gemm(false);
            check_eltwise(false, false);
            check_eltwise(true, false);
            check_eltwise(true, true);
        }
        printf("checks: %d, failures: %d (%.1f s)\n", checks, failures, (now_ms() - t0) / 1e3);
    }
    if (all || strcmp(mode, "bench") == 0) {
        bench_floor(iters);
        bench_lenet(1, iters);
        bench_lenet(256, iters / 4 > 5 ? iters / 4 : 5);
    }
    if (all || strcmp(mode, "threads") == 0) threads_check();
    if (all || strcmp(mode, "broken") == 0) broken_build();
    be->close(ctx);
    return failures ? 1 : 0;
}
