/* The ONNX Runtime plugin EP's graph intake under a fake ONNX Runtime (fake_ort_graph.c):
 * lo_ort_graph_build on the whole graph, then the EP's GetCapability (intake, op checks,
 * passes and trial plan of every run it claims, graph views, fusion, logging). Any graph and
 * any failing accessor must give a graph or a clean error: never a crash, a leak, undefined
 * behaviour, an OrtStatus left unreleased or a node fused twice.
 *
 * Built twice (tests/fuzz.cmake, tests/ort_ep_intake.cmake): as the libFuzzer target
 * fuzz_ort_ep in the clang fuzz tree, and with FAKE_ORT_STANDALONE as test_ort_ep_intake, whose
 * main writes the seed corpus (--write-seeds DIR), replays files given as arguments, and with
 * no argument runs the seeds (each also with every accessor failing in turn) and hostile
 * graphs, asserting their results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ort_graph.h"
#include "ort_ep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct intake_result {
    lo_status build;
    int num_nodes, num_inputs, num_outputs;
    lo_error err;
    const char *injected; /* the accessor failed on demand during the build, if one was */
    int capability_failed;
    size_t fused;
} intake_result;

/* Runs both faces of the intake on one fake graph, checking the contracts that hold for any
 * graph: a graph xor a message, every OrtStatus released. */
static intake_result run_intake(fake_model *m)
{
    const OrtApi *api = fake_ort_api();
    intake_result r;
    memset(&r, 0, sizeof r);
    lo_graph *graph = (lo_graph *)&r; /* must be overwritten */
    lo_error_clear(&r.err);
    r.build = lo_ort_graph_build(api, fake_model_graph(m), &graph, &r.err);
    r.injected = fake_model_injected(m);
    if (r.build == LO_OK) {
        CHECK(graph);
        r.num_nodes = graph->num_nodes;
        r.num_inputs = graph->num_inputs;
        r.num_outputs = graph->num_outputs;
        lo_graph_free(graph);
    } else {
        CHECK(!graph);
        CHECK(r.err.message[0]);
    }
    CHECK(fake_live_statuses() == 0);

    lo_ort_ep ep;
    memset(&ep, 0, sizeof ep);
    lo_ort_ep_init(&ep, api, fake_ort_ep_api(), fake_ort_logger(), NULL);
    OrtStatus *s = ep.base.GetCapability(&ep.base, fake_model_graph(m), fake_model_support(m));
    if (s) {
        CHECK(api->GetErrorMessage(s)[0]);
        api->ReleaseStatus(s);
        r.capability_failed = 1;
    }
    r.fused = fake_model_fused_nodes(m);
    CHECK(fake_live_statuses() == 0);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_model *m = fake_model_decode(data, size);
    if (m) run_intake(m);
    fake_model_free(m);
    return 0;
}

#ifdef FAKE_ORT_STANDALONE

/* ---- seeds, written in fake_model_decode's format ---- */

typedef struct bytes {
    uint8_t data[4096];
    size_t size;
} bytes;

static void put(bytes *b, unsigned v)
{
    CHECK(b->size < sizeof b->data);
    b->data[b->size++] = (uint8_t)v;
}

static void put_str(bytes *b, const char *s)
{
    put(b, (unsigned)strlen(s));
    while (*s)
        put(b, (unsigned char)*s++);
}

static void put_dim(bytes *b, int64_t d)
{
    if (d == -1) {
        put(b, 0xfe);
    } else if (d >= 0 && d < 0xfa) {
        put(b, (unsigned)d);
    } else {
        put(b, 0xff);
        for (int i = 0; i < 8; i++)
            put(b, (unsigned)(((uint64_t)d >> (8 * i)) & 0xff));
    }
}

/* A value: name, kind (2: an initializer its shape's size, 6: one whose data follows: u16
 * size and bytes, 1: not a tensor), element type, dims (-1 dynamic, named "N"). */
static void put_value(bytes *b, const char *name, unsigned kind, unsigned elem, size_t rank,
                      const int64_t *dims)
{
    put_str(b, name);
    put(b, kind);
    put(b, elem);
    put(b, (unsigned)rank);
    for (size_t d = 0; d < rank; d++)
        put_dim(b, dims[d]);
    for (size_t d = 0; d < rank; d++)
        put(b, dims[d] == -1 ? 1 : 0);
}

static void put_node(bytes *b, const char *name, unsigned op, unsigned since, size_t n_in,
                     const unsigned *in, size_t n_out, const unsigned *out, unsigned n_attrs)
{
    put_str(b, name);
    put(b, op);
    put(b, 0); /* default domain */
    put(b, since);
    put(b, (unsigned)n_in);
    for (size_t i = 0; i < n_in; i++)
        put(b, in[i]);
    put(b, (unsigned)n_out);
    for (size_t i = 0; i < n_out; i++)
        put(b, out[i]);
    put(b, n_attrs);
}

static void put_ints_attr(bytes *b, unsigned name, unsigned a, unsigned c)
{
    put(b, name);
    put(b, ORT_OP_ATTR_INTS);
    put(b, 2);
    put(b, a);
    put(b, c);
}

enum {
    OP_CONV = 0,
    OP_RELU = 1,
    OP_MAXPOOL = 2,
    OP_GEMM = 4,
    OP_RESHAPE = 10,
    OP_FLATTEN = 11,
    OP_CONSTANT = 13,
    OP_ABS = 38
};
enum {
    AT_KERNEL = 0,
    AT_STRIDES = 1,
    AT_PADS = 2,
    AT_AUTO_PAD = 5,
    AT_AXIS = 7,
    AT_ALPHA = 10,
    AT_TRANS_B = 13,
    AT_VALUE = 14
};

/* LeNet's shape: Conv 5x5 -> Relu (or `middle_op`) -> MaxPool 2x2 -> Flatten -> Gemm, a
 * dynamic batch, initializers the size their shapes say. */
static void seed_lenet(bytes *b, unsigned middle_op, unsigned fail_at)
{
    put(b, fail_at & 0xff);
    put(b, fail_at >> 8);
    put(b, 8); /* ir_version */
    put_str(b, "lenet");
    put(b, 1);
    put(b, 0);
    put(b, 13);
    put(b, 10);
    put_value(b, "x", 0, 1, 4, (int64_t[]){-1, 1, 28, 28});
    put_value(b, "w", 2, 1, 4, (int64_t[]){4, 1, 5, 5});
    put_value(b, "b", 2, 1, 1, (int64_t[]){4});
    put_value(b, "c", 0, 1, 4, (int64_t[]){-1, 4, 24, 24});
    put_value(b, "r", 0, 1, 4, (int64_t[]){-1, 4, 24, 24});
    put_value(b, "p", 0, 1, 4, (int64_t[]){-1, 4, 12, 12});
    put_value(b, "f", 0, 1, 2, (int64_t[]){-1, 576});
    put_value(b, "gw", 2, 1, 2, (int64_t[]){10, 576});
    put_value(b, "gb", 2, 1, 1, (int64_t[]){10});
    put_value(b, "y", 0, 1, 2, (int64_t[]){-1, 10});
    put(b, 1);
    put(b, 0); /* graph input x */
    put(b, 5);
    put_node(b, "conv", OP_CONV, 11, 3, (unsigned[]){0, 1, 2}, 1, (unsigned[]){3}, 1);
    put_ints_attr(b, AT_KERNEL, 5, 5);
    put_node(b, "", middle_op, 6, 1, (unsigned[]){3}, 1, (unsigned[]){4}, 0);
    put_node(b, "pool", OP_MAXPOOL, 12, 1, (unsigned[]){4}, 1, (unsigned[]){5}, 2);
    put_ints_attr(b, AT_KERNEL, 2, 2);
    put_ints_attr(b, AT_STRIDES, 2, 2);
    put_node(b, "flat", OP_FLATTEN, 13, 1, (unsigned[]){5}, 1, (unsigned[]){6}, 1);
    put(b, AT_AXIS);
    put(b, ORT_OP_ATTR_INT);
    put(b, 1);
    put_node(b, "fc", OP_GEMM, 13, 3, (unsigned[]){6, 7, 8}, 1, (unsigned[]){9}, 1);
    put(b, AT_TRANS_B);
    put(b, ORT_OP_ATTR_INT);
    put(b, 1);
    put(b, 1);
    put(b, 9); /* graph output y */
}

/* Every attribute kind: a Constant's TENSOR (data from the bytes), a Reshape whose shape is an
 * initializer with data, a STRING auto_pad, FLOATS and FLOAT. */
static void seed_attributes(bytes *b)
{
    put(b, 0);
    put(b, 0);
    put(b, 9);
    put_str(b, "attrs");
    put(b, 2);
    put(b, 0);
    put(b, 17);
    put(b, 2);
    put(b, 7);
    put(b, 6);
    put_value(b, "x", 0, 1, 2, (int64_t[]){-1, 6});
    put_value(b, "k", 0, 1, 1, (int64_t[]){6});
    put_value(b, "shape", 6, 7, 1, (int64_t[]){2});
    put(b, 16); /* u16 byte count, then two int64: [-1, 3] */
    put(b, 0);
    for (int i = 0; i < 8; i++)
        put(b, 0xff);
    put(b, 3);
    for (int i = 0; i < 7; i++)
        put(b, 0);
    put_value(b, "s", 0, 1, 2, (int64_t[]){-1, 6});
    put_value(b, "y", 0, 1, 2, (int64_t[]){-1, 3});
    put_value(b, "meta", 1, 1, 0, NULL); /* not a tensor */
    put(b, 1);
    put(b, 0);
    put(b, 3);
    put_node(b, "const", OP_CONSTANT, 13, 0, NULL, 1, (unsigned[]){1}, 1);
    put(b, AT_VALUE);
    put(b, ORT_OP_ATTR_TENSOR);
    put(b, 1);  /* float */
    put(b, 1);  /* rank 1 */
    put(b, 6);  /* dims */
    put(b, 0);  /* no symbol */
    put(b, 1);  /* data from the bytes */
    put(b, 24); /* u16 24 bytes */
    put(b, 0);
    for (int i = 0; i < 6; i++) {
        put(b, 0);
        put(b, 0);
        put(b, 0x80);
        put(b, 0x3f); /* 1.0f */
    }
    put_node(b, "add", 6, 14, 2, (unsigned[]){0, 1}, 1, (unsigned[]){3}, 2);
    put(b, AT_AUTO_PAD);
    put(b, ORT_OP_ATTR_STRING);
    put_str(b, "NOTSET");
    put(b, AT_ALPHA);
    put(b, ORT_OP_ATTR_FLOATS);
    put(b, 1);
    put(b, 0);
    put(b, 0);
    put(b, 0x80);
    put(b, 0x3f);
    put_node(b, "reshape", OP_RESHAPE, 14, 2, (unsigned[]){3, 2}, 1, (unsigned[]){4}, 1);
    put(b, AT_PADS);
    put(b, ORT_OP_ATTR_FLOAT);
    put(b, 0);
    put(b, 0);
    put(b, 0);
    put(b, 0x3f);
    put(b, 1);
    put(b, 4);
}

typedef struct seed {
    const char *name;
    bytes b;
} seed;

static size_t make_seeds(seed *seeds)
{
    size_t n = 0;
    seeds[n].name = "lenet";
    seed_lenet(&seeds[n++].b, OP_RELU, 0);
    seeds[n].name = "lenet_abs"; /* an op the EP lacks in the middle: two runs, two views */
    seed_lenet(&seeds[n++].b, OP_ABS, 0);
    seeds[n].name = "lenet_fail_40";
    seed_lenet(&seeds[n++].b, OP_RELU, 40);
    seeds[n].name = "attributes";
    seed_attributes(&seeds[n++].b);
    return n;
}

static int write_seeds(const char *dir)
{
    seed seeds[8];
    size_t n = make_seeds(seeds);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(seeds[i].b.data, 1, seeds[i].b.size, f) != seeds[i].b.size ||
            fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}

/* Replays inputs (regressions, a corpus) and says how deep they went. */
static int replay(int argc, char **argv)
{
    static uint8_t data[1 << 20];
    int built = 0, fused = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        size_t size = fread(data, 1, sizeof data, f);
        fclose(f);
        fake_model *m = fake_model_decode(data, size);
        if (!m) continue;
        intake_result r = run_intake(m);
        built += r.build == LO_OK;
        fused += r.fused > 0;
        fake_model_free(m);
    }
    printf("%d inputs replayed: %d built, %d with nodes fused\n", argc - 1, built, fused);
    return 0;
}

/* ---- the self test: seeds with known results, every accessor failing, hostile graphs ---- */

static intake_result run_bytes(const bytes *b, uint64_t fail_at)
{
    fake_model *m = fake_model_decode(b->data, b->size);
    CHECK(m);
    fake_model_fail_at(m, fail_at);
    intake_result r = run_intake(m);
    fake_model_free(m);
    return r;
}

static void test_seeds(void)
{
    seed seeds[8];
    make_seeds(seeds);
    intake_result r = run_bytes(&seeds[0].b, 0);
    CHECK(r.build == LO_OK && r.num_nodes == 5 && r.num_inputs == 1 && r.num_outputs == 1);
    CHECK(!r.capability_failed && r.fused == 5);
    r = run_bytes(&seeds[1].b, 0); /* Abs: Conv alone, then MaxPool..Gemm */
    CHECK(r.build == LO_OK && r.num_nodes == 5);
    CHECK(!r.capability_failed && r.fused == 4);
    r = run_bytes(&seeds[3].b, 0);
    printf("attributes seed: %s\n", r.build == LO_OK ? "built" : r.err.message);
    CHECK(r.build == LO_OK && r.num_nodes == 3);
    /* Every accessor call failing in turn: each failure is an error naming it, except the
     * graph's name (only for messages), and nothing else changes. */
    for (size_t s = 0; s < 4; s++) {
        intake_result clean = run_bytes(&seeds[s].b, 0);
        int failures = 0;
        for (uint64_t k = 1;; k++) {
            r = run_bytes(&seeds[s].b, k);
            if (!r.injected) break; /* past the build's last call */
            if (strcmp(r.injected, "Graph_GetName") == 0) {
                CHECK(r.build == clean.build && r.num_nodes == clean.num_nodes);
                continue;
            }
            if (r.build == LO_OK) fprintf(stderr, "failing %s went unnoticed\n", r.injected);
            CHECK(r.build != LO_OK && strstr(r.err.message, "injected failure"));
            failures++;
        }
        CHECK(failures > 20);
    }
    printf("seeds: results as expected, every accessor failure clean\n");
}

static void test_long_chain(void)
{
    enum { CHAIN = 100000 };
    fake_model *m = fake_model_create("chain", 8);
    fake_model_opset(m, "", 13);
    OrtValueInfo *prev = fake_value(m, "x", 1, 2, (int64_t[]){1, 4}, NULL);
    fake_graph_input(m, prev);
    for (int i = 0; i < CHAIN; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", i);
        OrtValueInfo *next = fake_value(m, name, 1, 2, (int64_t[]){1, 4}, NULL);
        fake_node(m, "", "Relu", "", 6, &prev, 1, &next, 1);
        prev = next;
    }
    fake_graph_output(m, prev);
    intake_result r = run_intake(m);
    printf("100,000-node chain: %s, %zu fused\n", r.build == LO_OK ? "built" : r.err.message,
           r.fused);
    CHECK(r.build == LO_OK ? r.num_nodes == CHAIN : strstr(r.err.message, "limit") != NULL);
    fake_model_free(m);
}

/* Views of views: each the intake builds with the inputs and outputs ONNX Runtime gives. */
static void test_nested_views(void)
{
    const OrtApi *api = fake_ort_api();
    fake_model *m = fake_model_create("views", 8);
    fake_model_opset(m, "", 13);
    OrtValueInfo *v[7];
    for (int i = 0; i < 7; i++) {
        char name[8];
        snprintf(name, sizeof name, "v%d", i);
        v[i] = fake_value(m, name, 1, 2, (int64_t[]){-1, 4}, (const char *[]){"N", NULL});
    }
    fake_graph_input(m, v[0]);
    for (int i = 0; i < 6; i++)
        fake_node(m, "", i % 2 ? "Sigmoid" : "Relu", "", 6, &v[i], 1, &v[i + 1], 1);
    fake_graph_output(m, v[6]);
    const OrtGraph *graph = fake_model_graph(m);
    const OrtNode *nodes[6];
    CHECK(!api->Graph_GetNodes(graph, nodes, 6));
    OrtGraph *outer = NULL, *inner = NULL;
    CHECK(!api->Graph_GetGraphView(graph, nodes + 1, 4, &outer)); /* nodes 1..4 */
    CHECK(!api->Graph_GetGraphView(outer, nodes + 2, 2, &inner)); /* nodes 2..3 */
    OrtGraph *bad = NULL;
    OrtStatus *s = api->Graph_GetGraphView(inner, nodes, 1, &bad); /* node 0: not in inner */
    CHECK(s && !bad);
    api->ReleaseStatus(s);
    const OrtGraph *views[2] = {outer, inner};
    const char *first_in[2] = {"v1", "v2"}, *last_out[2] = {"v5", "v4"};
    for (int i = 0; i < 2; i++) {
        lo_graph *g = NULL;
        lo_error err;
        lo_error_clear(&err);
        CHECK(lo_ort_graph_build(api, views[i], &g, &err) == LO_OK);
        CHECK(g->num_nodes == (i ? 2 : 4) && g->num_inputs == 1 && g->num_outputs == 1);
        CHECK(strcmp(g->tensors[g->inputs[0]].name, first_in[i]) == 0);
        CHECK(strcmp(g->tensors[g->outputs[0]].name, last_out[i]) == 0);
        CHECK(g->tensors[g->inputs[0]].shape.dims[0] == -1);
        lo_graph_free(g);
    }
    api->ReleaseGraph(inner);
    api->ReleaseGraph(outer);
    CHECK(fake_live_statuses() == 0);
    fake_model_free(m);
    printf("nested views: inputs and outputs as ONNX Runtime gives them\n");
}

/* One graph input or initializer the intake must refuse with a message naming it. */
static void expect_refused(fake_model *m, const char *what, const char *named)
{
    intake_result r = run_intake(m);
    printf("%s: %s\n", what, r.build == LO_OK ? "accepted" : r.err.message);
    CHECK(r.build != LO_OK && strstr(r.err.message, named));
    fake_model_free(m);
}

static void test_hostile_values(void)
{
    /* Dims of INT64_MAX in an input: refused by the element limit, naming the input; the
     * EP then takes no node and leaves the graph to ONNX Runtime (no failed status). */
    fake_model *m = fake_model_create("huge", 8);
    fake_model_opset(m, "", 13);
    OrtValueInfo *x = fake_value(m, "x", 1, 2, (int64_t[]){INT64_MAX, INT64_MAX}, NULL);
    OrtValueInfo *y = fake_value(m, "y", 1, 2, (int64_t[]){INT64_MAX, INT64_MAX}, NULL);
    fake_graph_input(m, x);
    fake_node(m, "relu", "Relu", "", 6, &x, 1, &y, 1);
    fake_graph_output(m, y);
    intake_result r = run_intake(m);
    printf("INT64_MAX dims: %s, %zu fused\n", r.build == LO_OK ? "built" : r.err.message, r.fused);
    CHECK(r.build != LO_OK && strstr(r.err.message, "'x'") && strstr(r.err.message, "max_"));
    CHECK(r.fused == 0 && !r.capability_failed);
    fake_model_free(m);

    /* An initializer of INT64_MAX x INT64_MAX elements holding nothing. */
    m = fake_model_create("huge_init", 8);
    x = fake_value(m, "x", 1, 2, (int64_t[]){1, 4}, NULL);
    OrtValueInfo *w = fake_value(m, "w", 1, 2, (int64_t[]){INT64_MAX, INT64_MAX}, NULL);
    fake_value_set_initializer(m, w, NULL, 0);
    y = fake_value(m, "y", 1, 2, (int64_t[]){1, 4}, NULL);
    fake_graph_input(m, x);
    fake_node(m, "add", "Add", "", 14, (OrtValueInfo *[]){x, w}, 2, &y, 1);
    fake_graph_output(m, y);
    expect_refused(m, "initializer of INT64_MAX^2 elements", "'w'");

    /* An initializer whose bytes disagree with its shape: 8 bytes for 2x3 floats. */
    m = fake_model_create("short_init", 8);
    x = fake_value(m, "x", 1, 2, (int64_t[]){2, 3}, NULL);
    w = fake_value(m, "w", 1, 2, (int64_t[]){2, 3}, NULL);
    fake_value_set_initializer(m, w, (float[]){1, 2}, 8);
    y = fake_value(m, "y", 1, 2, (int64_t[]){2, 3}, NULL);
    fake_graph_input(m, x);
    fake_node(m, "add", "Add", "", 14, (OrtValueInfo *[]){x, w}, 2, &y, 1);
    fake_graph_output(m, y);
    expect_refused(m, "initializer with 8 bytes for 2x3 floats", "'w'");

    /* The same disagreement in a Constant's TENSOR attribute. */
    m = fake_model_create("short_attr", 8);
    y = fake_value(m, "y", 1, 1, (int64_t[]){6}, NULL);
    OrtNode *c = fake_node(m, "c", "Constant", "", 13, NULL, 0, &y, 1);
    fake_attr_tensor(m, c, "value", 1, 1, (int64_t[]){6}, (float[]){1}, 4);
    fake_graph_output(m, y);
    expect_refused(m, "Constant with 4 bytes for 6 floats", "value");

    /* A Shape node with no output (fuzz_ort_ep's first crash: its fold wrote output 0 of
     * none): the trial plan refuses it, so nothing is fused. */
    m = fake_model_create("shape_no_output", 8);
    fake_model_opset(m, "", 13);
    x = fake_value(m, "x", 1, 2, (int64_t[]){1, 4}, NULL);
    y = fake_value(m, "y", 1, 2, (int64_t[]){1, 4}, NULL);
    fake_graph_input(m, x);
    fake_node(m, "shape", "Shape", "", 13, &x, 1, NULL, 0);
    fake_node(m, "relu", "Relu", "", 6, &x, 1, &y, 1);
    fake_graph_output(m, y);
    r = run_intake(m);
    CHECK(r.build == LO_OK && r.fused == 0 && !r.capability_failed);
    lo_graph *g = NULL;
    lo_error err;
    lo_error_clear(&err);
    CHECK(lo_ort_graph_build(fake_ort_api(), fake_model_graph(m), &g, &err) == LO_OK);
    CHECK(lo_model_validate(g, &err) != LO_OK && strstr(err.message, "'shape'") &&
          strstr(err.message, "no first output"));
    printf("Shape without output: %s\n", err.message);
    lo_graph_free(g);
    fake_model_free(m);

    /* Rank past the limit; a graph input that is not a tensor. */
    m = fake_model_create("rank", 8);
    int64_t dims[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    fake_graph_input(m, fake_value(m, "deep", 1, 12, dims, NULL));
    expect_refused(m, "rank 12 input", "'deep'");
    m = fake_model_create("seq", 8);
    fake_graph_input(m, fake_value(m, "seq", -1, 0, NULL, NULL));
    expect_refused(m, "non-tensor input", "'seq'");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* the lines before a failed check stay */
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) return write_seeds(argv[2]);
    if (argc > 1) return replay(argc, argv);
    test_seeds();
    test_nested_views();
    test_hostile_values();
    test_long_chain();
    printf("ort_ep_intake: all checks passed\n");
    return 0;
}

#endif
