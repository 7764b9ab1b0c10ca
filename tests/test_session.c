/* The passes, the scheduler and whole sessions: shape subgraphs fold to constants, views
 * cost nothing, Conv/Gemm+Relu fuse, and the seed LeNet's arena is no larger than its
 * largest set of tensors alive at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "onnx_loader.h"
#include "op_table.h"
#include "passes.h"
#include "planner.h"
#include "schedule.h"
#include "session.h"
#include "graph_build.h"
#include "test_util.h"

static lo_error err;

/* x[-1,2,5,5] -> Conv(3x3, 4 out) -> Relu -> Reshape(Concat(Unsqueeze(Gather(Shape(.),0)),
 * [-1])) -> Gemm(B[36,3], C[3]) -> Identity -> y: what x.view(x.size(0), -1) exports. */
static lo_graph *build_view_size_graph(void)
{
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("test-graph", &g, &err), &err);
    int x = add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {-1, 2, 5, 5}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, x, &err), &err);
    int w = add_tensor(g, "w", LO_DTYPE_FLOAT, (lo_shape){4, {4, 2, 3, 3}}, LO_TENSOR_CONSTANT);
    float wdata[72];
    for (int i = 0; i < 72; i++)
        wdata[i] = (float)(i % 7) * 0.1f - 0.3f;
    CHECK_OK(lo_tensor_set_data(g, w, wdata, sizeof wdata, &err), &err);
    int b = add_tensor(g, "b", LO_DTYPE_FLOAT, (lo_shape){2, {36, 3}}, LO_TENSOR_CONSTANT);
    float bdata[108];
    for (int i = 0; i < 108; i++)
        bdata[i] = (float)(i % 5) * 0.05f - 0.1f;
    CHECK_OK(lo_tensor_set_data(g, b, bdata, sizeof bdata, &err), &err);
    int c = add_tensor(g, "c", LO_DTYPE_FLOAT, (lo_shape){1, {3}}, LO_TENSOR_CONSTANT);
    float cdata[3] = {0.5f, -0.5f, 1.0f};
    CHECK_OK(lo_tensor_set_data(g, c, cdata, sizeof cdata, &err), &err);
    int64_t zero = 0, minus_one = -1, axes0 = 0;
    int idx0 = add_tensor(g, "idx0", LO_DTYPE_INT64, (lo_shape){0, {0}}, LO_TENSOR_CONSTANT);
    CHECK_OK(lo_tensor_set_data(g, idx0, &zero, 8, &err), &err);
    int rest = add_const_ints(g, "rest", &minus_one, 1);
    int axes = add_const_ints(g, "axes", &axes0, 1);

    int conv = add_tensor(g, "conv", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int relu = add_tensor(g, "relu", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int shape = add_tensor(g, "shape", LO_DTYPE_INT64, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int gathered = add_tensor(g, "gathered", LO_DTYPE_INT64, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int unsq = add_tensor(g, "unsq", LO_DTYPE_INT64, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int target = add_tensor(g, "target", LO_DTYPE_INT64, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int flat = add_tensor(g, "flat", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int gemm = add_tensor(g, "gemm", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int y = add_tensor(g, "y", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);

    int64_t kernel[2] = {3, 3};
    lo_attr conv_attrs[1] = {
        {.name = "kernel_shape", .type = LO_ATTR_INTS, .ints = kernel, .count = 2, .tensor = -1}};
    add_node(g, "Conv", (int[]){x, w}, 2, conv, conv_attrs, 1);
    add_node(g, "Relu", (int[]){conv}, 1, relu, NULL, 0);
    add_node(g, "Shape", (int[]){relu}, 1, shape, NULL, 0);
    add_node(g, "Gather", (int[]){shape, idx0}, 2, gathered, NULL, 0);
    add_node(g, "Unsqueeze", (int[]){gathered, axes}, 2, unsq, NULL, 0);
    lo_attr concat_attrs[1] = {{.name = "axis", .type = LO_ATTR_INT, .i = 0, .tensor = -1}};
    add_node(g, "Concat", (int[]){unsq, rest}, 2, target, concat_attrs, 1);
    add_node(g, "Reshape", (int[]){relu, target}, 2, flat, NULL, 0);
    add_node(g, "Gemm", (int[]){flat, b, c}, 3, gemm, NULL, 0);
    add_node(g, "Identity", (int[]){gemm}, 1, y, NULL, 0);
    CHECK_OK(lo_graph_add_output(g, y, &err), &err);
    g->tensors[y].is_graph_output = true;
    return g;
}

static void test_passes(void)
{
    lo_graph *g = build_view_size_graph();
    for (int n = 0; n < g->num_nodes; n++)
        CHECK_OK(lo_op_check_node(g, &g->nodes[n], &err), &err);
    CHECK_OK(lo_run_passes(g, 3, &err), &err);

    int live = 0;
    for (int n = 0; n < g->num_nodes; n++)
        live += !g->nodes[n].removed;
    /* Shape, Gather, Unsqueeze and Concat folded; Relu fused; Conv, Reshape, Gemm, Identity
     * remain, the last two... Reshape and Identity as views. */
    CHECK_MSG(live == 4, "%d nodes left", live);
    CHECK(strcmp(g->nodes[0].op_type, "FusedConv") == 0);
    const lo_attr *act = lo_node_attr(&g->nodes[0], "activation");
    CHECK(act && act->s && strcmp(act->s, "Relu") == 0);

    int target = lo_graph_find_tensor(g, "target");
    CHECK(g->tensors[target].role == LO_TENSOR_CONSTANT);
    CHECK(g->tensors[target].data_bytes == 16);
    if (g->tensors[target].data_bytes == 16) {
        int64_t v[2];
        memcpy(v, g->tensors[target].data, 16);
        CHECK_MSG(v[0] == 3 && v[1] == -1, "target = [%lld, %lld]", (long long)v[0],
                  (long long)v[1]);
    }
    int flat = lo_graph_find_tensor(g, "flat");
    int relu = lo_graph_find_tensor(g, "relu");
    CHECK(g->tensors[flat].shape.rank == 2 && g->tensors[flat].shape.dims[0] == 3 &&
          g->tensors[flat].shape.dims[1] == 36);
    CHECK(lo_storage_root(g, flat) == relu);
    int y = lo_graph_find_tensor(g, "y");
    CHECK(lo_storage_root(g, y) == lo_graph_find_tensor(g, "gemm"));

    lo_schedule s;
    CHECK_OK(
        lo_schedule_build(g, &(lo_schedule_options){.alignment = 128, .reuse = true}, &s, &err),
        &err);
    CHECK_MSG(s.num_steps == 2, "%d steps", s.num_steps);
    if (s.num_steps == 2) {
        CHECK(s.steps[0].kind == LO_STEP_CONV);
        CHECK(s.steps[0].params.conv.activation == LO_ACT_RELU);
        CHECK(strcmp(s.steps[0].label, "Conv+Relu") == 0);
        CHECK(s.steps[1].kind == LO_STEP_GEMM && s.steps[1].num_inputs == 3);
        /* The Gemm reads the Conv output in place: a view shares the offset. */
        CHECK(s.steps[1].inputs[0].buffer == LO_BUFFER_ARENA);
        CHECK(s.steps[1].inputs[0].offset == s.steps[0].output.offset);
        CHECK(s.steps[1].inputs[1].buffer == LO_BUFFER_CONSTANT);
        CHECK(s.outputs[0].offset == s.steps[1].output.offset);
    }
    /* Constants read: w (288 B), b (432 B), c (12 B), the model's own bytes, not copies. */
    CHECK_MSG(s.num_constants == 3 && s.constant_bytes == 288 + 432 + 12, "%d constants, %zu B",
              s.num_constants, s.constant_bytes);
    for (int i = 0; i < s.num_constants; i++)
        CHECK(s.constants[i].data == g->tensors[s.constant_tensors[i]].data);
    lo_schedule_free(&s);
    lo_graph_free(g);
}

/* x -> Conv -> LeakyRelu(0.2) -> Flatten -> Gemm -> Clip(-1, 6 constant inputs) -> Gemm ->
 * Clip(max a graph input): the first two activations fuse with their parameters, the last
 * (a bound known only at run time) stays its own step. 32 rows: no Gemm chain. */
static void test_fused_activation_params(void)
{
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("fused-params", &g, &err), &err);
    int x = add_tensor(g, "x", LO_DTYPE_FLOAT, (lo_shape){4, {32, 1, 4, 4}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, x, &err), &err);
    int hi = add_tensor(g, "hi", LO_DTYPE_FLOAT, (lo_shape){0, {0}}, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, hi, &err), &err);
    float w[2 * 9], b1[8 * 3], b2[3 * 2], lo_v = -1.0f, hi_v = 6.0f;
    for (int i = 0; i < 24; i++)
        b1[i] = (float)(i % 4) * 0.25f;
    for (int i = 0; i < 18; i++)
        w[i] = i % 2 ? 0.5f : -0.5f;
    for (int i = 0; i < 6; i++)
        b2[i] = 1.0f;
    int wt = add_const_floats(g, "w", (lo_shape){4, {2, 1, 3, 3}}, w);
    int bt1 = add_const_floats(g, "b1", (lo_shape){2, {8, 3}}, b1);
    int bt2 = add_const_floats(g, "b2", (lo_shape){2, {3, 2}}, b2);
    int lo_t = add_const_floats(g, "lo", (lo_shape){0, {0}}, &lo_v);
    int hi_t = add_const_floats(g, "hi_const", (lo_shape){0, {0}}, &hi_v);
    int conv = add_activation(g, "conv"), leaky = add_activation(g, "leaky");
    int flat = add_activation(g, "flat"), g1 = add_activation(g, "g1");
    int clip1 = add_activation(g, "clip1"), g2 = add_activation(g, "g2");
    int y = add_activation(g, "y");
    add_node(g, "Conv", (int[]){x, wt}, 2, conv, NULL, 0);
    lo_attr alpha = {.name = "alpha", .type = LO_ATTR_FLOAT, .f = 0.2f, .tensor = -1};
    add_node(g, "LeakyRelu", (int[]){conv}, 1, leaky, &alpha, 1);
    add_node(g, "Flatten", (int[]){leaky}, 1, flat, NULL, 0);
    add_node(g, "Gemm", (int[]){flat, bt1}, 2, g1, NULL, 0);
    add_node(g, "Clip", (int[]){g1, lo_t, hi_t}, 3, clip1, NULL, 0);
    add_node(g, "Gemm", (int[]){clip1, bt2}, 2, g2, NULL, 0);
    add_node(g, "Clip", (int[]){g2, lo_t, hi}, 3, y, NULL, 0);
    mark_output(g, y);
    for (int n = 0; n < g->num_nodes; n++)
        CHECK_OK(lo_op_check_node(g, &g->nodes[n], &err), &err);
    CHECK_OK(lo_run_passes(g, 32, &err), &err);
    lo_schedule s;
    CHECK_OK(lo_schedule_build(g, &(lo_schedule_options){.alignment = 64, .reuse = true}, &s, &err),
             &err);
    CHECK_MSG(s.num_steps == 4, "%d steps", s.num_steps);
    if (s.num_steps == 4) {
        const lo_conv_params *c = &s.steps[0].params.conv;
        CHECK(strcmp(s.steps[0].label, "Conv+LeakyRelu") == 0);
        CHECK(c->activation == LO_ACT_LEAKY_RELU && c->activation_args.alpha == 0.2f);
        const lo_gemm_params *p = &s.steps[1].params.gemm;
        CHECK(strcmp(s.steps[1].label, "Gemm+Clip") == 0);
        CHECK(p->activation == LO_ACT_CLIP && p->activation_args.min == -1.0f &&
              p->activation_args.max == 6.0f);
        CHECK(strcmp(s.steps[2].label, "Gemm") == 0);
        CHECK(s.steps[3].kind == LO_STEP_UNARY && s.steps[3].params.unary.op == LO_ACT_CLIP &&
              s.steps[3].params.unary.max_input == 1);
    }
    lo_schedule_free(&s);
    lo_graph_free(g);
}

/* Backends that run everything, or everything but one optional fusion: all the scheduler
 * asks of them is supports(). */
static lo_status supports_all(const lo_backend_context *ctx, const lo_step *step, lo_error *e)
{
    (void)ctx, (void)step, (void)e;
    return LO_OK;
}

static lo_status refuses_pool_epilogue(const lo_backend_context *ctx, const lo_step *step,
                                       lo_error *e)
{
    (void)ctx;
    if (step->kind == LO_STEP_CONV && step->params.conv.has_pool)
        return lo_fail(e, LO_ERR_UNSUPPORTED, "no pool epilogue here");
    return LO_OK;
}

static lo_status refuses_chains(const lo_backend_context *ctx, const lo_step *step, lo_error *e)
{
    (void)ctx;
    if (step->kind == LO_STEP_GEMM_CHAIN) return lo_fail(e, LO_ERR_UNSUPPORTED, "no chains here");
    return LO_OK;
}

static lo_status two_layer_chains(const lo_backend_context *ctx, const lo_step *step, lo_error *e)
{
    (void)ctx;
    if (step->kind == LO_STEP_GEMM_CHAIN && step->params.gemm_chain.layers > 2)
        return lo_fail(e, LO_ERR_UNSUPPORTED, "two layers at most here");
    return LO_OK;
}

/* LeNet at `batch` scheduled for a backend, with the output of node `also_output` (or none)
 * made a graph output too: the labels of its steps joined by spaces. */
static int lenet_schedule(lo_status (*supports)(const lo_backend_context *, const lo_step *,
                                                lo_error *),
                          int64_t batch, const char *also_output, char *labels, size_t size)
{
    lo_graph *g = NULL;
    labels[0] = '\0';
    CHECK_OK(lo_onnx_load_file("models/lenet.onnx", &g, &err), &err);
    if (!g) return -1;
    CHECK_OK(lo_run_passes(g, batch, &err), &err);
    if (also_output) {
        int node = -1;
        for (int n = 0; n < g->num_nodes && node < 0; n++)
            if (!g->nodes[n].removed && strcmp(g->nodes[n].name, also_output) == 0) node = n;
        CHECK_MSG(node >= 0, "no node %s", also_output);
        if (node >= 0) {
            const int t = g->nodes[node].outputs[0];
            CHECK_OK(lo_graph_add_output(g, t, &err), &err);
            g->tensors[t].is_graph_output = true;
        }
    }
    const lo_backend backend = {.name = "stub", .supports = supports};
    lo_schedule s;
    int steps = -1;
    const lo_status built = lo_schedule_build(
        g, &(lo_schedule_options){.backend = &backend, .alignment = 64, .reuse = true}, &s, &err);
    CHECK_OK(built, &err);
    if (built == LO_OK) {
        steps = s.num_steps;
        size_t used = 0;
        for (int k = 0; k < s.num_steps; k++)
            used += (size_t)snprintf(labels + used, used < size ? size - used : 0, "%s%s",
                                     k ? " " : "", s.steps[k].label);
        if (s.num_steps > 0 && s.steps[0].params.conv.has_pool) {
            /* conv1's 28x28 output, pooled 2x2, never stored: the step writes [N,16,14,14]. */
            const lo_shape *y = &s.steps[0].output.shape;
            CHECK(y->rank == 4 && y->dims[0] == batch && y->dims[2] == 14 && y->dims[3] == 14);
            const lo_shape full = lo_conv_full_shape(&s.steps[0]);
            CHECK(full.rank == 4 && full.dims[2] == 28 && full.dims[3] == 28);
            CHECK(s.steps[0].params.conv.pool.kernel[0] == 2 &&
                  s.steps[0].params.conv.pool.stride[1] == 2);
        }
        const lo_step *last = s.num_steps > 0 ? &s.steps[s.num_steps - 1] : NULL;
        if (last && last->kind == LO_STEP_GEMM_CHAIN && last->params.gemm_chain.layers == 3) {
            /* A [N,800], then fc1..fc3's weights and biases; the logits out. */
            const lo_gemm_chain_params *p = &last->params.gemm_chain;
            CHECK(last->num_inputs == 7 && p->b_input[2] == 5 && p->c_input[2] == 6);
            CHECK(last->inputs[0].shape.dims[1] == 800 && last->output.shape.dims[0] == batch &&
                  last->output.shape.dims[1] == 10);
            CHECK(p->layer[0].activation == LO_ACT_RELU && p->layer[2].activation == LO_ACT_NONE);
        }
        lo_schedule_free(&s);
    }
    lo_graph_free(g);
    return steps;
}

/* The scheduler folds each MaxPool into the Conv before it and chains the classifier's Gemms
 * at small batches where the backend runs the fused steps, keeps the steps apart where it
 * refuses them, and never fuses across a tensor that is also a graph output. */
static void test_fusions(void)
{
    static const struct {
        lo_status (*supports)(const lo_backend_context *, const lo_step *, lo_error *);
        int64_t batch;
        const char *also_output;
        const char *labels;
    } cases[] = {
        {supports_all, 2, NULL, "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu>Gemm+Relu>Gemm"},
        {supports_all, LO_GEMM_CHAIN_MAX_ROWS, NULL,
         "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu>Gemm+Relu>Gemm"},
        {supports_all, LO_GEMM_CHAIN_MAX_ROWS + 1, NULL,
         "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu Gemm+Relu Gemm"},
        {refuses_pool_epilogue, 2, NULL,
         "Conv+Relu MaxPool Conv+Relu MaxPool Gemm+Relu>Gemm+Relu>Gemm"},
        {supports_all, 2, "/conv1/Conv",
         "Conv+Relu MaxPool Conv+Relu+MaxPool Gemm+Relu>Gemm+Relu>Gemm"},
        {refuses_chains, 1, NULL, "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu Gemm+Relu Gemm"},
        {two_layer_chains, 1, NULL, "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu>Gemm+Relu Gemm"},
        {supports_all, 1, "/fc2/Gemm",
         "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu>Gemm+Relu Gemm"},
        {supports_all, 1, "/fc1/Gemm",
         "Conv+Relu+MaxPool Conv+Relu+MaxPool Gemm+Relu Gemm+Relu>Gemm"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char labels[256];
        lenet_schedule(cases[i].supports, cases[i].batch, cases[i].also_output, labels,
                       sizeof labels);
        CHECK_MSG(strcmp(labels, cases[i].labels) == 0, "case %zu: %s, expected %s", i, labels,
                  cases[i].labels);
    }
}

static void test_bind_batch_errors(void)
{
    lo_graph *g = build_view_size_graph();
    g->tensors[g->inputs[0]].shape.dims[2] = -1;
    CHECK(lo_run_passes(g, 1, &err) == LO_ERR_UNSUPPORTED);
    CHECK(strstr(err.message, "'x'") && strstr(err.message, "dynamic dimension 2"));
    lo_graph_free(g);

    g = build_view_size_graph();
    g->tensors[g->inputs[0]].shape.dims[0] = 2;
    CHECK(lo_run_passes(g, 5, &err) == LO_ERR_ARGUMENT);
    lo_graph_free(g);
}

/* Independent of the planner: the largest sum of arena tensor sizes alive at one time, with
 * time 0 the host writing inputs, time k+1 step k running (its inputs and its output alive),
 * and time steps+1 the host reading outputs. A read of an offset belongs to the tensor most
 * recently born there. Also checks that no two tensors alive together overlap. */
typedef struct span {
    size_t offset, size;
    int born, last;
} span;

static void extend_last_reader(span *spans, int count, const lo_tensor_ref *ref, int time)
{
    int owner = -1;
    for (int i = 0; i < count; i++)
        if (spans[i].offset == ref->offset && spans[i].born < time &&
            (owner < 0 || spans[i].born > spans[owner].born))
            owner = i;
    CHECK_MSG(owner >= 0, "a step reads arena offset %zu before anything was written there",
              ref->offset);
    if (owner >= 0 && time > spans[owner].last) spans[owner].last = time;
}

static size_t peak_live_bytes(const lo_schedule *s, size_t alignment)
{
    span spans[64];
    int count = 0;
    for (int i = 0; i < s->num_inputs && count < 64; i++)
        spans[count++] = (span){s->inputs[i].offset,
                                lo_align_up(lo_tensor_ref_bytes(&s->inputs[i]), alignment), -1, 0};
    for (int k = 0; k < s->num_steps && count < 64; k++) {
        const lo_tensor_ref *out = &s->steps[k].output;
        spans[count++] =
            (span){out->offset, lo_align_up(lo_tensor_ref_bytes(out), alignment), k + 1, k + 1};
        for (int r = 0; r < s->steps[k].num_inputs; r++)
            if (s->steps[k].inputs[r].buffer == LO_BUFFER_ARENA)
                extend_last_reader(spans, count - 1, &s->steps[k].inputs[r], k + 1);
    }
    for (int o = 0; o < s->num_outputs; o++)
        if (s->outputs[o].buffer == LO_BUFFER_ARENA)
            extend_last_reader(spans, count, &s->outputs[o], s->num_steps + 1);
    size_t peak = 0;
    for (int t = 0; t <= s->num_steps + 1; t++) {
        size_t live = 0;
        for (int i = 0; i < count; i++)
            if (spans[i].born <= t && t <= spans[i].last) live += spans[i].size;
        if (live > peak) peak = live;
    }
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++) {
            bool together = spans[i].born <= spans[j].last && spans[j].born <= spans[i].last;
            bool disjoint = spans[i].offset + spans[i].size <= spans[j].offset ||
                            spans[j].offset + spans[j].size <= spans[i].offset;
            CHECK_MSG(!together || disjoint, "tensors at %zu and %zu overlap while alive",
                      spans[i].offset, spans[j].offset);
        }
    return peak;
}

static void test_lenet_session(const lenet_onnx_api *api, lenet_onnx_context *context)
{
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    if (!model) return;
    lenet_onnx_tensor_info info;
    CHECK_OK(api->model_io_info(model, LENET_ONNX_INPUT, 0, &info, &err), &err);
    CHECK(info.rank == 4 && info.dims[0] == -1 && info.dims[1] == 3 && info.dims[2] == 32);
    CHECK(info.layout == LENET_ONNX_LAYOUT_NCHW);

    for (uint32_t batch = 1; batch <= 64; batch *= 8) {
        lenet_onnx_session_options options = {.batch_size = batch};
        lenet_onnx_session *session = NULL;
        CHECK_OK(api->session_create(context, model, &options, &session, &err), &err);
        if (!session) continue;
        const lo_schedule *s = &session->schedule;
        /* Each MaxPool runs as the epilogue of the Conv before it (every backend built has the
         * fused kernel; test_fusions' stub backends check the fallback), and at small batches
         * the classifier is one Gemm chain where the backend has that kernel (not Vulkan's
         * yet). */
        const bool chained =
            batch <= LO_GEMM_CHAIN_MAX_ROWS && strcmp(context->backend->name, "vulkan") != 0;
        static const char *const apart[] = {"Conv+Relu+MaxPool", "Conv+Relu+MaxPool", "Gemm+Relu",
                                            "Gemm+Relu", "Gemm"};
        static const char *const chain[] = {"Conv+Relu+MaxPool", "Conv+Relu+MaxPool",
                                            "Gemm+Relu>Gemm+Relu>Gemm"};
        const char *const *labels = chained ? chain : apart;
        const int steps = chained ? 3 : 5;
        CHECK_MSG(s->num_steps == steps, "%d steps on %s", s->num_steps, context->backend->name);
        for (int k = 0; k < s->num_steps && k < steps; k++)
            CHECK_MSG(strcmp(s->steps[k].label, labels[k]) == 0, "step %d is %s, expected %s", k,
                      s->steps[k].label, labels[k]);
        size_t peak = peak_live_bytes(s, s->alignment);
        CHECK_MSG(s->arena_bytes <= peak, "arena %zu > peak live %zu", s->arena_bytes, peak);
        CHECK(s->arena_bytes < s->naive_arena_bytes);
        printf("LeNet batch %u: arena %zu bytes, peak live %zu, naive %zu, constants %zu\n", batch,
               s->arena_bytes, peak, s->naive_arena_bytes, s->constant_bytes);
        lenet_onnx_session_stats stats;
        CHECK_OK(api->session_stats(session, &stats, &err), &err);
        CHECK(stats.arena_bytes == s->arena_bytes && stats.step_count == (uint32_t)steps);
        CHECK_OK(api->session_io_info(session, LENET_ONNX_OUTPUT, 0, &info, &err), &err);
        CHECK(info.dims[0] == batch && info.dims[1] == 10 && info.size_bytes == batch * 40u);
        size_t needed = 0;
        CHECK_OK(api->session_describe_plan(session, NULL, 0, &needed, &err), &err);
        char *text = malloc(needed);
        CHECK_OK(api->session_describe_plan(session, text, needed, NULL, &err), &err);
        CHECK(text && strstr(text, "Conv+Relu") && strlen(text) + 1 == needed);
        free(text);
        api->session_release(session);
    }
    lenet_onnx_session_options bad = {.batch_size = 0};
    lenet_onnx_session *session = NULL;
    CHECK_OK(api->session_create(context, model, &bad, &session, &err), &err);
    if (session) {
        CHECK_OK(api->session_io_info(session, LENET_ONNX_INPUT, 0, &info, &err), &err);
        CHECK(info.dims[0] == 1); /* a dynamic batch defaults to 1 */
        api->session_release(session);
    }
    api->model_release(model);
}

static void test_load_errors(const lenet_onnx_api *api)
{
    lenet_onnx_model *model = NULL;
    CHECK(api->model_load_file("tests/fixtures/models/unsupported_op.onnx", &model, &err) ==
          LENET_ONNX_ERROR_UNSUPPORTED);
    CHECK_MSG(strstr(err.message, "FancyUnsupportedOp") && strstr(err.message, "mystery_node"),
              "%s", err.message);
    CHECK(model == NULL);
    CHECK(api->model_load_file("no/such/model.onnx", &model, &err) == LENET_ONNX_ERROR_IO);
    CHECK(strstr(err.message, "no/such/model.onnx") != NULL);
    CHECK(api->model_load_bytes("\x08\x07", 2, &model, &err) != LENET_ONNX_OK);
    CHECK(lo_api_table(LENET_ONNX_ABI_VERSION + 1) == NULL);
}

/* Loads a model and makes a session at its own batch; returns the status, the message in err. */
static lenet_onnx_status try_session(const lenet_onnx_api *api, lenet_onnx_context *context,
                                     const char *path, lenet_onnx_session_stats *stats)
{
    lenet_onnx_model *model = NULL;
    lenet_onnx_session *session = NULL;
    lenet_onnx_session_options options = {.batch_size = 0};
    lenet_onnx_status st = api->model_load_file(path, &model, &err);
    if (st == LENET_ONNX_OK) st = api->session_create(context, model, &options, &session, &err);
    if (st == LENET_ONNX_OK && stats) st = api->session_stats(session, stats, &err);
    if (session) api->session_release(session);
    if (model) api->model_release(model);
    return st;
}

/* The new ops' sessions: ends_in_softmax sees Softmax (not LogSoftmax), and models using a
 * form the library does not compute are refused, naming what is at fault. */
static void test_op_sessions(const lenet_onnx_api *api, lenet_onnx_context *context)
{
    lenet_onnx_session_stats stats;
    memset(&stats, 0, sizeof stats);
    CHECK_OK(try_session(api, context, "tests/fixtures/ops/softmax13_axis1/model.onnx", &stats),
             &err);
    CHECK(stats.ends_in_softmax != 0 && stats.step_count == 1);
    CHECK_OK(
        try_session(api, context, "tests/fixtures/ops/legacy_softmax_axis1/model.onnx", &stats),
        &err);
    CHECK(stats.ends_in_softmax != 0);
    CHECK_OK(try_session(api, context, "tests/fixtures/ops/legacy_logsoftmax_default/model.onnx",
                         &stats),
             &err);
    CHECK(stats.ends_in_softmax == 0);

    static const struct {
        const char *file, *expect;
    } refused[] = {
        {"bn_training", "'training_mode' = 1"},
        {"bn_mean_used", "output 'running_mean' (mean) is used"},
        {"legacy_add_unequal", "attribute 'broadcast' is 0"},
        {"prelu_slope_too_big", "slope 'slope' [2,3] does not broadcast"},
        {"matmul_inner", "inner dimensions differ"},
        {"clip_two_bounds", "input 'lo' is float32 of shape [2], not one float"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/fixtures/ops_rejected/%s.onnx", refused[i].file);
        CHECK_MSG(try_session(api, context, path, NULL) != LENET_ONNX_OK, "%s loaded", path);
        CHECK_MSG(strstr(err.message, refused[i].expect) && strstr(err.message, refused[i].file),
                  "%s: %s", path, err.message);
    }
}

int main(void)
{
    test_passes();
    test_fused_activation_params();
    test_bind_batch_errors();
    test_fusions();
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    CHECK(api && api->struct_size == sizeof *api);
    lenet_onnx_context *context = NULL;
    CHECK_OK(api->context_create(NULL, &context, &err), &err);
    if (context) {
        test_lenet_session(api, context);
        test_op_sessions(api, context);
        api->context_release(context);
    }
    test_load_errors(api);
    return lo_test_exit_code();
}
