/* Hostile models, each generated here from the reproducer that found the problem: they must
 * give a clean error (naming the limit or the attribute) or a correct plan, quickly, and
 * never crash, hang or run undefined behaviour (the sanitizers test runs this under ASan and
 * UBSan). Every load goes through lo_model_validate, which infers shapes and plans a trial.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "ir.h"
#include "onnx_loader.h"
#include "onnx_writer.h"
#include "passes.h"
#include "planner_indexed.h"
#include "session.h"
#include "test_util.h"

/* With --corpus DIR, every generated model is also written there (seeds for fuzz_model). */
static const char *corpus_dir;

static void write_seed(const char *what, const pbw *model)
{
    if (!corpus_dir || model->len > 256 * 1024) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.onnx", corpus_dir, what);
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f && fwrite(model->data, 1, model->len, f) == model->len, "%s", path);
    if (f) fclose(f);
}

/* A hang guard, not a timing: every case here takes milliseconds once fixed. */
#define HANG_GUARD_S 30.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static lo_limits unbounded_shapes(void)
{
    /* Past every element and arena limit, so only the arithmetic itself is tested. */
    lo_limits limits = lo_limits_default();
    limits.tensor_elements = UINT64_MAX;
    limits.arena_bytes = UINT64_MAX;
    return limits;
}

/* Loads and validates model bytes (freed) under limits; returns the status, *err holding the
 * message. Fails the test when it takes longer than the hang guard. */
static lo_status load(const char *what, pbw *model, const lo_limits *limits, lo_error *err)
{
    lo_graph *graph = NULL;
    write_seed(what, model);
    const double start = now_s();
    lo_status st = lo_onnx_load(model->data, model->len, what, NULL, limits, &graph, err);
    if (st == LO_OK) st = lo_model_validate(graph, err);
    const double seconds = now_s() - start;
    CHECK_MSG(seconds < HANG_GUARD_S, "%s took %.1f s", what, seconds);
    lo_graph_free(graph);
    free(model->data);
    memset(model, 0, sizeof *model);
    return st;
}

static void expect(const char *what, lo_status got, lo_status want, const lo_error *err,
                   const char *words)
{
    CHECK_MSG(got == want, "%s: status %d, expected %d: %s", what, (int)got, (int)want,
              err->message);
    if (words)
        CHECK_MSG(strstr(err->message, words) != NULL, "%s: '%s' not in '%s'", what, words,
                  err->message);
}

/* A graph of one node `op` over input x (float, dims) writing y, plus initializers. */
static pbw one_node_model(const char *op, const int64_t *dims, int rank, const char *const *extra,
                          int nextra, pbw *inits, int ninits, pbw *attrs, int nattrs)
{
    pbw graph = {0};
    const char *in[8] = {"x"};
    for (int i = 0; i < nextra; i++)
        in[1 + i] = extra[i];
    const char *out[1] = {"y"};
    pbw node = onnx_node(op, in, 1 + nextra, out, 1, attrs, nattrs);
    pbw_msg(&graph, 1, &node);
    pbw_str(&graph, 2, "hostile");
    for (int i = 0; i < ninits; i++)
        pbw_msg(&graph, 5, &inits[i]);
    pbw x = onnx_value_info("x", 1, dims, rank);
    pbw_msg(&graph, 11, &x);
    pbw y = onnx_output_info("y", 1);
    pbw_msg(&graph, 12, &y);
    return onnx_model(&graph, 13);
}

/* ---- protobuf nesting ---- */

/* Input x typed as a sequence of sequences ... of float tensors, `depth` TypeProtos deep. */
static pbw nested_type_model(int depth)
{
    pbw type = {0}, tensor = {0};
    pbw_int(&tensor, 1, 1);
    pbw_msg(&type, 1, &tensor);
    for (int i = 1; i < depth; i++) {
        pbw sequence = {0}, outer = {0};
        pbw_msg(&sequence, 1, &type);
        pbw_msg(&outer, 4, &sequence);
        type = outer;
    }
    pbw vi = {0}, graph = {0};
    pbw_str(&vi, 1, "x");
    pbw_msg(&vi, 2, &type);
    pbw_msg(&graph, 11, &vi);
    return onnx_model(&graph, 13);
}

/* A node whose graph attribute holds a node whose graph attribute ... `depth` deep. */
static pbw nested_graph_attr_model(int depth)
{
    pbw graph = {0};
    for (int i = 0; i < depth; i++) {
        pbw attr = {0}, outer = {0};
        pbw_str(&attr, 1, "body");
        pbw_msg(&attr, 6, &graph);
        pbw_int(&attr, 20, 5);
        const char *out[1] = {"y"};
        pbw node = onnx_node("Loop", NULL, 0, out, 1, &attr, 1);
        pbw_msg(&outer, 1, &node);
        graph = outer;
    }
    return onnx_model(&graph, 13);
}

static void test_nesting(void)
{
    lo_error err = {0};
    /* The reproducer: 4,500 TypeProtos (9,000 messages) overflowed the stack in unpack. */
    pbw m = nested_type_model(4500);
    printf("nested TypeProto model: %zu bytes\n", m.len);
    expect("TypeProto x4500", load("deep_type", &m, NULL, &err), LO_ERR_LIMIT, &err,
           "max_nesting_depth (64)");
    m = nested_graph_attr_model(3000);
    expect("graph attribute x3000", load("deep_graph", &m, NULL, &err), LO_ERR_LIMIT, &err,
           "max_nesting_depth (64)");
    /* Shallow ones decode, and are refused for what they are. */
    m = nested_type_model(10);
    expect("TypeProto x10", load("shallow_type", &m, NULL, &err), LO_ERR_UNSUPPORTED, &err,
           "sequence");

    /* The bound is exact: a float input's Dimension is the 7th message down
     * (Model > Graph > ValueInfo > Type > Tensor > Shape > Dimension). */
    lo_limits limits = lo_limits_default();
    const int64_t dims[2] = {1, 4};
    limits.nesting_depth = 7;
    m = one_node_model("Relu", dims, 2, NULL, 0, NULL, 0, NULL, 0);
    CHECK_OK(load("depth7", &m, &limits, &err), &err);
    limits.nesting_depth = 6;
    m = one_node_model("Relu", dims, 2, NULL, 0, NULL, 0, NULL, 0);
    expect("depth 6", load("depth6", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "max_nesting_depth (6)");

    /* Broken wire format is an invalid model, found by the scan as by protobuf-c. */
    const uint8_t truncated[] = {0x3a, 0x05, 0x0a}; /* graph of 5 bytes, 1 present */
    m.len = 0;
    pbw_raw(&m, truncated, sizeof truncated);
    expect("truncated", load("truncated", &m, NULL, &err), LO_ERR_MODEL, &err, "not an ONNX");
    const uint8_t group[] = {0x0b}; /* field 1, wire type 3 (start group) */
    pbw_raw(&m, group, sizeof group);
    expect("group", load("group", &m, NULL, &err), LO_ERR_MODEL, &err, "not an ONNX");
}

/* ---- limits ---- */

static void test_limits(void)
{
    lo_error err = {0};
    const int64_t small[4] = {1, 1, 4, 4}, huge[4] = {1, 1, (int64_t)1 << 40, 2};
    lo_limits limits = lo_limits_default();

    limits.model_bytes = 16;
    pbw m = one_node_model("Relu", small, 4, NULL, 0, NULL, 0, NULL, 0);
    expect("model bytes", load("bytes", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "max_model_bytes (16)");

    limits = lo_limits_default();
    limits.nodes = 1;
    pbw graph = {0};
    const char *x[1] = {"x"}, *t[1] = {"t"}, *y[1] = {"y"};
    pbw n1 = onnx_node("Relu", x, 1, t, 1, NULL, 0), n2 = onnx_node("Relu", t, 1, y, 1, NULL, 0);
    pbw_msg(&graph, 1, &n1);
    pbw_msg(&graph, 1, &n2);
    pbw xi = onnx_value_info("x", 1, small, 4), yo = onnx_output_info("y", 1);
    pbw_msg(&graph, 11, &xi);
    pbw_msg(&graph, 12, &yo);
    m = onnx_model(&graph, 13);
    expect("nodes", load("nodes", &m, &limits, &err), LO_ERR_LIMIT, &err, "max_nodes (1)");

    limits = lo_limits_default();
    limits.rank = 2;
    m = one_node_model("Relu", small, 4, NULL, 0, NULL, 0, NULL, 0);
    expect("rank", load("rank", &m, &limits, &err), LO_ERR_LIMIT, &err, "max_rank (2)");

    /* Declared and inferred shapes alike. */
    m = one_node_model("Relu", huge, 4, NULL, 0, NULL, 0, NULL, 0);
    expect("elements", load("elements", &m, NULL, &err), LO_ERR_LIMIT, &err, "max_tensor_elements");
    limits = lo_limits_default();
    limits.tensor_elements = 500;
    const int64_t pads[8] = {0, 0, 10, 10, 0, 0, 10, 10}, pads_dims[1] = {8};
    pbw init = onnx_int64_tensor("pads", pads_dims, 1, pads, 8);
    const char *pad_in[1] = {"pads"};
    m = one_node_model("Pad", small, 4, pad_in, 1, &init, 1, NULL, 0);
    expect("inferred elements", load("pad_elements", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "tensor 'y' of shape [1,1,24,24] has more elements than max_tensor_elements (500)");

    limits = lo_limits_default();
    limits.arena_bytes = 50; /* x and y share 64 bytes: the Relu runs in place */
    m = one_node_model("Relu", small, 4, NULL, 0, NULL, 0, NULL, 0);
    expect("arena", load("arena", &m, &limits, &err), LO_ERR_LIMIT, &err, "max_arena_bytes (50)");

    limits = lo_limits_default();
    limits.weight_bytes = 32;
    const float w[16] = {0};
    pbw wt = {0};
    pbw_int(&wt, 1, 1);
    pbw_int(&wt, 1, 1);
    pbw_int(&wt, 1, 4);
    pbw_int(&wt, 1, 4);
    pbw_int(&wt, 2, 1);
    pbw_str(&wt, 8, "w");
    pbw_bytes(&wt, 9, w, sizeof w);
    const char *add_in[1] = {"w"};
    m = one_node_model("Add", small, 4, add_in, 1, &wt, 1, NULL, 0);
    expect("weights", load("weights", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "max_weight_bytes (32)");
}

/* Folding must not multiply a small model into gigabytes: 20 Concats of 100 copies of an
 * 8 KB constant would hold 16 MB. */
static void test_fold_amplification(void)
{
    pbw graph = {0};
    int64_t values[1000];
    for (int i = 0; i < 1000; i++)
        values[i] = i;
    const int64_t dims[1] = {1000};
    pbw c = onnx_int64_tensor("c", dims, 1, values, 1000);
    pbw_msg(&graph, 5, &c);
    const char *copies[100];
    for (int i = 0; i < 100; i++)
        copies[i] = "c";
    for (int n = 0; n < 20; n++) {
        char name[16];
        snprintf(name, sizeof name, n == 19 ? "y" : "k%d", n);
        const char *out[1] = {name};
        pbw axis[1] = {onnx_attr_int("axis", 0)};
        pbw node = onnx_node("Concat", copies, 100, out, 1, axis, 1);
        pbw_msg(&graph, 1, &node);
    }
    pbw yo = onnx_output_info("y", 7);
    pbw_msg(&graph, 12, &yo);
    pbw m = onnx_model(&graph, 13);
    printf("Concat amplification model: %zu bytes\n", m.len);
    lo_limits limits = lo_limits_default();
    limits.weight_bytes = (uint64_t)4 << 20;
    lo_error err = {0};
    expect("folded constants", load("amplify", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "past max_weight_bytes (4194304)");
}

/* Only regular files are read: a FIFO would block the open, /dev/zero never end. */
static void test_files(void)
{
    lo_graph *graph = NULL;
    lo_error err = {0};
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/lo_hostile_fifo_%ld", (long)getpid());
    unlink(fifo);
    if (mkfifo(fifo, 0600) == 0) {
        CHECK(lo_onnx_load_file(fifo, &graph, &err) == LO_ERR_IO && !graph);
        CHECK_MSG(strstr(err.message, "not a regular file"), "%s", err.message);
        unlink(fifo);
    }
    CHECK(lo_onnx_load_file("/dev/zero", &graph, &err) == LO_ERR_IO && !graph);
    CHECK_MSG(strstr(err.message, "not a regular file"), "%s", err.message);

    lo_limits limits = lo_limits_default();
    limits.model_bytes = 1000;
    CHECK(lo_onnx_load_file_limited("models/lenet.onnx", &limits, &graph, &err) == LO_ERR_LIMIT);
    CHECK_MSG(strstr(err.message, "more than max_model_bytes (1000)"), "%s", err.message);
    CHECK_OK(lo_onnx_load_file_limited("models/lenet.onnx", NULL, &graph, &err), &err);
    lo_graph_free(graph);
}

/* ---- shape inference in closed form (these hung for minutes) ---- */

static void test_pool_hangs(void)
{
    lo_error err = {0};
    const lo_limits limits = unbounded_shapes();

    /* The 98-byte MaxPool over [1,1,2^40,2]: every window used to be walked. */
    const int64_t tall[4] = {1, 1, (int64_t)1 << 40, 2}, k11[2] = {1, 1};
    pbw attrs[1] = {onnx_attr_ints("kernel_shape", k11, 2)};
    pbw m = one_node_model("MaxPool", tall, 4, NULL, 0, NULL, 0, attrs, 1);
    printf("MaxPool [1,1,2^40,2] model: %zu bytes\n", m.len);
    CHECK_OK(load("maxpool_tall", &m, &limits, &err), &err);

    /* A kernel of 2^40 taps, all but the last in the leading padding. */
    const int64_t pixel[4] = {1, 1, 1, 1}, k40[2] = {(int64_t)1 << 40, 1},
                  pads40[4] = {((int64_t)1 << 40) - 1, 0, 0, 0};
    pbw a2[2] = {onnx_attr_ints("kernel_shape", k40, 2), onnx_attr_ints("pads", pads40, 4)};
    m = one_node_model("MaxPool", pixel, 4, NULL, 0, NULL, 0, a2, 2);
    CHECK_OK(load("maxpool_kernel", &m, &limits, &err), &err);
    /* One tap short of the pixel: the window is wholly padding, found as fast. */
    const int64_t pads40b[4] = {(int64_t)1 << 40, 0, 0, 0}, k40b[2] = {((int64_t)1 << 40), 1};
    pbw a3[2] = {onnx_attr_ints("kernel_shape", k40b, 2), onnx_attr_ints("pads", pads40b, 4)};
    m = one_node_model("MaxPool", pixel, 4, NULL, 0, NULL, 0, a3, 2);
    expect("window in padding", load("maxpool_empty", &m, &limits, &err), LO_ERR_MODEL, &err,
           "wholly in the padding");

    /* Pad feeding AveragePool: 2^41 output rows. */
    pbw graph = {0};
    const int64_t small[4] = {1, 1, 2, 2},
                  pads[8] = {0, 0, (int64_t)1 << 40, 0, 0, 0, (int64_t)1 << 40, 0};
    const int64_t pads_dims[1] = {8}, k22[2] = {2, 2};
    const char *pad_in[2] = {"x", "pads"}, *pad_out[1] = {"p"}, *pool_out[1] = {"y"};
    pbw pad = onnx_node("Pad", pad_in, 2, pad_out, 1, NULL, 0);
    pbw pool_attrs[1] = {onnx_attr_ints("kernel_shape", k22, 2)};
    pbw pool = onnx_node("AveragePool", pad_out, 1, pool_out, 1, pool_attrs, 1);
    pbw_msg(&graph, 1, &pad);
    pbw_msg(&graph, 1, &pool);
    pbw init = onnx_int64_tensor("pads", pads_dims, 1, pads, 8);
    pbw_msg(&graph, 5, &init);
    pbw xi = onnx_value_info("x", 1, small, 4), yo = onnx_output_info("y", 1);
    pbw_msg(&graph, 11, &xi);
    pbw_msg(&graph, 12, &yo);
    m = onnx_model(&graph, 13);
    lo_status st = load("pad_avgpool", &m, &limits, &err);
    /* Pad's zeros fold into the pool's pads; either way a clean answer, quickly. */
    CHECK_MSG(st == LO_OK || st == LO_ERR_MODEL, "%d: %s", (int)st, err.message);

    /* Dilation wider than the input: windows may step over it, checked per window (bounded). */
    const int64_t in3[4] = {1, 1, 1, 3}, k2[2] = {1, 2}, d2[2] = {1, 2}, p2[4] = {0, 2, 0, 2};
    pbw a4[3] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_ints("dilations", d2, 2),
                 onnx_attr_ints("pads", p2, 4)};
    m = one_node_model("MaxPool", in3, 4, NULL, 0, NULL, 0, a4, 3);
    CHECK_OK(load("maxpool_dilated", &m, NULL, &err), &err); /* in 3 >= dilation 2 */
    const int64_t in1[4] = {1, 1, 1, 1}, d3[2] = {1, 2};
    pbw a5[3] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_ints("dilations", d3, 2),
                 onnx_attr_ints("pads", p2, 4)};
    m = one_node_model("MaxPool", in1, 4, NULL, 0, NULL, 0, a5, 3);
    /* Windows start at -2, -1, 0: taps {-2, 0}, {-1, 1}, {0, 2}: the middle one misses. */
    expect("stepped over", load("maxpool_stepped", &m, NULL, &err), LO_ERR_MODEL, &err,
           "leaves output 1 with a window wholly in the padding");
}

/* ---- 64-bit overflow in shape inference (UB before; the sanitizers test runs UBSan) ---- */

static void test_overflow(void)
{
    lo_error err = {0};
    const lo_limits limits = unbounded_shapes();
    const int64_t small[4] = {1, 1, 4, 4};

    /* (kernel - 1) * dilation */
    const int64_t k62[2] = {(int64_t)1 << 62, 1}, d4[2] = {4, 1};
    pbw a1[2] = {onnx_attr_ints("kernel_shape", k62, 2), onnx_attr_ints("dilations", d4, 2)};
    pbw m = one_node_model("MaxPool", small, 4, NULL, 0, NULL, 0, a1, 2);
    expect("kernel*dilation", load("k_dil", &m, &limits, &err), LO_ERR_MODEL, &err,
           "overflow 64-bit sizes on axis 2");

    /* in + pad_begin + pad_end */
    const int64_t k2[2] = {2, 2}, pmax[4] = {INT64_MAX, 0, INT64_MAX, 0};
    pbw a2[2] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_ints("pads", pmax, 4)};
    m = one_node_model("MaxPool", small, 4, NULL, 0, NULL, 0, a2, 2);
    expect("in+pads", load("in_pads", &m, &limits, &err), LO_ERR_MODEL, &err,
           "overflow 64-bit sizes on axis 2");

    /* ceil_div with a stride of 2^63-1, SAME_UPPER and ceil_mode: one window per axis. */
    const int64_t smax[2] = {INT64_MAX, INT64_MAX};
    pbw a3[3] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_ints("strides", smax, 2),
                 onnx_attr_string("auto_pad", "SAME_UPPER")};
    m = one_node_model("MaxPool", small, 4, NULL, 0, NULL, 0, a3, 3);
    CHECK_OK(load("stride_same", &m, &limits, &err), &err);
    pbw a4[3] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_ints("strides", smax, 2),
                 onnx_attr_int("ceil_mode", 1)};
    m = one_node_model("MaxPool", small, 4, NULL, 0, NULL, 0, a4, 3);
    CHECK_OK(load("stride_ceil", &m, &limits, &err), &err);

    /* ceil_mode is 0 or 1. */
    pbw a5[2] = {onnx_attr_ints("kernel_shape", k2, 2), onnx_attr_int("ceil_mode", 2)};
    m = one_node_model("MaxPool", small, 4, NULL, 0, NULL, 0, a5, 2);
    expect("ceil_mode 2", load("ceil2", &m, NULL, &err), LO_ERR_MODEL, &err,
           "'ceil_mode' is 2; 0 or 1 expected");

    /* Pad: dims + pads */
    const int64_t pads[8] = {0, 0, INT64_MAX, 0, 0, 0, 1, 0}, pads_dims[1] = {8};
    pbw init = onnx_int64_tensor("pads", pads_dims, 1, pads, 8);
    const char *pad_in[1] = {"pads"};
    m = one_node_model("Pad", small, 4, pad_in, 1, &init, 1, NULL, 0);
    expect("pad", load("pad", &m, &limits, &err), LO_ERR_MODEL, &err,
           "overflows 64-bit sizes on axis 2");

    /* Reshape: known *= v */
    const int64_t shape[3] = {(int64_t)1 << 62, 4, -1}, shape_dims[1] = {3};
    init = onnx_int64_tensor("shape", shape_dims, 1, shape, 3);
    const char *reshape_in[1] = {"shape"};
    m = one_node_model("Reshape", small, 4, reshape_in, 1, &init, 1, NULL, 0);
    expect("reshape", load("reshape", &m, &limits, &err), LO_ERR_MODEL, &err,
           "multiply past 64 bits at entry 1");

    /* Concat adds the inputs' sizes on its axis: 2^62 + 2^62 passes int64. */
    const int64_t half[1] = {(int64_t)1 << 62};
    const char *concat_in[1] = {"x"};
    pbw a6[1] = {onnx_attr_int("axis", 0)};
    m = one_node_model("Concat", half, 1, concat_in, 1, NULL, 0, a6, 1);
    expect("concat", load("concat", &m, &limits, &err), LO_ERR_MODEL, &err, "add up past 64 bits");

    /* Flatten multiplies dims: a declared shape past int64 is refused whatever the limit. */
    const int64_t wide[2] = {(int64_t)1 << 62, 4};
    m = one_node_model("Flatten", wide, 2, NULL, 0, NULL, 0, NULL, 0);
    expect("flatten", load("flatten", &m, &limits, &err), LO_ERR_LIMIT, &err,
           "more elements than max_tensor_elements");

    /* Slice with step INT64_MIN: -step has no int64; one element remains. */
    pbw graph = {0};
    const int64_t data[5] = {10, 11, 12, 13, 14}, five[1] = {5}, one[1] = {1};
    const int64_t starts[1] = {4}, ends[1] = {INT64_MIN}, axes[1] = {0}, steps[1] = {INT64_MIN};
    pbw inits[5] = {
        onnx_int64_tensor("data", five, 1, data, 5), onnx_int64_tensor("starts", one, 1, starts, 1),
        onnx_int64_tensor("ends", one, 1, ends, 1), onnx_int64_tensor("axes", one, 1, axes, 1),
        onnx_int64_tensor("steps", one, 1, steps, 1)};
    const char *slice_in[5] = {"data", "starts", "ends", "axes", "steps"}, *s_out[1] = {"s"};
    pbw slice = onnx_node("Slice", slice_in, 5, s_out, 1, NULL, 0);
    pbw_msg(&graph, 1, &slice);
    for (int i = 0; i < 5; i++)
        pbw_msg(&graph, 5, &inits[i]);
    pbw so = onnx_output_info("s", 7);
    pbw_msg(&graph, 12, &so);
    m = onnx_model(&graph, 13);
    lo_graph *g = NULL;
    CHECK_OK(lo_onnx_load_bytes(m.data, m.len, "slice", &g, &err), &err);
    free(m.data);
    if (g) {
        CHECK_OK(lo_run_passes(g, 0, &err), &err);
        const lo_tensor *s = &g->tensors[lo_graph_find_tensor(g, "s")];
        CHECK_MSG(s->shape.rank == 1 && s->shape.dims[0] == 1 && s->data &&
                      ((const int64_t *)s->data)[0] == 14,
                  "Slice step INT64_MIN: rank %d dim %lld", s->shape.rank,
                  (long long)s->shape.dims[0]);
    }
    lo_graph_free(g);
}

/* ---- linear-time loading ---- */

/* A chain of `nodes` one-node links over x [1,1,2,2]: Relu; MaxPool with its (unused) Indices
 * output, which asks whether Indices is read; or Conv (a 1x1 weight each) then Relu, which the
 * fusion pass pairs. */
static pbw chain_model(const char *kind, int nodes)
{
    pbw graph = {0};
    char in[32], out[32], extra[32];
    const bool conv = strcmp(kind, "Conv") == 0, pool = strcmp(kind, "MaxPool") == 0;
    const float one = 1.0f;
    for (int n = 0; n < nodes; n++) {
        snprintf(in, sizeof in, n ? "t%d" : "x", n - 1);
        snprintf(out, sizeof out, n == nodes - 1 ? "y" : "t%d", n);
        const char *ins[2] = {in, extra}, *outs[2] = {out, extra};
        const int64_t k11[2] = {1, 1};
        pbw attrs[1] = {onnx_attr_ints("kernel_shape", k11, 2)};
        pbw node;
        if (pool) {
            snprintf(extra, sizeof extra, "i%d", n);
            node = onnx_node("MaxPool", ins, 1, outs, 2, attrs, 1);
        } else if (conv && n % 2 == 0) {
            snprintf(extra, sizeof extra, "w%d", n);
            pbw w = {0};
            for (int d = 0; d < 4; d++)
                pbw_int(&w, 1, 1);
            pbw_int(&w, 2, 1);
            pbw_str(&w, 8, extra);
            pbw_bytes(&w, 9, &one, sizeof one);
            pbw_msg(&graph, 5, &w);
            node = onnx_node("Conv", ins, 2, outs, 1, attrs, 1);
        } else {
            node = onnx_node("Relu", ins, 1, outs, 1, NULL, 0);
            free(attrs[0].data);
        }
        pbw_msg(&graph, 1, &node);
    }
    const int64_t dims[4] = {1, 1, 2, 2};
    pbw xi = onnx_value_info("x", 1, dims, 4), yo = onnx_output_info("y", 1);
    pbw_msg(&graph, 11, &xi);
    pbw_msg(&graph, 12, &yo);
    return onnx_model(&graph, 13);
}

static void test_many_nodes(void)
{
    static const char *const kinds[3] = {"Relu", "MaxPool", "Conv"};
    for (int k = 0; k < 3; k++) {
        enum { NODES = 100000 };
        pbw m = chain_model(kinds[k], NODES);
        const size_t bytes = m.len;
        lo_error err = {0};
        const double start = now_s();
        CHECK_OK(load("many_nodes", &m, NULL, &err), &err);
        printf("%d-node %s chain (%zu bytes): loaded, validated and trial-planned in %.3f s\n",
               NODES, kinds[k], bytes, now_s() - start);
    }
}

/* The indexed planner places exactly as lo_plan_greedy does, on random plans. */
static void test_planner_same(void)
{
    uint32_t rng = 12345;
    lo_plan_buffer a[64], b[64];
    int order[64], scratch[4 * 64 + 2 * 64];
    int differ = 0;
    for (int round = 0; round < 3000; round++) {
        rng = rng * 1664525u + 1013904223u;
        const size_t count = 1 + (rng >> 8) % 64;
        const size_t alignment = (size_t[]){1, 16, 128}[(rng >> 20) % 3];
        for (size_t i = 0; i < count; i++) {
            rng = rng * 1664525u + 1013904223u;
            a[i].size = (rng >> 4) % 7 == 0 ? 0 : ((rng >> 8) % 6) * 100 + (rng >> 16) % 3;
            a[i].first_use = (int)((rng >> 12) % 20);
            a[i].last_use = a[i].first_use + (int)((rng >> 20) % 8);
            a[i].offset = 0;
            b[i] = a[i];
        }
        size_t arena_a = 0, arena_b = 0;
        CHECK(lo_plan_indexed_scratch_ints(count) <= sizeof scratch / sizeof scratch[0]);
        const bool ok_a = lo_plan_greedy(a, count, alignment, order, &arena_a);
        const bool ok_b = lo_plan_greedy_indexed(b, count, alignment, scratch, &arena_b);
        bool same = ok_a == ok_b && arena_a == arena_b;
        for (size_t i = 0; same && i < count; i++)
            same = a[i].offset == b[i].offset;
        differ += !same;
    }
    CHECK_MSG(differ == 0, "%d of 3000 random plans differ", differ);
}

/* ---- ABI contracts ---- */

static void test_abi_contracts(void)
{
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    lenet_onnx_error err = {0};
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    if (!model) return;
    lenet_onnx_tensor_info info;
    CHECK(api->model_io_info(model, (lenet_onnx_io_kind)7, 0, &info, &err) ==
          LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "unknown io kind 7"), "%s", err.message);
    CHECK(api->model_io_count(model, (lenet_onnx_io_kind)7) == 0);
    CHECK(api->model_io_info(model, LENET_ONNX_OUTPUT, 0, NULL, &err) ==
          LENET_ONNX_ERROR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.message, "out is NULL") && !strstr(err.message, "index"), "%s",
              err.message);
    api->model_release(model);

    /* The ABI 3 slots: options of an older host (struct_size short of max_nodes) and limits. */
    CHECK(api->struct_size >= offsetof(lenet_onnx_api, model_load_bytes_with_limits) +
                                  sizeof api->model_load_bytes_with_limits);
    lenet_onnx_load_options options;
    memset(&options, 0xA5, sizeof options);
    options.struct_size = offsetof(lenet_onnx_load_options, max_nodes);
    options.max_nesting_depth = 0;
    options.max_model_bytes = 0;
    CHECK_OK(api->model_load_file_with_limits("models/lenet.onnx", &options, &model, &err), &err);
    api->model_release(model);
    model = NULL;
    options.struct_size = 0;
    options.max_model_bytes = 100;
    CHECK(api->model_load_file_with_limits("models/lenet.onnx", &options, &model, &err) ==
          LENET_ONNX_ERROR_LIMIT);
    CHECK(strcmp(api->status_name(LENET_ONNX_ERROR_LIMIT), "limit exceeded") == 0);
    CHECK(strcmp(api->status_name(LENET_ONNX_ERROR_BUSY), "busy") == 0);
}

/* A backend's refusal names the node once (it read "node 'X' (MaxPool): node 'X' ..."). */
static void test_message_prefix(void)
{
    const lenet_onnx_api *api = lo_api_table(LENET_ONNX_ABI_VERSION);
    lenet_onnx_error err = {0};
    lenet_onnx_context *context = NULL;
    if (api->context_create(NULL, &context, &err) != LENET_ONNX_OK) {
        printf("no device (%s): message prefix not checked\n", err.message);
        return;
    }
    /* [1,1,2^20,2^12]: plannable, but past the OpenCL kernels' 32-bit indexing. */
    const int64_t wide[4] = {1, 1, (int64_t)1 << 20, (int64_t)1 << 12}, k11[2] = {1, 1};
    pbw attrs[1] = {onnx_attr_ints("kernel_shape", k11, 2)};
    pbw m = one_node_model("MaxPool", wide, 4, NULL, 0, NULL, 0, attrs, 1);
    lenet_onnx_load_options options = {0};
    options.max_tensor_elements = UINT64_MAX;
    options.max_arena_bytes = UINT64_MAX;
    lenet_onnx_model *model = NULL;
    CHECK_OK(api->model_load_bytes_with_limits(m.data, m.len, &options, &model, &err), &err);
    free(m.data);
    lenet_onnx_session *session = NULL;
    if (model) {
        /* A GPU API's backend refuses it (past 32-bit indexing), naming the node once; the
         * host reference tries, and runs out of memory or (on a big host) succeeds. */
        lenet_onnx_status st = api->session_create(context, model, NULL, &session, &err);
        CHECK_MSG(st == LENET_ONNX_ERROR_UNSUPPORTED || st == LENET_ONNX_ERROR_OUT_OF_MEMORY ||
                      st == LENET_ONNX_OK,
                  "status %d: %s", (int)st, err.message);
        if (st == LENET_ONNX_ERROR_UNSUPPORTED) {
            const char *first = strstr(err.message, "node 'MaxPool_0'");
            CHECK_MSG(first && !strstr(first + 1, "node 'MaxPool_0'"), "%s", err.message);
        }
        if (st != LENET_ONNX_OK)
            CHECK_MSG(strncmp(err.message, "<memory>: ", 10) == 0, "%s", err.message);
    }
    api->session_release(session);
    api->model_release(model);

    /* A batch that multiplies the input past the element limit. */
    model = NULL;
    session = NULL;
    CHECK_OK(api->model_load_file("models/lenet.onnx", &model, &err), &err);
    lenet_onnx_session_options huge_batch = {0};
    huge_batch.batch_size = 1u << 31;
    if (model)
        CHECK(api->session_create(context, model, &huge_batch, &session, &err) ==
              LENET_ONNX_ERROR_LIMIT);
    CHECK_MSG(strstr(err.message, "max_tensor_elements"), "%s", err.message);
    api->session_release(session);
    api->model_release(model);
    api->context_release(context);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0) corpus_dir = argv[2];
    test_nesting();
    test_limits();
    test_fold_amplification();
    test_files();
    test_pool_hangs();
    test_overflow();
    if (!corpus_dir) { /* seeds only: these models are too large to fuzz */
        test_planner_same();
        test_many_nodes();
    }
    test_abi_contracts();
    test_message_prefix();
    return lo_test_exit_code();
}
