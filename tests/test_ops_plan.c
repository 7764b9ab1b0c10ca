/* The op-table rows of AveragePool, the global pools, Pad, Concat, Transpose, and the axes of
 * Squeeze and Unsqueeze, without a device: which attributes each version accepts, the shapes
 * inference gives, the step each node lowers to, and the messages of what is rejected. The
 * kernels' numbers are tested in test_kernels (against the oracle) and by the ONNX node tests.
 */
#include <stdlib.h>
#include <string.h>

#include "op_table.h"
#include "passes.h"
#include "schedule.h"
#include "test_util.h"

static lo_error err;

static int add_tensor(lo_graph *g, const char *name, lo_dtype dtype, lo_shape shape,
                      lo_tensor_role role)
{
    int index = -1;
    CHECK_OK(lo_graph_add_tensor(g, name, dtype, &shape, role, &index, &err), &err);
    return index;
}

static int add_const(lo_graph *g, const char *name, lo_dtype dtype, lo_shape shape,
                     const void *data, size_t bytes)
{
    int t = add_tensor(g, name, dtype, shape, LO_TENSOR_CONSTANT);
    CHECK_OK(lo_tensor_set_data(g, t, data, bytes, &err), &err);
    return t;
}

static int add_input(lo_graph *g, const char *name, lo_shape shape)
{
    int t = add_tensor(g, name, LO_DTYPE_FLOAT, shape, LO_TENSOR_GRAPH_INPUT);
    CHECK_OK(lo_graph_add_input(g, t, &err), &err);
    return t;
}

static lo_graph *new_graph(void)
{
    lo_graph *g = NULL;
    CHECK_OK(lo_graph_create("ops-plan", &g, &err), &err);
    return g;
}

/* Adds node `op` at `opset` writing graph output "y". */
static void add_op(lo_graph *g, const char *op, int opset, const int *in, int nin,
                   const lo_attr *attrs, int nattrs)
{
    int y = add_tensor(g, "y", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int index = -1;
    CHECK_OK(lo_graph_add_node(g, "n", op, "", opset, in, nin, &y, 1, attrs, nattrs, &index, &err),
             &err);
    g->tensors[y].producer = index;
    CHECK_OK(lo_graph_add_output(g, y, &err), &err);
    g->tensors[y].is_graph_output = true;
}

/* Load-time check, passes and scheduling, as a session does them; frees the graph. On success
 * the schedule is left in s (free it) and y's shape in *y. */
static lo_status plan(lo_graph *g, lo_schedule *s, lo_shape *y)
{
    memset(s, 0, sizeof *s);
    lo_status st = LO_OK;
    for (int n = 0; n < g->num_nodes && st == LO_OK; n++)
        st = lo_op_check_node(g, &g->nodes[n], &err);
    if (st == LO_OK) st = lo_run_passes(g, 0, &err);
    if (st == LO_OK)
        st = lo_schedule_build(g, &(lo_schedule_options){.alignment = 128, .reuse = true}, s, &err);
    if (st == LO_OK && y) *y = g->tensors[lo_graph_find_tensor(g, "y")].shape;
    lo_graph_free(g);
    return st;
}

static bool shape_is(const lo_shape *s, int rank, const int64_t *dims)
{
    if (s->rank != rank) return false;
    for (int d = 0; d < rank; d++)
        if (s->dims[d] != dims[d]) return false;
    return true;
}

static lo_attr ints_attr(const char *name, int64_t *values, int count)
{
    return (lo_attr){
        .name = (char *)name, .type = LO_ATTR_INTS, .ints = values, .count = count, .tensor = -1};
}

static lo_attr int_attr(const char *name, int64_t value)
{
    return (lo_attr){.name = (char *)name, .type = LO_ATTR_INT, .i = value, .tensor = -1};
}

static lo_attr string_attr(const char *name, const char *value)
{
    return (lo_attr){
        .name = (char *)name, .type = LO_ATTR_STRING, .s = (char *)value, .tensor = -1};
}

static void test_pools(void)
{
    lo_schedule s;
    lo_shape y;
    int64_t kernel[2] = {3, 3}, strides[2] = {2, 2}, pads[4] = {1, 1, 1, 1};

    /* AveragePool 10: ceil_mode and count_include_pad reach the step. */
    lo_graph *g = new_graph();
    int x = add_input(g, "x", (lo_shape){4, {2, 3, 6, 6}});
    lo_attr a10[4] = {ints_attr("kernel_shape", kernel, 2), ints_attr("strides", strides, 2),
                      int_attr("ceil_mode", 1), int_attr("count_include_pad", 1)};
    add_op(g, "AveragePool", 10, &x, 1, a10, 4);
    CHECK_OK(plan(g, &s, &y), &err);
    if (s.num_steps == 1) {
        const lo_step *st = &s.steps[0];
        CHECK(st->kind == LO_STEP_AVGPOOL && st->params.pool.count_include_pad);
        CHECK(shape_is(&y, 4, (int64_t[]){2, 3, 3, 3})); /* ceil((6 - 3) / 2) + 1 */
        CHECK(strcmp(st->label, "AveragePool") == 0);
    }
    lo_schedule_free(&s);

    /* AveragePool 7 has no ceil_mode; 1 has no count_include_pad. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){4, {1, 1, 6, 6}});
    add_op(g, "AveragePool", 7, &x, 1, a10, 3);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "'ceil_mode'"));
    g = new_graph();
    x = add_input(g, "x", (lo_shape){4, {1, 1, 6, 6}});
    lo_attr a1[2] = {ints_attr("kernel_shape", kernel, 2), int_attr("count_include_pad", 1)};
    add_op(g, "AveragePool", 1, &x, 1, a1, 2);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "'count_include_pad'"));

    /* Pads reach the step; count_include_pad defaults to 0. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){4, {1, 2, 5, 5}});
    lo_attr a11[2] = {ints_attr("kernel_shape", kernel, 2), ints_attr("pads", pads, 4)};
    add_op(g, "AveragePool", 11, &x, 1, a11, 2);
    CHECK_OK(plan(g, &s, &y), &err);
    if (s.num_steps == 1) {
        CHECK(!s.steps[0].params.pool.count_include_pad);
        CHECK(s.steps[0].params.pool.pad_begin[0] == 1 && s.steps[0].params.pool.pad_end[1] == 1);
        CHECK(shape_is(&y, 4, (int64_t[]){1, 2, 5, 5}));
    }
    lo_schedule_free(&s);

    /* Global pools: one window the size of the image. */
    const char *globals[2] = {"GlobalAveragePool", "GlobalMaxPool"};
    for (int i = 0; i < 2; i++) {
        g = new_graph();
        x = add_input(g, "x", (lo_shape){4, {2, 5, 7, 4}});
        add_op(g, globals[i], 1, &x, 1, NULL, 0);
        CHECK_OK(plan(g, &s, &y), &err);
        CHECK(shape_is(&y, 4, (int64_t[]){2, 5, 1, 1}));
        if (s.num_steps == 1) {
            const lo_pool_params *p = &s.steps[0].params.pool;
            CHECK(s.steps[0].kind == (i == 0 ? LO_STEP_AVGPOOL : LO_STEP_MAXPOOL));
            CHECK(p->kernel[0] == 7 && p->kernel[1] == 4 && p->stride[0] == 1 &&
                  p->pad_begin[0] == 0 && p->pad_end[1] == 0 && p->dilation[1] == 1);
        }
        lo_schedule_free(&s);
    }
}

static void test_pad(void)
{
    lo_schedule s;
    lo_shape y;

    /* Pad 2: pads and value attributes; a negative pad crops. */
    lo_graph *g = new_graph();
    int x = add_input(g, "x", (lo_shape){4, {1, 2, 3, 4}});
    int64_t pads[8] = {0, 0, 1, 2, 0, 0, 0, -1};
    lo_attr a2[3] = {ints_attr("pads", pads, 8), string_attr("mode", "constant"),
                     (lo_attr){.name = "value", .type = LO_ATTR_FLOAT, .f = 2.5f, .tensor = -1}};
    add_op(g, "Pad", 2, &x, 1, a2, 3);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 4, (int64_t[]){1, 2, 4, 5}));
    if (s.num_steps == 1) {
        const lo_pad_params *p = &s.steps[0].params.pad;
        CHECK(s.steps[0].kind == LO_STEP_PAD && s.steps[0].num_inputs == 1);
        CHECK(p->value == 2.5f && p->pad_begin[2] == 1 && p->pad_begin[3] == 2 &&
              p->pad_end[3] == -1 && p->pad_end[0] == 0);
    }
    lo_schedule_free(&s);

    /* Pad 1 named them 'paddings'; 2 does not know that name. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    int64_t p1[4] = {1, 0, 0, 1};
    lo_attr a1[1] = {ints_attr("paddings", p1, 4)};
    add_op(g, "Pad", 1, &x, 1, a1, 1);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){4, 5}));
    lo_schedule_free(&s);
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    add_op(g, "Pad", 2, &x, 1, a1, 1);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "'paddings'"));

    /* Pad 13: pads and constant_value as constant inputs; only X reaches the step. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    int64_t p13[4] = {0, 1, 2, 0};
    float value = -1.0f;
    int in13[3] = {x, add_const(g, "pads", LO_DTYPE_INT64, (lo_shape){1, {4}}, p13, sizeof p13),
                   add_const(g, "value", LO_DTYPE_FLOAT, (lo_shape){0}, &value, 4)};
    add_op(g, "Pad", 13, in13, 3, NULL, 0);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 2, (int64_t[]){5, 5}));
    if (s.num_steps == 1) {
        CHECK(s.steps[0].num_inputs == 1 && s.steps[0].inputs[0].buffer == LO_BUFFER_ARENA);
        CHECK(s.steps[0].params.pad.value == -1.0f && s.steps[0].params.pad.pad_begin[1] == 1);
    }
    lo_schedule_free(&s);

    /* Pad 18: pads for the listed axes only. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){3, {2, 3, 4}});
    int64_t p18[2] = {1, 3}, axes[1] = {-1};
    int in18[4] = {x, add_const(g, "pads", LO_DTYPE_INT64, (lo_shape){1, {2}}, p18, sizeof p18), -1,
                   add_const(g, "axes", LO_DTYPE_INT64, (lo_shape){1, {1}}, axes, 8)};
    add_op(g, "Pad", 18, in18, 4, NULL, 0);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){2, 3, 8}));
    lo_schedule_free(&s);

    /* Reflect mode is rejected by name; so are pads known only at run time. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    int inr[2] = {x, add_const(g, "pads", LO_DTYPE_INT64, (lo_shape){1, {4}}, p13, sizeof p13)};
    lo_attr reflect[1] = {string_attr("mode", "reflect")};
    add_op(g, "Pad", 13, inr, 2, reflect, 1);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "'mode'") &&
          strstr(err.message, "'reflect'"));
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    int inp[2] = {x,
                  add_tensor(g, "pads", LO_DTYPE_INT64, (lo_shape){1, {4}}, LO_TENSOR_GRAPH_INPUT)};
    CHECK_OK(lo_graph_add_input(g, inp[1], &err), &err);
    add_op(g, "Pad", 11, inp, 2, NULL, 0);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "'pads'"));

    /* Cropping below zero is a model error. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){2, {3, 4}});
    int64_t crop[4] = {-2, 0, -2, 0};
    lo_attr ac[1] = {ints_attr("pads", crop, 4)};
    add_op(g, "Pad", 2, &x, 1, ac, 1);
    CHECK(plan(g, &s, &y) == LO_ERR_MODEL && strstr(err.message, "crops"));
}

static void test_concat_transpose(void)
{
    lo_schedule s;
    lo_shape y;

    /* Run-time inputs (and a constant) along a negative axis: one step. */
    lo_graph *g = new_graph();
    float c[6] = {0};
    int in[3] = {add_input(g, "a", (lo_shape){3, {2, 3, 1}}),
                 add_const(g, "c", LO_DTYPE_FLOAT, (lo_shape){3, {2, 3, 1}}, c, sizeof c),
                 add_input(g, "b", (lo_shape){3, {2, 3, 4}})};
    lo_attr axis[1] = {int_attr("axis", -1)};
    add_op(g, "Concat", 13, in, 3, axis, 1);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){2, 3, 6}));
    if (s.num_steps == 1) {
        CHECK(s.steps[0].kind == LO_STEP_CONCAT && s.steps[0].params.concat.axis == 2);
        CHECK(s.steps[0].num_inputs == 3 && s.steps[0].inputs[1].buffer == LO_BUFFER_CONSTANT);
    }
    lo_schedule_free(&s);

    /* More run-time inputs than a step holds: rejected, saying how many. */
    g = new_graph();
    int many[LO_STEP_MAX_INPUTS + 1];
    for (int i = 0; i <= LO_STEP_MAX_INPUTS; i++) {
        char name[8] = {'x', (char)('0' + i), 0};
        many[i] = add_input(g, name, (lo_shape){2, {1, 2}});
    }
    lo_attr axis0[1] = {int_attr("axis", 0)};
    add_op(g, "Concat", 11, many, LO_STEP_MAX_INPUTS + 1, axis0, 1);
    CHECK(plan(g, &s, &y) == LO_ERR_UNSUPPORTED && strstr(err.message, "9 inputs"));

    /* Transpose: the default reverses the dims; a perm of rank 6. */
    g = new_graph();
    int x = add_input(g, "x", (lo_shape){3, {2, 3, 4}});
    add_op(g, "Transpose", 13, &x, 1, NULL, 0);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 3, (int64_t[]){4, 3, 2}));
    if (s.num_steps == 1) {
        const int *perm = s.steps[0].params.transpose.perm;
        CHECK(s.steps[0].kind == LO_STEP_TRANSPOSE && perm[0] == 2 && perm[1] == 1 && perm[2] == 0);
    }
    lo_schedule_free(&s);
    g = new_graph();
    x = add_input(g, "x", (lo_shape){6, {1, 2, 3, 4, 5, 6}});
    int64_t perm6[6] = {5, 0, 4, 1, 3, 2};
    lo_attr ap[1] = {ints_attr("perm", perm6, 6)};
    add_op(g, "Transpose", 1, &x, 1, ap, 1);
    CHECK_OK(plan(g, &s, &y), &err);
    CHECK(shape_is(&y, 6, (int64_t[]){6, 1, 5, 2, 4, 3}));
    lo_schedule_free(&s);
    /* On a constant (an exporter's shape arithmetic, any dtype) Transpose folds. */
    g = new_graph();
    const int64_t cdata[6] = {1, 2, 3, 4, 5, 6};
    int ct = add_const(g, "c", LO_DTYPE_INT64, (lo_shape){2, {2, 3}}, cdata, sizeof cdata);
    add_op(g, "Transpose", 13, &ct, 1, NULL, 0);
    CHECK_OK(lo_run_passes(g, 0, &err), &err);
    const lo_tensor *yt = &g->tensors[lo_graph_find_tensor(g, "y")];
    CHECK(yt->role == LO_TENSOR_CONSTANT && shape_is(&yt->shape, 2, (int64_t[]){3, 2}));
    if (yt->data_bytes == sizeof cdata) {
        int64_t v[6];
        memcpy(v, yt->data, sizeof v);
        CHECK(v[0] == 1 && v[1] == 4 && v[2] == 2 && v[3] == 5 && v[4] == 3 && v[5] == 6);
    }
    lo_graph_free(g);

    g = new_graph();
    x = add_input(g, "x", (lo_shape){3, {2, 3, 4}});
    int64_t bad[3] = {0, 0, 1};
    lo_attr ab[1] = {ints_attr("perm", bad, 3)};
    add_op(g, "Transpose", 21, &x, 1, ab, 1);
    CHECK(plan(g, &s, &y) == LO_ERR_MODEL && strstr(err.message, "permutation"));
}

/* Squeeze and Unsqueeze: axes attribute before 13, negative axes only from 11. */
static void test_squeeze_versions(void)
{
    lo_schedule s;
    lo_shape y;
    int64_t neg[1] = {-1};
    const char *ops[2] = {"Squeeze", "Unsqueeze"};
    for (int i = 0; i < 2; i++) {
        lo_graph *g = new_graph();
        int x = add_input(g, "x", (lo_shape){2, {3, 1}});
        lo_attr a[1] = {ints_attr("axes", neg, 1)};
        add_op(g, ops[i], 1, &x, 1, a, 1);
        CHECK(plan(g, &s, &y) == LO_ERR_MODEL && strstr(err.message, "opset 11"));
        g = new_graph();
        x = add_input(g, "x", (lo_shape){2, {3, 1}});
        add_op(g, ops[i], 11, &x, 1, a, 1);
        CHECK_OK(plan(g, &s, &y), &err);
        CHECK(i == 0 ? shape_is(&y, 1, (int64_t[]){3}) : shape_is(&y, 3, (int64_t[]){3, 1, 1}));
        lo_schedule_free(&s);
    }
}

/* Element-wise steps write over an input that dies at them (ggml-alloc's rule); an input still
 * read later, or one the host reads back as a graph output, is never written over. */
static void test_in_place(void)
{
    lo_schedule s;
    lo_graph *g = new_graph();
    int x = add_input(g, "x", (lo_shape){2, {4, 64}});
    int a = add_tensor(g, "a", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int b = add_tensor(g, "b", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    int index = -1;
    CHECK_OK(lo_graph_add_node(g, "sig", "Sigmoid", "", 13, &x, 1, &a, 1, NULL, 0, &index, &err),
             &err);
    g->tensors[a].producer = index;
    CHECK_OK(lo_graph_add_node(g, "tanh", "Tanh", "", 13, &a, 1, &b, 1, NULL, 0, &index, &err),
             &err);
    g->tensors[b].producer = index;
    int ab[2] = {a, b};
    add_op(g, "Add", 14, ab, 2, NULL, 0); /* y = a + b: a is read again, so tanh cannot reuse it */
    CHECK_OK(plan(g, &s, NULL), &err);
    CHECK_MSG(s.num_steps == 3, "%d steps", s.num_steps);
    if (s.num_steps == 3) {
        /* Sigmoid over the dying graph input; Tanh into a fresh buffer; Add over b. */
        CHECK(s.steps[0].output.offset == s.steps[0].inputs[0].offset);
        CHECK(s.steps[1].output.offset != s.steps[1].inputs[0].offset);
        CHECK(s.steps[2].output.offset == s.steps[2].inputs[0].offset ||
              s.steps[2].output.offset == s.steps[2].inputs[1].offset);
        CHECK_MSG(s.arena_bytes == 2 * 1024 && s.naive_arena_bytes == 4 * 1024,
                  "arena %zu, naive %zu", s.arena_bytes, s.naive_arena_bytes);
        CHECK(s.peak_live_bytes == s.arena_bytes);
    }
    lo_schedule_free(&s);

    /* A Relu whose input is also a graph output keeps it intact. */
    g = new_graph();
    x = add_input(g, "x", (lo_shape){1, {32}});
    a = add_tensor(g, "a", LO_DTYPE_FLOAT, (lo_shape){0}, LO_TENSOR_ACTIVATION);
    CHECK_OK(lo_graph_add_node(g, "sig", "Sigmoid", "", 13, &x, 1, &a, 1, NULL, 0, &index, &err),
             &err);
    g->tensors[a].producer = index;
    CHECK_OK(lo_graph_add_output(g, a, &err), &err);
    g->tensors[a].is_graph_output = true;
    add_op(g, "Relu", 14, &a, 1, NULL, 0);
    CHECK_OK(plan(g, &s, NULL), &err);
    if (s.num_steps == 2) CHECK(s.steps[1].output.offset != s.steps[1].inputs[0].offset);
    lo_schedule_free(&s);
}

int main(void)
{
    test_squeeze_versions();
    test_in_place();
    test_pools();
    test_pad();
    test_concat_transpose();
    return lo_test_exit_code();
}
