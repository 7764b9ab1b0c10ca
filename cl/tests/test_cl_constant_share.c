/* Plans of one model prepared on one context share one device copy of each constant, in each
 * layout (cl_constant_cache.c): the second prepare uploads nothing, copies outlive the first
 * plan's release and go with the last, constants with other ids get their own, and every
 * plan computes what a host reference computes. */
#include <math.h>
#include <string.h>

#include "backend.h"
#include "cl_internal.h"
#include "test_util.h"

enum { N = 2, C = 3, H = 8, W = 8, M = 8, K = 3, OH = H - K + 1, OW = W - K + 1 };
enum { FEATURES = M * OH * OW, CLASSES = 10 };

static float x[N * C * H * W], w[M * C * K * K], bias[M], fc[FEATURES * CLASSES], fc_c[CLASSES];

/* Conv (bias, Relu) then Gemm: the conv's weights are read packed, the Gemm's B packed and
 * its C plain, so each constant layout the backend has takes part. */
static void make_plan(lo_plan *plan, lo_step steps[2], lo_plan_constant constants[4],
                      uint64_t first_id)
{
    memset(steps, 0, 2 * sizeof *steps);
    const void *data[4] = {w, bias, fc, fc_c};
    const lo_shape shapes[4] = {
        {4, {M, C, K, K}}, {1, {M}}, {2, {FEATURES, CLASSES}}, {1, {CLASSES}}};
    static const char *const names[4] = {"w", "bias", "fc", "fc_c"};
    for (int i = 0; i < 4; i++)
        constants[i] =
            (lo_plan_constant){names[i],       first_id + (uint64_t)i,
                               data[i],        (size_t)lo_shape_numel(&shapes[i]) * sizeof(float),
                               LO_DTYPE_FLOAT, shapes[i]};
    const size_t y_offset = 4096; /* past X (768 bytes), aligned for any device */
    lo_step *conv = &steps[0], *gemm = &steps[1];
    conv->kind = LO_STEP_CONV;
    conv->node_name = "conv";
    snprintf(conv->label, sizeof conv->label, "Conv+Relu");
    conv->params.conv = (lo_conv_params){.group = 1,
                                         .kernel = {K, K},
                                         .stride = {1, 1},
                                         .dilation = {1, 1},
                                         .has_bias = true,
                                         .activation = LO_ACT_RELU};
    conv->num_inputs = 3;
    conv->inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, {4, {N, C, H, W}}};
    for (int i = 0; i < 2; i++)
        conv->inputs[1 + i] =
            (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, i, constants[i].shape};
    conv->output =
        (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, y_offset, 0, {4, {N, M, OH, OW}}};
    gemm->kind = LO_STEP_GEMM;
    gemm->node_name = "gemm";
    snprintf(gemm->label, sizeof gemm->label, "Gemm");
    gemm->params.gemm = (lo_gemm_params){.alpha = 1.0f, .beta = 1.0f, .has_c = true};
    gemm->num_inputs = 3;
    gemm->inputs[0] =
        (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, y_offset, 0, {2, {N, FEATURES}}};
    for (int i = 0; i < 2; i++)
        gemm->inputs[1 + i] =
            (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, 2 + i, constants[2 + i].shape};
    gemm->output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, {2, {N, CLASSES}}};
    memset(plan, 0, sizeof *plan);
    plan->steps = steps;
    plan->num_steps = 2;
    plan->arena_bytes = y_offset + sizeof(float) * N * FEATURES;
    plan->constants = constants;
    plan->num_constants = 4;
    plan->inputs = &conv->inputs[0];
    plan->num_inputs = 1;
    plan->outputs = &gemm->output;
    plan->num_outputs = 1;
}

/* The same network on the host, in double. */
static void reference(double out[N * CLASSES])
{
    static double y[N * FEATURES];
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++)
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW; j++) {
                    double acc = bias[m];
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++)
                                acc += (double)x[((n * C + c) * H + i + kh) * W + j + kw] *
                                       w[((m * C + c) * K + kh) * K + kw];
                    y[n * FEATURES + (m * OH + i) * OW + j] = acc > 0 ? acc : 0;
                }
    for (int n = 0; n < N; n++)
        for (int k = 0; k < CLASSES; k++) {
            double acc = fc_c[k];
            for (int f = 0; f < FEATURES; f++)
                acc += y[n * FEATURES + f] * fc[f * CLASSES + k];
            out[n * CLASSES + k] = acc;
        }
}

typedef struct prepared_plan {
    lo_plan plan;
    lo_step steps[2];
    lo_plan_constant constants[4];
    lo_backend_buffer *arena;
    lo_prepared *prepared;
} prepared_plan;

static void prepare(const lo_backend *be, lo_backend_context *ctx, prepared_plan *p,
                    uint64_t first_id)
{
    lo_error err;
    make_plan(&p->plan, p->steps, p->constants, first_id);
    p->prepared = NULL;
    CHECK_OK(be->buffer_alloc(ctx, p->plan.arena_bytes, &p->arena, &err), &err);
    if (p->arena) CHECK_OK(be->prepare(ctx, &p->plan, p->arena, &p->prepared, &err), &err);
}

static void check_run(const lo_backend *be, prepared_plan *p, const double want[N * CLASSES])
{
    if (!p->prepared) return;
    lo_error err;
    float got[N * CLASSES];
    const void *inputs[1] = {x};
    void *outputs[1] = {got};
    CHECK_OK(be->run(p->prepared, inputs, outputs, NULL, &err), &err);
    for (int i = 0; i < N * CLASSES; i++)
        CHECK_MSG(fabs(got[i] - want[i]) <= 1e-4 * fmax(1.0, fabs(want[i])),
                  "output %d: %g, expected %g", i, got[i], want[i]);
}

static void release(const lo_backend *be, prepared_plan *p)
{
    if (p->prepared) be->release(p->prepared);
    if (p->arena) be->buffer_free(p->arena);
    p->prepared = NULL;
    p->arena = NULL;
}

int main(void)
{
    const lo_backend *be = lo_opencl_backend();
    lo_error err;
    lo_backend_context *ctx = NULL;
    CHECK_OK(be->open(0, &ctx, &err), &err);
    if (!ctx) return lo_test_exit_code();
    float *arrays[] = {x, w, bias, fc, fc_c};
    const size_t sizes[] = {N * C * H * W, M * C * K * K, M, FEATURES * CLASSES, CLASSES};
    uint32_t state = 12345;
    for (int a = 0; a < 5; a++)
        for (size_t i = 0; i < sizes[a]; i++) {
            state = state * 1664525u + 1013904223u;
            arrays[a][i] = (float)(state >> 8) / (float)(1u << 24) - 0.5f;
        }
    double want[N * CLASSES];
    reference(want);

    static prepared_plan first, second, other;
    const size_t at_start = lo_cl_constant_uploads(ctx);
    prepare(be, ctx, &first, 1000);
    const size_t after_first = lo_cl_constant_uploads(ctx);
    /* Packed conv weights and bias, packed B (when the device takes the blocked kernels), C. */
    CHECK_MSG(after_first > at_start, "the first prepare uploaded nothing");
    prepare(be, ctx, &second, 1000);
    CHECK_MSG(lo_cl_constant_uploads(ctx) == after_first,
              "the second plan of the same constants uploaded %zu copies",
              lo_cl_constant_uploads(ctx) - after_first);
    check_run(be, &first, want);
    release(be, &first);
    check_run(be, &second, want); /* its copies outlive the first plan */
    prepare(be, ctx, &other, 2000);
    CHECK_MSG(lo_cl_constant_uploads(ctx) - after_first == after_first - at_start,
              "constants with new ids: %zu uploads, expected %zu",
              lo_cl_constant_uploads(ctx) - after_first, after_first - at_start);
    check_run(be, &other, want);
    release(be, &second);
    release(be, &other);
    CHECK_MSG(ctx->constants.count == 0, "%zu device copies outlive every plan",
              ctx->constants.count);
    printf("uploads: %zu for the first plan, 0 for the second\n", after_first - at_start);
    be->close(ctx);
    return lo_test_exit_code();
}
