/* Multi-step plans through both backends: chaining, arena reuse, in-place steps, repeated
 * and interleaved runs of several prepared plans, concurrent runs, profiling. */
#include "kernel_harness.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A LeNet-shaped chain: Conv+Relu, MaxPool, Conv+Relu, MaxPool, Copy (flatten), Gemm+Relu,
 * Gemm, Relu in place, Gemm. Activations ping-pong between two arena regions at varying
 * offsets, as a planner reusing memory would place them. */
#define NET_STEPS 9

#define NET_CONSTANTS 10

typedef struct net {
    lo_step steps[NET_STEPS];
    lo_tensor_ref input, output;
    uint8_t *weights; /* every constant's bytes, one after another */
    size_t weights_bytes, arena_bytes;
    size_t constant_offsets[NET_CONSTANTS];
    lo_plan_constant constants[NET_CONSTANTS];
    int num_constants;
    lo_backend_buffer *arena_buf, *ref_arena_buf;
    lo_prepared *prep, *ref_prep; /* the backend under test's, the reference backend's */
} net;

typedef struct net_config {
    int64_t batch, channels, size, pad1;
} net_config;

static lo_tensor_ref arena_ref(size_t offset, lo_shape shape)
{
    return (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, offset, 0, shape};
}

/* Adds a constant of the given shape with values of about unit output scale. */
static lo_tensor_ref net_const(net *nt, size_t *end, lo_shape shape, int64_t fan_in)
{
    const int64_t n = ref_numel(&shape);
    const size_t off = round_up(*end, sizeof(float));
    *end = off + (size_t)n * 4;
    nt->weights = realloc(nt->weights, *end);
    if (!nt->weights) exit(2);
    const float scale = 1.5f / sqrtf((float)fan_in);
    ref_fill_f32(&rng, (float *)(nt->weights + off), (size_t)n, -scale, scale);
    const int index = nt->num_constants++;
    nt->constant_offsets[index] = off;
    nt->constants[index] = (lo_plan_constant){.name = "net constant",
                                              .id = new_constant_id(),
                                              .bytes = (size_t)n * 4,
                                              .dtype = LO_DTYPE_FLOAT,
                                              .shape = shape};
    return (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, index, shape};
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
    st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, true, true, act, {0, 0, 0}};
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
    for (int c = 0; c < nt->num_constants; c++) /* the image no longer moves */
        nt->constants[c].data = nt->weights + nt->constant_offsets[c];

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
                     .constants = nt->constants,
                     .num_constants = nt->num_constants,
                     .inputs = &nt->input,
                     .num_inputs = 1,
                     .outputs = &nt->output,
                     .num_outputs = 1,
                     .profiling = profiling};
}

/* Prepares the net on the backend under test and on the reference backend, then scribbles
 * over the constants' host bytes, which a backend may read only during prepare. */
static bool net_prepare(net *nt, bool profiling)
{
    lo_error err = {0};
    const lo_plan plan = net_plan(nt, profiling);
    lo_status st = be->buffer_alloc(ctx, nt->arena_bytes, &nt->arena_buf, &err);
    CHECK_OK(st, &err);
    if (!st) CHECK_OK(st = be->prepare(ctx, &plan, nt->arena_buf, &nt->prep, &err), &err);
    if (!st)
        CHECK_OK(st = ref_be->buffer_alloc(ref_ctx, nt->arena_bytes, &nt->ref_arena_buf, &err),
                 &err);
    if (!st)
        CHECK_OK(st = ref_be->prepare(ref_ctx, &plan, nt->ref_arena_buf, &nt->ref_prep, &err),
                 &err);
    memset(nt->weights, 0xC3, nt->weights_bytes);
    return st == LO_OK;
}

static void net_free(net *nt)
{
    if (nt->prep) be->release(nt->prep);
    if (nt->arena_buf) be->buffer_free(nt->arena_buf);
    if (nt->ref_prep) ref_be->release(nt->ref_prep);
    if (nt->ref_arena_buf) ref_be->buffer_free(nt->ref_arena_buf);
    free(nt->weights);
    memset(nt, 0, sizeof *nt);
}

/* The reference for a whole plan: the same plan prepared on the reference backend. */
static void net_reference(const net *nt, const float *input, float *output)
{
    lo_error err = {0};
    const void *ins[1] = {input};
    void *outs[1] = {output};
    CHECK_OK(ref_be->run(nt->ref_prep, ins, outs, NULL, &err), &err);
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

void multi_step_tests(void)
{
    const double t0 = now_s();
    const int failures_before = kernel_failures();
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
           worst_error, kernel_failures() == failures_before ? "ok" : "FAILED");
}
