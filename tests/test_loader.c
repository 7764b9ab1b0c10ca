/* The IR and the ONNX loader: real values from real models, every broken fixture failing
 * with the right status and words, deep clones, and no crash on any bytes. Run from the
 * source directory (ctest does). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ir.h"
#include "onnx_loader.h"
#include "test_util.h"

#define FIXTURES "tests/fixtures/models/"
#define TESTDATA "/usr/share/libonnx-testdata/data"

static const char *base_dir(void)
{
    const char *dir = getenv("LENET_ONNX_SOURCE_DIR");
    return dir && *dir ? dir : ".";
}

static void fixture_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s%s", base_dir(), FIXTURES, name);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static unsigned char *read_all(const char *path, size_t *size)
{
    unsigned char *data = NULL;
    FILE *f = fopen(path, "rb");
    *size = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            data = malloc((size_t)len + 1);
            if (data && fread(data, 1, (size_t)len, f) == (size_t)len) *size = (size_t)len;
        }
    }
    fclose(f);
    return data;
}

static lo_graph *load_fixture(const char *name)
{
    char path[1024];
    lo_graph *graph = NULL;
    lo_error err = {0};
    fixture_path(path, sizeof path, name);
    CHECK_OK(lo_onnx_load_file(path, &graph, &err), &err);
    return graph;
}

static int tensor_named(const lo_graph *graph, const char *name)
{
    int t = lo_graph_find_tensor(graph, name);
    CHECK_MSG(t >= 0, "no tensor '%s'", name);
    return t;
}

static int node_named(const lo_graph *graph, const char *name)
{
    for (int n = 0; n < graph->num_nodes; n++)
        if (strcmp(graph->nodes[n].name, name) == 0) return n;
    CHECK_MSG(0, "no node '%s'", name);
    return -1;
}

static bool shape_is(const lo_shape *shape, int rank, const int64_t *dims)
{
    if (shape->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (shape->dims[i] != dims[i]) return false;
    return true;
}

static bool same_string(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Deep equality of two graphs, the source name aside. */
static bool graphs_equal(const lo_graph *a, const lo_graph *b)
{
    if (!same_string(a->name, b->name) || a->ir_version != b->ir_version || a->opset != b->opset ||
        a->num_tensors != b->num_tensors || a->num_nodes != b->num_nodes ||
        a->num_inputs != b->num_inputs || a->num_outputs != b->num_outputs)
        return false;
    for (int i = 0; i < a->num_inputs; i++)
        if (a->inputs[i] != b->inputs[i]) return false;
    for (int i = 0; i < a->num_outputs; i++)
        if (a->outputs[i] != b->outputs[i]) return false;
    for (int t = 0; t < a->num_tensors; t++) {
        const lo_tensor *x = &a->tensors[t], *y = &b->tensors[t];
        if (!same_string(x->name, y->name) || x->dtype != y->dtype ||
            !lo_shape_equal(&x->shape, &y->shape) || x->role != y->role ||
            x->is_graph_output != y->is_graph_output || x->producer != y->producer ||
            x->view_of != y->view_of || x->data_bytes != y->data_bytes ||
            (x->data == NULL) != (y->data == NULL))
            return false;
        if (x->data_bytes && memcmp(x->data, y->data, x->data_bytes) != 0) return false;
        for (int d = 0; d < LO_MAX_RANK; d++)
            if (!same_string(x->dim_params[d], y->dim_params[d])) return false;
    }
    for (int n = 0; n < a->num_nodes; n++) {
        const lo_node *x = &a->nodes[n], *y = &b->nodes[n];
        if (!same_string(x->name, y->name) || !same_string(x->op_type, y->op_type) ||
            !same_string(x->domain, y->domain) || x->opset != y->opset ||
            x->num_inputs != y->num_inputs || x->num_outputs != y->num_outputs ||
            x->num_attrs != y->num_attrs || x->removed != y->removed)
            return false;
        for (int i = 0; i < x->num_inputs; i++)
            if (x->inputs[i] != y->inputs[i]) return false;
        for (int i = 0; i < x->num_outputs; i++)
            if (x->outputs[i] != y->outputs[i]) return false;
        for (int i = 0; i < x->num_attrs; i++) {
            const lo_attr *p = &x->attrs[i], *q = &y->attrs[i];
            if (!same_string(p->name, q->name) || p->type != q->type || p->f != q->f ||
                p->i != q->i || !same_string(p->s, q->s) || p->count != q->count ||
                p->tensor != q->tensor)
                return false;
            for (size_t k = 0; k < p->count; k++) {
                if (p->type == LO_ATTR_INTS && p->ints[k] != q->ints[k]) return false;
                if (p->type == LO_ATTR_FLOATS && p->floats[k] != q->floats[k]) return false;
                if (p->type == LO_ATTR_STRINGS && !same_string(p->strings[k], q->strings[k]))
                    return false;
            }
        }
    }
    return true;
}

/* What the loader promises of any graph it returns. */
static void check_invariants(const lo_graph *graph, const char *what)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        CHECK_MSG(node->name && *node->name, "%s: node %d has no name", what, n);
        for (int m = 0; m < n; m++)
            CHECK_MSG(strcmp(graph->nodes[m].name, node->name) != 0, "%s: two nodes are named '%s'",
                      what, node->name);
        for (int i = 0; i < node->num_inputs; i++) {
            int t = node->inputs[i];
            if (t < 0) continue;
            CHECK_MSG(graph->tensors[t].producer < n, "%s: node '%s' reads '%s' before it is made",
                      what, node->name, graph->tensors[t].name);
        }
        for (int i = 0; i < node->num_outputs; i++) {
            int t = node->outputs[i];
            if (t < 0) continue;
            CHECK_MSG(graph->tensors[t].producer == n, "%s: '%s' has the wrong producer", what,
                      graph->tensors[t].name);
        }
    }
    for (int i = 0; i < graph->num_inputs; i++)
        CHECK_MSG(graph->tensors[graph->inputs[i]].role == LO_TENSOR_GRAPH_INPUT, "%s", what);
    for (int i = 0; i < graph->num_outputs; i++)
        CHECK_MSG(graph->tensors[graph->outputs[i]].is_graph_output, "%s", what);
    for (int t = 0; t < graph->num_tensors; t++) {
        const lo_tensor *tensor = &graph->tensors[t];
        if (tensor->role != LO_TENSOR_CONSTANT) continue;
        int64_t numel = lo_shape_numel(&tensor->shape);
        CHECK_MSG(numel >= 0 && (size_t)numel * lo_dtype_size(tensor->dtype) == tensor->data_bytes,
                  "%s: constant '%s' holds %zu bytes", what, tensor->name, tensor->data_bytes);
    }
}

/* ---- the IR on its own ---- */

static void test_ir_basics(void)
{
    lo_error err = {0};
    CHECK(lo_dtype_size(LO_DTYPE_FLOAT) == 4);
    CHECK(lo_dtype_size(LO_DTYPE_FLOAT16) == 2);
    CHECK(lo_dtype_size(LO_DTYPE_INT64) == 8);
    CHECK(lo_dtype_size(LO_DTYPE_BOOL) == 1);
    CHECK(lo_dtype_size(LO_DTYPE_STRING) == 0);
    CHECK(lo_dtype_size((lo_dtype)14) == 0);
    CHECK(strcmp(lo_dtype_name(LO_DTYPE_FLOAT), "float32") == 0);
    CHECK(strcmp(lo_dtype_name((lo_dtype)99), "unknown") == 0);

    lo_shape s = {4, {1, 3, 32, 32}};
    char buf[64];
    CHECK(lo_shape_numel(&s) == 3072);
    CHECK(strcmp(lo_shape_format(&s, buf, sizeof buf), "[1,3,32,32]") == 0);
    CHECK(strcmp(lo_shape_format(&s, buf, 5), "[1,3") == 0);
    CHECK(lo_shape_is_static(&s));
    lo_shape scalar = {0, {0}};
    CHECK(lo_shape_numel(&scalar) == 1);
    CHECK(strcmp(lo_shape_format(&scalar, buf, sizeof buf), "[]") == 0);
    lo_shape dynamic = {2, {-1, 10}};
    CHECK(lo_shape_numel(&dynamic) == -1);
    CHECK(!lo_shape_is_static(&dynamic));
    CHECK(strcmp(lo_shape_format(&dynamic, buf, sizeof buf), "[-1,10]") == 0);
    lo_shape huge = {3, {INT64_C(1) << 40, INT64_C(1) << 40, 2}};
    CHECK(lo_shape_numel(&huge) == -1); /* overflow is never silent */
    lo_shape huge_empty = {3, {INT64_C(1) << 40, INT64_C(1) << 40, 0}};
    CHECK(lo_shape_numel(&huge_empty) == 0);
    lo_shape max = {2, {INT64_MAX, 1}};
    CHECK(lo_shape_numel(&max) == INT64_MAX);
    CHECK(lo_shape_equal(&s, &s) && !lo_shape_equal(&s, &dynamic));

    lo_graph *graph = NULL;
    CHECK_OK(lo_graph_create("unit.onnx", &graph, &err), &err);
    if (!graph) return;
    int x = -1, y = -1, anon1 = -1, anon2 = -1;
    lo_shape v4 = {1, {4}};
    CHECK_OK(lo_graph_add_tensor(graph, "x", LO_DTYPE_FLOAT, &v4, LO_TENSOR_GRAPH_INPUT, &x, &err),
             &err);
    CHECK(lo_graph_add_tensor(graph, "x", LO_DTYPE_FLOAT, &v4, LO_TENSOR_ACTIVATION, NULL, &err) ==
          LO_ERR_MODEL);
    CHECK(strstr(err.message, "unit.onnx: tensor 'x'") != NULL);
    CHECK_OK(
        lo_graph_add_tensor(graph, NULL, LO_DTYPE_FLOAT, &v4, LO_TENSOR_CONSTANT, &anon1, &err),
        &err);
    CHECK_OK(
        lo_graph_add_tensor(graph, NULL, LO_DTYPE_FLOAT, &v4, LO_TENSOR_CONSTANT, &anon2, &err),
        &err);
    CHECK(anon1 >= 0 && anon2 >= 0 && strcmp(graph->tensors[anon1].name, "") != 0 &&
          strcmp(graph->tensors[anon1].name, graph->tensors[anon2].name) != 0);
    float values[4] = {1, 2, 3, 4};
    CHECK(lo_tensor_set_data(graph, anon1, values, 12, &err) == LO_ERR_ARGUMENT);
    CHECK_OK(lo_tensor_set_data(graph, anon1, values, sizeof values, &err), &err);
    values[0] = 99; /* the graph holds its own copy */
    CHECK(((const float *)graph->tensors[anon1].data)[0] == 1.0f);
    CHECK(graph->tensors[anon1].role == LO_TENSOR_CONSTANT);

    CHECK_OK(lo_graph_add_tensor(graph, "y", LO_DTYPE_FLOAT, &v4, LO_TENSOR_ACTIVATION, &y, &err),
             &err);
    int64_t axes[2] = {0, 1};
    char mode[] = "constant";
    lo_attr attrs[2] = {
        {.name = "axes", .type = LO_ATTR_INTS, .ints = axes, .count = 2},
        {.name = "mode", .type = LO_ATTR_STRING, .s = mode},
    };
    int ins[2] = {x, anon1}, outs[1] = {y}, node = -1;
    CHECK_OK(
        lo_graph_add_node(graph, NULL, "Add", NULL, 13, ins, 2, outs, 1, attrs, 2, &node, &err),
        &err);
    axes[0] = 7; /* deep copies: the caller's arrays may change afterwards */
    mode[0] = 'X';
    if (node >= 0) {
        const lo_node *n = &graph->nodes[node];
        CHECK(strcmp(n->name, "Add_0") == 0);
        CHECK(strcmp(n->domain, "") == 0 && n->opset == 13);
        CHECK(graph->tensors[y].producer == node);
        int64_t got[4];
        size_t count = 0;
        CHECK_OK(lo_attr_get_ints(graph, n, "axes", got, 4, &count, &err), &err);
        CHECK(count == 2 && got[0] == 0 && got[1] == 1);
        CHECK(lo_attr_get_ints(graph, n, "axes", got, 1, &count, &err) == LO_ERR_UNSUPPORTED);
        CHECK(lo_attr_get_ints(graph, n, "absent", got, 4, &count, &err) == LO_OK && count == 0);
        const char *str = NULL;
        CHECK_OK(lo_attr_get_string(graph, n, "mode", NULL, &str, &err), &err);
        CHECK(str && strcmp(str, "constant") == 0);
        CHECK_OK(lo_attr_get_string(graph, n, "absent", "dflt", &str, &err), &err);
        CHECK(str && strcmp(str, "dflt") == 0);
        int64_t i = 0;
        CHECK(lo_attr_get_int(graph, n, "mode", 5, &i, &err) == LO_ERR_MODEL);
        CHECK(strcmp(err.message, "unit.onnx: node 'Add_0' (Add): attribute 'mode' must be an "
                                  "int, not a string") == 0);
        CHECK_OK(lo_attr_get_int(graph, n, "absent", 5, &i, &err), &err);
        CHECK(i == 5);
        float f = 0;
        CHECK(lo_attr_get_float(graph, n, "axes", 1.0f, &f, &err) == LO_ERR_MODEL);
        CHECK(strstr(err.message, "attribute 'axes'") != NULL);
        CHECK(lo_node_fail(graph, n, LO_ERR_UNSUPPORTED, &err, "x=%d", 3) == LO_ERR_UNSUPPORTED);
        CHECK(err.status == LO_ERR_UNSUPPORTED);
        CHECK(strcmp(err.message, "unit.onnx: node 'Add_0' (Add): x=3") == 0);
    }
    int bad[1] = {1000};
    CHECK(lo_graph_add_node(graph, "bad", "Relu", "", 13, bad, 1, outs, 1, NULL, 0, NULL, &err) ==
          LO_ERR_ARGUMENT);
    CHECK_OK(lo_graph_add_input(graph, x, &err), &err);
    CHECK_OK(lo_graph_add_output(graph, y, &err), &err);
    CHECK(lo_graph_use_count(graph, x) == 1);
    CHECK(lo_graph_use_count(graph, y) == 1); /* no readers, but a graph output */
    CHECK(lo_graph_use_count(graph, anon2) == 0);

    /* Growth moves the arrays, never the indices. */
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "grow_%d", i);
        int index = -1;
        CHECK_OK(lo_graph_add_tensor(graph, name, LO_DTYPE_INT64, &v4, LO_TENSOR_ACTIVATION, &index,
                                     &err),
                 &err);
        if (i % 100 == 0) CHECK(lo_graph_find_tensor(graph, name) == index);
    }
    CHECK(lo_graph_find_tensor(graph, "x") == x && lo_graph_find_tensor(graph, "y") == y);
    CHECK(lo_graph_find_tensor(graph, "nope") == -1);

    lo_graph *copy = NULL;
    CHECK_OK(lo_graph_clone(graph, &copy, &err), &err);
    CHECK(copy && graphs_equal(graph, copy));
    lo_graph_free(graph);
    if (copy) {
        CHECK(strcmp(copy->source, "unit.onnx") == 0);
        CHECK(((const float *)copy->tensors[anon1].data)[3] == 4.0f);
    }
    lo_graph_free(copy);
    lo_graph_free(NULL);
}

/* ---- models that load ---- */

static void test_conv_reference(void)
{
    const char *path = TESTDATA "/node/test_conv_with_strides_padding/model.onnx";
    if (!file_exists(path)) {
        printf("skip: %s is missing (Debian package libonnx-testdata)\n", path);
        return;
    }
    lo_graph *graph = NULL;
    lo_error err = {0};
    CHECK_OK(lo_onnx_load_file(path, &graph, &err), &err);
    if (!graph) return;
    CHECK(strcmp(graph->source, path) == 0);
    CHECK(strcmp(graph->name, "test_conv_with_strides_padding") == 0);
    CHECK(graph->ir_version == 6);
    CHECK(graph->opset == 11);
    CHECK(graph->num_inputs == 2 && graph->num_outputs == 1 && graph->num_nodes == 1);
    if (graph->num_inputs == 2 && graph->num_outputs == 1 && graph->num_nodes == 1) {
        const lo_tensor *x = &graph->tensors[graph->inputs[0]];
        const lo_tensor *w = &graph->tensors[graph->inputs[1]];
        const lo_tensor *y = &graph->tensors[graph->outputs[0]];
        CHECK(strcmp(x->name, "x") == 0 && strcmp(w->name, "W") == 0);
        CHECK(strcmp(y->name, "y") == 0);
        CHECK(x->dtype == LO_DTYPE_FLOAT && y->dtype == LO_DTYPE_FLOAT);
        CHECK(shape_is(&x->shape, 4, (const int64_t[]){1, 1, 7, 5}));
        CHECK(shape_is(&w->shape, 4, (const int64_t[]){1, 1, 3, 3}));
        CHECK(shape_is(&y->shape, 4, (const int64_t[]){1, 1, 4, 3}));
        CHECK(x->role == LO_TENSOR_GRAPH_INPUT && x->producer == -1 && !x->data);
        CHECK(x->dim_params[0] == NULL);
        CHECK(y->is_graph_output && y->producer == 0);

        const lo_node *node = &graph->nodes[0];
        CHECK(strcmp(node->op_type, "Conv") == 0);
        CHECK(strcmp(node->name, "Conv_0") == 0); /* unnamed in the model */
        CHECK(strcmp(node->domain, "") == 0 && node->opset == 11);
        CHECK(node->num_inputs == 2 && node->inputs[0] == graph->inputs[0] &&
              node->inputs[1] == graph->inputs[1]);
        CHECK(node->num_outputs == 1 && node->outputs[0] == graph->outputs[0]);
        CHECK(node->num_attrs == 3);
        int64_t v[8];
        size_t count = 0;
        CHECK_OK(lo_attr_get_ints(graph, node, "kernel_shape", v, 8, &count, &err), &err);
        CHECK(count == 2 && v[0] == 3 && v[1] == 3);
        CHECK_OK(lo_attr_get_ints(graph, node, "pads", v, 8, &count, &err), &err);
        CHECK(count == 4 && v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 1);
        CHECK_OK(lo_attr_get_ints(graph, node, "strides", v, 8, &count, &err), &err);
        CHECK(count == 2 && v[0] == 2 && v[1] == 2);
        int64_t group = 0;
        CHECK_OK(lo_attr_get_int(graph, node, "group", 1, &group, &err), &err);
        CHECK(group == 1);
        CHECK(lo_attr_get_int(graph, node, "kernel_shape", 1, &group, &err) == LO_ERR_MODEL);
        CHECK(strstr(err.message, path) == err.message);
        CHECK(strstr(err.message, "node 'Conv_0' (Conv): attribute 'kernel_shape'") != NULL);
        CHECK(lo_attr_get_ints(graph, node, "pads", v, 2, &count, &err) == LO_ERR_UNSUPPORTED);
        CHECK(strstr(err.message, "attribute 'pads'") != NULL);
        CHECK(lo_graph_use_count(graph, graph->inputs[0]) == 1);
        CHECK(lo_graph_use_count(graph, graph->outputs[0]) == 1);
    }
    check_invariants(graph, path);
    lo_graph_free(graph);
}

static void check_conv_weights(const lo_graph *graph)
{
    int w = tensor_named(graph, "w"), b = tensor_named(graph, "b");
    if (w < 0 || b < 0) return;
    const lo_tensor *tw = &graph->tensors[w], *tb = &graph->tensors[b];
    CHECK(tw->role == LO_TENSOR_CONSTANT && tb->role == LO_TENSOR_CONSTANT);
    CHECK(tw->dtype == LO_DTYPE_FLOAT && tb->dtype == LO_DTYPE_FLOAT);
    CHECK(shape_is(&tw->shape, 4, (const int64_t[]){3, 2, 3, 3}));
    CHECK(shape_is(&tb->shape, 1, (const int64_t[]){3}));
    CHECK(tw->data_bytes == 54 * sizeof(float) && tb->data_bytes == 3 * sizeof(float));
    if (tw->data_bytes == 54 * sizeof(float)) {
        const float *v = tw->data;
        int wrong = 0;
        for (int i = 0; i < 54; i++)
            wrong += v[i] != (float)((i % 7) - 3) * 0.25f;
        CHECK_MSG(wrong == 0, "%d weights differ", wrong);
    }
    if (tb->data_bytes == 3 * sizeof(float)) {
        const float *v = tb->data;
        CHECK(v[0] == 0.5f && v[1] == -1.0f && v[2] == 2.0f);
    }
    CHECK(graph->num_inputs == 1);
    if (graph->num_inputs == 1) {
        const lo_tensor *in = &graph->tensors[graph->inputs[0]];
        CHECK(strcmp(in->name, "input") == 0);
        CHECK(shape_is(&in->shape, 4, (const int64_t[]){1, 2, 4, 4}));
    }
}

static void test_raw_vs_typed(void)
{
    lo_graph *raw = load_fixture("tiny_conv_raw.onnx");
    lo_graph *typed = load_fixture("tiny_conv_typed.onnx");
    if (raw && typed) {
        check_conv_weights(raw);
        check_conv_weights(typed);
        CHECK(graphs_equal(raw, typed)); /* byte-identical data included */
        check_invariants(raw, "tiny_conv_raw");
        int64_t v[4];
        size_t count = 0;
        lo_error err = {0};
        int conv = node_named(raw, "conv");
        if (conv >= 0) {
            CHECK_OK(lo_attr_get_ints(raw, &raw->nodes[conv], "pads", v, 4, &count, &err), &err);
            CHECK(count == 4 && v[0] == 1 && v[3] == 1);
        }
    }
    lo_graph_free(raw);
    lo_graph_free(typed);

    raw = load_fixture("dtypes_raw.onnx");
    typed = load_fixture("dtypes_typed.onnx");
    if (raw && typed) {
        CHECK(graphs_equal(raw, typed));
        CHECK(raw->num_nodes == 0 && raw->num_inputs == 0 && raw->num_outputs == 14);
        check_invariants(raw, "dtypes_raw");
        const lo_graph *g = typed;
#define DATA(name, type) ((const type *)g->tensors[tensor_named(g, name)].data)
#define DTYPE(name)      (g->tensors[tensor_named(g, name)].dtype)
        CHECK(DTYPE("f32") == LO_DTYPE_FLOAT && DATA("f32", float)[2] == 3.0e10f);
        CHECK(DATA("f32", float)[1] == -2.25f);
        CHECK(DTYPE("f64") == LO_DTYPE_DOUBLE && DATA("f64", double)[0] == 0.1);
        CHECK(DATA("f64", double)[1] == -1.0e300);
        CHECK(DTYPE("i64") == LO_DTYPE_INT64 && DATA("i64", int64_t)[0] == -(INT64_C(1) << 40));
        CHECK(DATA("i32", int32_t)[0] == INT32_MIN && DATA("i32", int32_t)[1] == INT32_MAX);
        CHECK(DTYPE("i16") == LO_DTYPE_INT16 && DATA("i16", int16_t)[0] == -32768);
        CHECK(DATA("i16", int16_t)[1] == 1234);
        CHECK(DTYPE("i8") == LO_DTYPE_INT8 && DATA("i8", int8_t)[0] == -128);
        CHECK(DATA("i8", int8_t)[1] == 127 && DATA("i8", int8_t)[2] == -1);
        CHECK(DTYPE("u16") == LO_DTYPE_UINT16 && DATA("u16", uint16_t)[0] == 65535);
        CHECK(DATA("u8", uint8_t)[0] == 255 && DATA("u8", uint8_t)[2] == 17);
        CHECK(DTYPE("bool") == LO_DTYPE_BOOL && DATA("bool", uint8_t)[0] == 1);
        CHECK(DATA("bool", uint8_t)[1] == 0 && DATA("bool", uint8_t)[2] == 1);
        CHECK(DTYPE("f16") == LO_DTYPE_FLOAT16 && DATA("f16", uint16_t)[0] == 0x3C00);
        CHECK(DATA("f16", uint16_t)[1] == 0xC000 && DATA("f16", uint16_t)[2] == 0x3800);
        CHECK(DTYPE("u32") == LO_DTYPE_UINT32 && DATA("u32", uint32_t)[0] == 4000000000u);
        CHECK(DTYPE("u64") == LO_DTYPE_UINT64 &&
              DATA("u64", uint64_t)[0] == (UINT64_C(1) << 63) + 5);
        const lo_tensor *scalar = &g->tensors[tensor_named(g, "scalar")];
        CHECK(scalar->shape.rank == 0 && scalar->data_bytes == 8);
        CHECK(DATA("scalar", int64_t)[0] == 42);
        const lo_tensor *empty = &g->tensors[tensor_named(g, "empty")];
        CHECK(shape_is(&empty->shape, 2, (const int64_t[]){0, 3}) && empty->data_bytes == 0);
        CHECK(empty->is_graph_output);
#undef DATA
#undef DTYPE
    }
    lo_graph_free(raw);
    lo_graph_free(typed);
}

static void test_legacy_inputs(void)
{
    lo_graph *graph = load_fixture("legacy_inputs.onnx");
    if (!graph) return;
    CHECK(graph->ir_version == 3 && graph->opset == 8);
    CHECK(graph->num_inputs == 1); /* w and b are initializers: constants, not inputs */
    if (graph->num_inputs == 1) CHECK(strcmp(graph->tensors[graph->inputs[0]].name, "input") == 0);
    int w = tensor_named(graph, "w");
    if (w >= 0) CHECK(graph->tensors[w].role == LO_TENSOR_CONSTANT && graph->tensors[w].data);
    check_conv_weights(graph);
    check_invariants(graph, "legacy_inputs");
    lo_graph_free(graph);
}

static void test_unsorted(void)
{
    lo_graph *graph = load_fixture("unsorted.onnx");
    if (!graph) return;
    CHECK(graph->num_nodes == 3);
    if (graph->num_nodes == 3) {
        CHECK(strcmp(graph->nodes[0].name, "node_a") == 0);
        CHECK(strcmp(graph->nodes[1].name, "node_b") == 0);
        CHECK(strcmp(graph->nodes[2].name, "node_c") == 0);
        CHECK(graph->tensors[tensor_named(graph, "y")].producer == 2);
    }
    check_invariants(graph, "unsorted");
    lo_graph_free(graph);
}

static void test_attrs(void)
{
    lo_graph *graph = load_fixture("attrs.onnx");
    lo_error err = {0};
    if (!graph) return;
    int c = node_named(graph, "const"), h = node_named(graph, "holder");
    if (c >= 0) {
        const lo_attr *value = lo_node_attr(&graph->nodes[c], "value");
        CHECK(value && value->type == LO_ATTR_TENSOR && value->tensor >= 0);
        if (value && value->tensor >= 0) {
            const lo_tensor *t = &graph->tensors[value->tensor];
            CHECK(strcmp(t->name, "const:value") == 0);
            CHECK(t->role == LO_TENSOR_CONSTANT && t->dtype == LO_DTYPE_INT64);
            CHECK(shape_is(&t->shape, 1, (const int64_t[]){2}) && t->data_bytes == 16);
            CHECK(((const int64_t *)t->data)[0] == 2 && ((const int64_t *)t->data)[1] == -1);
        }
    }
    if (h >= 0) {
        const lo_node *node = &graph->nodes[h];
        CHECK(strcmp(node->op_type, "AttrHolder") == 0 && node->opset == 13);
        float alpha = 0;
        CHECK_OK(lo_attr_get_float(graph, node, "alpha", 1.0f, &alpha, &err), &err);
        CHECK(alpha == 0.5f);
        int64_t count = 0;
        CHECK_OK(lo_attr_get_int(graph, node, "count", 0, &count, &err), &err);
        CHECK(count == -7);
        const char *mode = NULL;
        CHECK_OK(lo_attr_get_string(graph, node, "mode", NULL, &mode, &err), &err);
        CHECK(mode && strcmp(mode, "edge") == 0);
        const lo_attr *scales = lo_node_attr(node, "scales");
        CHECK(scales && scales->type == LO_ATTR_FLOATS && scales->count == 2 &&
              scales->floats[0] == 1.0f && scales->floats[1] == 2.5f);
        int64_t axes[3];
        size_t n = 0;
        CHECK_OK(lo_attr_get_ints(graph, node, "axes", axes, 3, &n, &err), &err);
        CHECK(n == 3 && axes[0] == 0 && axes[1] == -1 && axes[2] == 3);
        const lo_attr *names = lo_node_attr(node, "names");
        CHECK(names && names->type == LO_ATTR_STRINGS && names->count == 2 &&
              strcmp(names->strings[0], "a") == 0 && strcmp(names->strings[1], "bc") == 0);
        CHECK(lo_attr_get_float(graph, node, "count", 0.0f, &alpha, &err) == LO_ERR_MODEL);
        CHECK(strstr(err.message, "node 'holder' (AttrHolder): attribute 'count'") != NULL);
    }
    /* The unnamed node would be "Identity_2", which another node already has. */
    CHECK(node_named(graph, "Identity_2") >= 0);
    CHECK(node_named(graph, "Identity_2_1") >= 0);
    int x = tensor_named(graph, "x"), w = tensor_named(graph, "w");
    if (x >= 0) {
        const lo_tensor *t = &graph->tensors[x];
        CHECK(shape_is(&t->shape, 2, (const int64_t[]){-1, 4}));
        CHECK(t->dim_params[0] && strcmp(t->dim_params[0], "batch") == 0);
        CHECK(t->dim_params[1] == NULL);
    }
    if (w >= 0) {
        const lo_tensor *t = &graph->tensors[w];
        CHECK(t->is_graph_output && t->dtype == LO_DTYPE_FLOAT);
        CHECK(shape_is(&t->shape, 2, (const int64_t[]){-1, -1}));
        CHECK(t->dim_params[0] && strcmp(t->dim_params[0], "batch") == 0);
        CHECK(t->dim_params[1] == NULL);
    }
    check_invariants(graph, "attrs");
    lo_graph_free(graph);
}

static void test_unsupported_op_loads(void)
{
    /* Deciding which ops run is the op table's job: the loader takes any op. */
    lo_graph *graph = load_fixture("unsupported_op.onnx");
    if (!graph) return;
    int n = node_named(graph, "mystery_node");
    if (n >= 0) CHECK(strcmp(graph->nodes[n].op_type, "FancyUnsupportedOp") == 0);
    CHECK(graph->num_inputs == 1);
    if (graph->num_inputs == 1) {
        const lo_tensor *in = &graph->tensors[graph->inputs[0]];
        CHECK(strcmp(in->name, "input") == 0);
        CHECK(shape_is(&in->shape, 4, (const int64_t[]){1, 3, 32, 32}));
    }
    lo_graph_free(graph);
}

/* ---- models that must not load ---- */

static void expect_failure(const char *name, lo_status status, const char *words[])
{
    char path[1024];
    lo_graph *graph = (lo_graph *)&graph; /* must be reset to NULL */
    lo_error err = {0};
    fixture_path(path, sizeof path, name);
    lo_status got = lo_onnx_load_file(path, &graph, &err);
    CHECK_MSG(got == status, "%s: status %d, expected %d (%s)", name, (int)got, (int)status,
              err.message);
    CHECK_MSG(err.status == status, "%s: err.status %d", name, (int)err.status);
    CHECK_MSG(graph == NULL, "%s: a graph came back", name);
    CHECK_MSG(strncmp(err.message, path, strlen(path)) == 0,
              "%s: message '%s' does not start "
              "with the file name",
              name, err.message);
    for (int i = 0; words && words[i]; i++)
        CHECK_MSG(strstr(err.message, words[i]) != NULL, "%s: '%s' is not in '%s'", name, words[i],
                  err.message);
}

#define WORDS(...) ((const char *[]){__VA_ARGS__, NULL})

static void test_bad_fixtures(void)
{
    /* External data is read from the model's folder (test_model_data.c); this fixture's file
     * is missing there. */
    expect_failure("external_data.onnx", LO_ERR_IO,
                   WORDS("initializer 'w'", "external data file", "weights.bin", "No such file"));
    expect_failure("no_opset.onnx", LO_ERR_MODEL, WORDS("opset_import", "default"));
    expect_failure("undefined_input.onnx", LO_ERR_MODEL,
                   WORDS("node 'adder' (Add)", "input 'ghost'", "not defined"));
    expect_failure("truncated.onnx", LO_ERR_MODEL,
                   WORDS("not an ONNX model (protobuf decoding failed)"));
    expect_failure("random_bytes.onnx", LO_ERR_MODEL, NULL);
    expect_failure("empty.onnx", LO_ERR_MODEL, WORDS("empty file, not an ONNX model"));
    expect_failure("graph_attr.onnx", LO_ERR_UNSUPPORTED,
                   WORDS("node 'if_node' (If)", "_branch' is a graph", "graph"));
    expect_failure("cycle.onnx", LO_ERR_MODEL, WORDS("node 'loop_", "cycle"));
    expect_failure("dup_output.onnx", LO_ERR_MODEL,
                   WORDS("node 'second' (Neg)", "output 'y'", "node 'first'"));
    expect_failure("unknown_domain.onnx", LO_ERR_UNSUPPORTED,
                   WORDS("node 'custom_node' (Foo)", "domain 'com.example'"));
    expect_failure("no_shape_input.onnx", LO_ERR_UNSUPPORTED, WORDS("input 'x' has no shape"));
    expect_failure("bad_raw_size.onnx", LO_ERR_MODEL,
                   WORDS("initializer 'w'", "12 bytes of raw_data", "16"));
    expect_failure("bad_typed_count.onnx", LO_ERR_MODEL,
                   WORDS("initializer 'w'", "3 values in float_data", "needs 4"));
    expect_failure("bad_huge_dims.onnx", LO_ERR_MODEL,
                   WORDS("initializer 'w'", "too many elements"));
    /* Empty, yet dims whose product passes int64: strides multiply them (found by fuzzing). */
    expect_failure("bad_empty_huge_dims.onnx", LO_ERR_LIMIT,
                   WORDS("tensor 'w'", "is empty", "multiply past 64 bits"));
    expect_failure("bad_string.onnx", LO_ERR_UNSUPPORTED, WORDS("initializer 'w'", "string"));
    expect_failure("no_such_model.onnx", LO_ERR_IO,
                   WORDS("cannot open", "No such file or directory"));

    /* A directory is refused before any read. */
    char dir[1024];
    lo_graph *graph = NULL;
    lo_error err = {0};
    fixture_path(dir, sizeof dir, "");
    CHECK(lo_onnx_load_file(dir, &graph, &err) == LO_ERR_IO && graph == NULL);
    CHECK(strstr(err.message, "not a regular file") != NULL);
    CHECK(lo_onnx_load_file(NULL, &graph, &err) == LO_ERR_ARGUMENT);
    CHECK(lo_onnx_load_file(dir, NULL, NULL) == LO_ERR_ARGUMENT); /* err may be NULL */
}

/* ---- bytes, clones ---- */

static void test_bytes_equal_file(const char *name, bool is_fixture)
{
    char path[1024];
    if (is_fixture)
        fixture_path(path, sizeof path, name);
    else
        snprintf(path, sizeof path, "%s", name);
    if (!file_exists(path)) return;
    size_t size = 0;
    unsigned char *data = read_all(path, &size);
    CHECK_MSG(data && size > 0, "cannot read %s", path);
    lo_graph *from_file = NULL, *from_bytes = NULL, *clone = NULL, *again = NULL;
    lo_error err = {0};
    CHECK_OK(lo_onnx_load_file(path, &from_file, &err), &err);
    CHECK_OK(lo_onnx_load_bytes(data, size, NULL, &from_bytes, &err), &err);
    if (from_file && from_bytes) {
        CHECK(strcmp(from_bytes->source, "<memory>") == 0);
        CHECK_MSG(graphs_equal(from_file, from_bytes), "%s: bytes and file differ", path);
        /* A deep clone outlives its original. */
        CHECK_OK(lo_graph_clone(from_file, &clone, &err), &err);
        lo_graph_free(from_file);
        from_file = NULL;
        CHECK_OK(lo_onnx_load_bytes(data, size, path, &again, &err), &err);
        if (clone && again) {
            CHECK_MSG(graphs_equal(clone, again), "%s: the clone differs", path);
            CHECK(strcmp(clone->source, path) == 0);
            check_invariants(clone, path);
        }
    }
    lo_graph_free(from_file);
    lo_graph_free(from_bytes);
    lo_graph_free(clone);
    lo_graph_free(again);
    free(data);
}

static void test_bytes(void)
{
    test_bytes_equal_file("tiny_conv_raw.onnx", true);
    test_bytes_equal_file("attrs.onnx", true);
    test_bytes_equal_file("dtypes_typed.onnx", true);
    char lenet[1024];
    snprintf(lenet, sizeof lenet, "%s/models/lenet.onnx", base_dir());
    test_bytes_equal_file(lenet, false);

    lo_graph *graph = NULL;
    lo_error err = {0};
    CHECK(lo_onnx_load_bytes("", 0, "x.onnx", &graph, &err) == LO_ERR_MODEL && !graph);
    CHECK(strstr(err.message, "x.onnx: ") == err.message);
    CHECK(lo_onnx_load_bytes(NULL, 10, NULL, &graph, &err) == LO_ERR_ARGUMENT);
    const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff};
    CHECK(lo_onnx_load_bytes(junk, sizeof junk, NULL, &graph, &err) == LO_ERR_MODEL && !graph);
    CHECK(strcmp(err.message, "<memory>: not an ONNX model (protobuf decoding failed)") == 0);
    /* Valid protobuf, but nothing of a model: field 2 (producer_name) only. */
    const unsigned char bare[] = {0x12, 0x01, 'a'};
    CHECK(lo_onnx_load_bytes(bare, sizeof bare, NULL, &graph, &err) == LO_ERR_MODEL && !graph);
    CHECK(strstr(err.message, "ir_version") != NULL);
}

static void test_lenet(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/models/lenet.onnx", base_dir());
    if (!file_exists(path)) {
        printf("skip: %s is not there yet\n", path);
        return;
    }
    lo_graph *graph = NULL;
    lo_error err = {0};
    CHECK_OK(lo_onnx_load_file(path, &graph, &err), &err);
    if (!graph) return;
    CHECK(graph->opset == 13);
    CHECK(graph->num_inputs == 1 && graph->num_outputs == 1);
    if (graph->num_inputs == 1) {
        const lo_tensor *in = &graph->tensors[graph->inputs[0]];
        CHECK(in->dtype == LO_DTYPE_FLOAT);
        CHECK(shape_is(&in->shape, 4, (const int64_t[]){-1, 3, 32, 32}));
        CHECK(in->dim_params[0] != NULL && in->dim_params[1] == NULL);
    }
    if (graph->num_outputs == 1) {
        const lo_tensor *out = &graph->tensors[graph->outputs[0]];
        CHECK(out->shape.rank == 2 && out->shape.dims[0] == -1 && out->shape.dims[1] == 10);
    }
    for (int n = 0; n < graph->num_nodes; n++)
        CHECK(graph->nodes[n].opset == 13 && strcmp(graph->nodes[n].domain, "") == 0);
    check_invariants(graph, path);
    lo_graph_free(graph);
}

/* ---- robustness ---- */

/* Every prefix and many one-byte changes of a valid model: any status, never a crash (the
 * sanitizer build makes "never" strict). */
static void test_mutations(void)
{
    char path[1024];
    fixture_path(path, sizeof path, "attrs.onnx");
    size_t size = 0;
    unsigned char *data = read_all(path, &size);
    CHECK(data && size > 0);
    if (!data) return;
    unsigned char *copy = malloc(size);
    int loaded = 0, runs = 0;
    for (size_t len = 0; copy && len <= size; len++) {
        lo_graph *graph = NULL;
        lo_error err = {0};
        memcpy(copy, data, len);
        if (lo_onnx_load_bytes(copy, len, NULL, &graph, &err) == LO_OK)
            loaded++;
        else
            CHECK(graph == NULL && err.message[0] != '\0');
        lo_graph_free(graph);
        runs++;
    }
    static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    for (size_t pos = 0; copy && pos < size; pos++) {
        for (size_t v = 0; v < sizeof values; v++) {
            lo_graph *graph = NULL;
            lo_error err = {0};
            memcpy(copy, data, size);
            copy[pos] = values[v];
            if (lo_onnx_load_bytes(copy, size, NULL, &graph, &err) == LO_OK) {
                loaded++;
                check_invariants(graph, "mutated attrs.onnx");
            } else {
                CHECK(graph == NULL && err.message[0] != '\0');
            }
            lo_graph_free(graph);
            runs++;
        }
    }
    printf("mutations: %d runs, %d loaded\n", runs, loaded);
    free(copy);
    free(data);
}

static void scan_dir(const char *root, int *loaded, int *failed)
{
    DIR *dir = opendir(root);
    if (!dir) return;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s/model.onnx", root, entry->d_name);
        if (!file_exists(path)) continue;
        lo_graph *graph = NULL;
        lo_error err = {0};
        lo_status status = lo_onnx_load_file(path, &graph, &err);
        if (status == LO_OK) {
            (*loaded)++;
            check_invariants(graph, path);
            lo_graph *clone = NULL;
            CHECK_OK(lo_graph_clone(graph, &clone, &err), &err);
            CHECK_MSG(clone && graphs_equal(graph, clone), "%s: clone differs", path);
            lo_graph_free(clone);
        } else {
            (*failed)++;
            CHECK_MSG(status == LO_ERR_MODEL || status == LO_ERR_UNSUPPORTED, "%s: status %d: %s",
                      path, (int)status, err.message);
            CHECK_MSG(graph == NULL && strncmp(err.message, path, strlen(path)) == 0, "%s: %s",
                      path, err.message);
            if (getenv("LO_TEST_VERBOSE")) printf("  %s\n", err.message);
        }
        lo_graph_free(graph);
    }
    closedir(dir);
}

static void test_testdata_corpus(void)
{
    static const char *dirs[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char root[512];
        snprintf(root, sizeof root, "%s/%s", TESTDATA, dirs[i]);
        int loaded = 0, failed = 0;
        scan_dir(root, &loaded, &failed);
        printf("%s: %d models loaded, %d rejected\n", root, loaded, failed);
        if (i == 0 && loaded + failed > 0) CHECK(loaded > (loaded + failed) * 3 / 4);
    }
}

int main(void)
{
    test_ir_basics();
    test_conv_reference();
    test_raw_vs_typed();
    test_legacy_inputs();
    test_unsorted();
    test_attrs();
    test_unsupported_op_loads();
    test_bad_fixtures();
    test_bytes();
    test_lenet();
    test_mutations();
    test_testdata_corpus();
    return lo_test_exit_code();
}
