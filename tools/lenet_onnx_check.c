/* lenet-onnx-check DIR [DIR ...]: runs ONNX backend test directories (model.onnx plus
 * test_data_set_N/input_N.pb and output_N.pb) through the public ABI and compares every output
 * with ONNX's own tolerances. One line per directory on stdout:
 *   DIR: PASS | DIR: FAIL max_abs_err=E | DIR: FAIL <reason> | DIR: SKIP unsupported <what>
 * then "N passed, N failed, N skipped". Exits 1 when any directory failed, 2 on bad usage.
 * SKIP means the directory needs something this tool or the library does not support (an op,
 * op version or attribute value the library rejects as unsupported; a dtype, sequence or
 * optional value the tool cannot feed); numeric mismatches and every other error are FAIL.
 * Details on failures and skips go to stderr so stdout keeps the contract. --summary (before
 * the directories) also writes, to stderr, the skip causes by number of directories.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>

#include "cli.h"
#include "lenet-onnx/lenet_onnx.h"
#include "onnx.pb-c.h"
#include "tensor_pb.h"

#define PROGRAM "lenet-onnx-check"

/* ONNX's backend test runner defaults (onnx/backend/test/runner). */
#define CHECK_RTOL 1e-3
#define CHECK_ATOL 1e-7

static bool is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && strcmp(g->initializer[i]->name, name) == 0) return true;
    return false;
}

static int input_elem_type(const Onnx__ValueInfoProto *v)
{
    if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !v->type->tensor_type || !v->type->tensor_type->has_elem_type)
        return 0;
    return v->type->tensor_type->elem_type;
}

/* Shapes are static at plan time, so a graph input that carries a shape or indices (the int64
 * `shape` input of Reshape, fed from input_1.pb in the node tests) cannot stay a run-time
 * input. This rewrites the model so that every such input becomes an initializer holding this
 * data set's value: decode model.onnx, append the value to graph.initializer, drop the entry
 * from graph.input, re-encode. float32 and uint8 inputs are data and stay run-time inputs
 * (the library runs MaxPool and Copy on uint8). The values moved are marked consumed.
 * *out stays NULL when no input needed moving. */
static pb_status constant_inputs(Onnx__ModelProto *model, tensor_list *inputs, uint8_t **out,
                                 size_t *out_size, pb_msg *msg)
{
    *out = NULL;
    *out_size = 0;
    Onnx__GraphProto *g = model->graph;
    if (!g) return PB_OK;

    pb_status st = PB_OK;
    size_t n_moved = 0, fed = 0;
    Onnx__ValueInfoProto **kept = calloc(g->n_input + 1, sizeof *kept);
    Onnx__TensorProto **inits = calloc(g->n_initializer + g->n_input + 1, sizeof *inits);
    Onnx__TensorProto *moved = calloc(g->n_input + 1, sizeof *moved);
    size_t n_kept = 0;
    if (!kept || !inits || !moved) {
        st = pb_fail(msg, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < g->n_initializer; i++)
        inits[i] = g->initializer[i];

    for (size_t i = 0; i < g->n_input; i++) {
        Onnx__ValueInfoProto *v = g->input[i];
        const char *name = v->name ? v->name : "";
        if (is_initializer(g, name)) {
            kept[n_kept++] = v; /* an old-IR input with a default: not fed by tests */
            continue;
        }
        int et = input_elem_type(v);
        size_t index = fed++;
        if (et == DT_FLOAT || et == DT_UINT8) {
            kept[n_kept++] = v;
            continue;
        }
        /* index - n_moved: position among the test inputs not moved yet */
        tensor *t = pb_match_tensor(inputs, name, index - n_moved);
        if (!t) {
            st = pb_fail(msg, "no test data for graph input '%s'", name);
            goto done;
        }
        Onnx__TensorProto *p = &moved[n_moved];
        onnx__tensor_proto__init(p);
        p->name = (char *)name;
        p->n_dims = t->rank;
        p->dims = t->dims;
        p->has_data_type = 1;
        p->data_type = t->dtype;
        p->has_raw_data = 1;
        p->raw_data.len = t->bytes;
        p->raw_data.data = t->data;
        inits[g->n_initializer + n_moved] = p;
        t->consumed = true;
        n_moved++;
    }
    if (n_moved == 0) goto done;

    /* Swap the arrays in only for packing; the unpacked model keeps owning its originals. */
    Onnx__ValueInfoProto **old_input = g->input;
    Onnx__TensorProto **old_init = g->initializer;
    size_t old_n_input = g->n_input, old_n_init = g->n_initializer;
    g->input = kept;
    g->n_input = n_kept;
    g->initializer = inits;
    g->n_initializer = old_n_init + n_moved;
    size_t size = onnx__model_proto__get_packed_size(model);
    uint8_t *buf = malloc(size ? size : 1);
    if (buf) onnx__model_proto__pack(model, buf);
    g->input = old_input;
    g->n_input = old_n_input;
    g->initializer = old_init;
    g->n_initializer = old_n_init;
    if (!buf) {
        st = pb_fail(msg, "out of memory");
        goto done;
    }
    *out = buf;
    *out_size = size;
done:
    free(kept);
    free(inits);
    free(moved);
    return st;
}

/* The library's messages read "<source>: node '<name>' (<OpType>): ...": take OpType. */
static bool op_from_message(const char *message, char *op, size_t size)
{
    const char *node = strstr(message, "node '");
    if (!node) return false;
    const char *open = strstr(node + 6, "' (");
    if (!open) return false;
    open += 3;
    const char *close = strchr(open, ')');
    if (!close || close == open || (size_t)(close - open) >= size) return false;
    for (const char *c = open; c < close; c++)
        if (*c == ' ' || *c == '\'' || *c == '(') return false;
    memcpy(op, open, (size_t)(close - open));
    op[close - open] = '\0';
    return true;
}

/* Library messages may span lines (a kernel build log): keep each result on one line. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t') *s = ' ';
}

static pb_status from_library(const lenet_onnx_api *api, const char *what,
                              const lenet_onnx_error *err, bool may_skip, pb_msg *msg)
{
    char text[LENET_ONNX_MESSAGE_SIZE];
    snprintf(text, sizeof text, "%s", err->message);
    one_line(text);
    if (may_skip && err->status == LENET_ONNX_ERROR_UNSUPPORTED) {
        char op[100];
        if (!op_from_message(text, op, sizeof op)) return pb_skip(msg, "other", "%s", text);
        char cause[128];
        snprintf(cause, sizeof cause, "op %s", op);
        return pb_skip(msg, cause, "%s: %s", what, text);
    }
    return pb_fail(msg, "%s: %s: %s", what, api->status_name(err->status), text);
}

typedef struct compare_result {
    double max_abs_err;
    size_t bad; /* elements outside tolerance, over all outputs */
} compare_result;

static double element(const void *data, int dtype, size_t i)
{
    switch (dtype) {
    case DT_FLOAT:
        return ((const float *)data)[i];
    case DT_UINT8:
        return ((const uint8_t *)data)[i];
    case DT_INT32:
        return ((const int32_t *)data)[i];
    default:
        return (double)((const int64_t *)data)[i];
    }
}

/* |got - want| <= atol + rtol * |want| for float32 (NaN matches only NaN); exact otherwise. */
static void compare_output(const char *dir, const char *name, const void *got, const tensor *want,
                           compare_result *res)
{
    size_t bad = 0, worst = 0;
    double worst_err = -1.0;
    for (size_t i = 0; i < want->numel; i++) {
        bool ok;
        double err;
        if (want->dtype == DT_INT64) {
            int64_t g = ((const int64_t *)got)[i], w = ((const int64_t *)want->data)[i];
            ok = g == w;
            err = fabs((double)g - (double)w);
        } else {
            double g = element(got, want->dtype, i), w = element(want->data, want->dtype, i);
            if (isnan(g) || isnan(w)) {
                ok = isnan(g) && isnan(w);
                err = ok ? 0.0 : INFINITY;
            } else if (isinf(w)) {
                ok = g == w;
                err = ok ? 0.0 : INFINITY;
            } else {
                err = fabs(g - w);
                ok = want->dtype == DT_FLOAT ? err <= CHECK_ATOL + CHECK_RTOL * fabs(w) : err == 0;
            }
        }
        if (err > res->max_abs_err || isinf(err)) res->max_abs_err = err;
        if (!ok) {
            if (err > worst_err || bad == 0) {
                worst_err = err;
                worst = i;
            }
            bad++;
        }
    }
    if (bad) {
        fprintf(stderr,
                "%s: output '%s': %zu of %zu elements outside tolerance; worst at index %zu: "
                "got %.9g want %.9g\n",
                dir, name, bad, want->numel, worst, element(got, want->dtype, worst),
                element(want->data, want->dtype, worst));
    }
    res->bad += bad;
}

static bool same_dims(const lenet_onnx_tensor_info *info, const tensor *t)
{
    if (info->rank != t->rank) return false;
    for (size_t i = 0; i < t->rank; i++)
        if (info->dims[i] != t->dims[i]) return false;
    return true;
}

/* Feeds one data set to a session and compares its outputs. */
static pb_status run_session(const lenet_onnx_api *api, const char *dir, lenet_onnx_session *s,
                             tensor_list *inputs, tensor_list *outputs, compare_result *res,
                             pb_msg *msg)
{
    pb_status st = PB_OK;
    lenet_onnx_error err = {0};
    size_t n_in = api->session_io_count(s, LENET_ONNX_INPUT);
    size_t n_out = api->session_io_count(s, LENET_ONNX_OUTPUT);
    const void **in_ptrs = calloc(n_in + 1, sizeof *in_ptrs);
    void **out_ptrs = calloc(n_out + 1, sizeof *out_ptrs);
    const tensor **wants = calloc(n_out + 1, sizeof *wants);
    lenet_onnx_tensor_info *out_info = calloc(n_out + 1, sizeof *out_info);
    if (!in_ptrs || !out_ptrs || !wants || !out_info) {
        st = pb_fail(msg, "out of memory");
        goto done;
    }
    if (n_out != outputs->count) {
        st = pb_fail(msg, "session has %zu outputs, test data %zu", n_out, outputs->count);
        goto done;
    }
    for (size_t i = 0; i < n_in; i++) {
        lenet_onnx_tensor_info info;
        if (api->session_io_info(s, LENET_ONNX_INPUT, i, &info, &err) != LENET_ONNX_OK) {
            st = from_library(api, "session_io_info", &err, false, msg);
            goto done;
        }
        tensor *t = pb_match_tensor(inputs, info.name, i);
        if (!t) {
            st = pb_fail(msg, "no test data for input '%s'", info.name);
            goto done;
        }
        if ((int)info.dtype != t->dtype || info.size_bytes != t->bytes) {
            char dims[256];
            pb_format_dims(t->dims, t->rank, dims, sizeof dims);
            st = pb_fail(msg,
                         "input '%s': test data is %s %s (%zu bytes), session expects %s "
                         "%" PRIu64 " bytes",
                         info.name, pb_dtype_name(t->dtype), dims, t->bytes,
                         pb_dtype_name((int)info.dtype), info.size_bytes);
            goto done;
        }
        in_ptrs[i] = t->data;
    }
    for (size_t i = 0; i < n_out; i++) {
        if (api->session_io_info(s, LENET_ONNX_OUTPUT, i, &out_info[i], &err) != LENET_ONNX_OK) {
            st = from_library(api, "session_io_info", &err, false, msg);
            goto done;
        }
        /* outputs are matched like inputs, but none is ever consumed */
        const tensor *w = pb_match_tensor(outputs, out_info[i].name, i);
        if (!w) {
            st = pb_fail(msg, "no expected data for output '%s'", out_info[i].name);
            goto done;
        }
        char got_dims[256], want_dims[256];
        pb_format_dims(out_info[i].dims, out_info[i].rank, got_dims, sizeof got_dims);
        pb_format_dims(w->dims, w->rank, want_dims, sizeof want_dims);
        if ((int)out_info[i].dtype != w->dtype || !same_dims(&out_info[i], w) ||
            out_info[i].size_bytes != w->bytes) {
            st = pb_fail(msg, "output '%s': session gives %s %s, expected %s %s", out_info[i].name,
                         pb_dtype_name((int)out_info[i].dtype), got_dims, pb_dtype_name(w->dtype),
                         want_dims);
            goto done;
        }
        wants[i] = w;
        out_ptrs[i] = malloc(w->bytes ? w->bytes : 1);
        if (!out_ptrs[i]) {
            st = pb_fail(msg, "out of memory");
            goto done;
        }
    }
    if (api->session_run(s, in_ptrs, out_ptrs, &err) != LENET_ONNX_OK) {
        st = from_library(api, "session_run", &err, false, msg);
        goto done;
    }
    for (size_t i = 0; i < n_out; i++)
        compare_output(dir, out_info[i].name, out_ptrs[i], wants[i], res);
done:
    for (size_t i = 0; out_ptrs && i < n_out; i++)
        free(out_ptrs[i]);
    free(in_ptrs);
    free(out_ptrs);
    free(wants);
    free(out_info);
    return st;
}

/* batch_size for session_create: the matching test input's dim 0 when the model's first input
 * has a dynamic batch, else 0 (the model's own). */
static pb_status pick_batch(const lenet_onnx_api *api, const lenet_onnx_model *model,
                            tensor_list *inputs, uint32_t *batch, pb_msg *msg)
{
    *batch = 0;
    if (api->model_io_count(model, LENET_ONNX_INPUT) == 0) return PB_OK;
    lenet_onnx_tensor_info info;
    lenet_onnx_error err = {0};
    if (api->model_io_info(model, LENET_ONNX_INPUT, 0, &info, &err) != LENET_ONNX_OK)
        return from_library(api, "model_io_info", &err, false, msg);
    if (info.rank == 0 || info.dims[0] != -1) return PB_OK;
    const tensor *t = pb_match_tensor(inputs, info.name, 0);
    if (!t || t->rank == 0)
        return pb_fail(msg, "no test data gives the batch of input '%s'", info.name);
    if (t->dims[0] < 1 || t->dims[0] > UINT32_MAX)
        return pb_fail(msg, "input '%s': batch %" PRId64 " out of range", info.name, t->dims[0]);
    *batch = (uint32_t)t->dims[0];
    return PB_OK;
}

/* One data set: rewrite the model when inputs must become constants, load, plan, run, compare. */
static pb_status check_data_set(const lenet_onnx_api *api, lenet_onnx_context *ctx, const char *dir,
                                const char *model_path, Onnx__ModelProto *proto,
                                const char *set_dir, compare_result *res, pb_msg *msg)
{
    tensor_list inputs = {0}, outputs = {0};
    uint8_t *bytes = NULL;
    size_t size = 0;
    lenet_onnx_model *model = NULL;
    lenet_onnx_session *session = NULL;
    lenet_onnx_error err = {0};

    pb_status st = pb_load_set(set_dir, "input_", &inputs, msg);
    if (st == PB_OK) st = pb_load_set(set_dir, "output_", &outputs, msg);
    if (st == PB_OK && outputs.count == 0) st = pb_fail(msg, "%s: no output_*.pb", set_dir);
    if (st == PB_OK && proto) st = constant_inputs(proto, &inputs, &bytes, &size, msg);
    if (st != PB_OK) goto done;

    lenet_onnx_status ls = bytes ? api->model_load_bytes(bytes, size, &model, &err)
                                 : api->model_load_file(model_path, &model, &err);
    if (ls != LENET_ONNX_OK) {
        st = from_library(api, "model_load", &err, true, msg);
        goto done;
    }
    lenet_onnx_session_options opts = {0};
    opts.struct_size = sizeof opts;
    st = pick_batch(api, model, &inputs, &opts.batch_size, msg);
    if (st != PB_OK) goto done;
    if (api->session_create(ctx, model, &opts, &session, &err) != LENET_ONNX_OK) {
        st = from_library(api, "session_create", &err, true, msg);
        goto done;
    }
    st = run_session(api, dir, session, &inputs, &outputs, res, msg);
done:
    if (session) api->session_release(session);
    if (model) api->model_release(model);
    free(bytes);
    tensor_list_free(&inputs);
    tensor_list_free(&outputs);
    return st;
}

static const char *value_kind(const Onnx__ValueInfoProto *v)
{
    if (!v->type) return "untyped";
    switch (v->type->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
        return "tensor";
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
        return "sparse tensor";
    default:
        return "untyped";
    }
}

/* A graph input or output this tool cannot feed or compare: a non-tensor value (its .pb is a
 * SequenceProto or OptionalProto, not a TensorProto) or a dtype it does not decode. */
static pb_status check_io_types(const Onnx__GraphProto *g, pb_msg *msg)
{
    for (int out = 0; out < 2; out++) {
        size_t n = out ? g->n_output : g->n_input;
        for (size_t i = 0; i < n; i++) {
            const Onnx__ValueInfoProto *v = out ? g->output[i] : g->input[i];
            const char *name = v->name ? v->name : "";
            const char *io = out ? "output" : "input";
            if (!out && is_initializer(g, name)) continue;
            const char *kind = value_kind(v);
            char cause[64];
            if (strcmp(kind, "tensor") != 0) {
                snprintf(cause, sizeof cause, "%s value", kind);
                return pb_skip(msg, cause, "%s %s '%s'", kind, io, name);
            }
            int et = input_elem_type(v);
            if (et && pb_dtype_size(et) == 0) {
                snprintf(cause, sizeof cause, "dtype %s", pb_dtype_name(et));
                return pb_skip(msg, cause, "dtype %s %s '%s'", pb_dtype_name(et), io, name);
            }
        }
    }
    return PB_OK;
}

/* The test data cannot be used: still say which op the library rejects, when it does, as that
 * is what a skip must be counted under once the tool learns the dtype. */
static pb_status prefer_library_reason(const lenet_onnx_api *api, const char *model_path,
                                       pb_msg *msg)
{
    lenet_onnx_model *model = NULL;
    lenet_onnx_error err = {0};
    pb_msg lib = {{0}, {0}};
    if (api->model_load_file(model_path, &model, &err) != LENET_ONNX_OK &&
        from_library(api, "model_load", &err, true, &lib) == PB_SKIP &&
        strncmp(lib.cause, "op ", 3) == 0)
        *msg = lib;
    if (model) api->model_release(model);
    return PB_SKIP;
}

static pb_status check_dir(const lenet_onnx_api *api, lenet_onnx_context *ctx, const char *dir,
                           compare_result *res, pb_msg *msg)
{
    numbered *sets = NULL;
    size_t n_sets = 0;
    uint8_t *bytes = NULL;
    size_t size = 0;
    Onnx__ModelProto *proto = NULL;
    char *model_path = pb_path_join(dir, "model.onnx");
    if (!model_path) return pb_fail(msg, "out of memory");

    pb_status st = pb_list_numbered(dir, "test_data_set_", "", &sets, &n_sets, msg);
    if (st == PB_OK && n_sets == 0) st = pb_fail(msg, "no test_data_set_* directory");
    if (st == PB_OK) st = pb_read_file(model_path, &bytes, &size, msg);
    if (st != PB_OK) goto done;
    /* Only to find inputs that must become constants; when protobuf-c cannot decode it, the
     * library gets the file as is and reports what is wrong in its own words. */
    proto = onnx__model_proto__unpack(NULL, size, bytes);
    if (proto && proto->graph) st = check_io_types(proto->graph, msg);

    for (size_t i = 0; i < n_sets && st == PB_OK; i++) {
        char *set_dir = pb_path_join(dir, sets[i].name);
        if (!set_dir) {
            st = pb_fail(msg, "out of memory");
            break;
        }
        st = check_data_set(api, ctx, dir, model_path, proto, set_dir, res, msg);
        free(set_dir);
    }
done:
    if (st == PB_SKIP && strncmp(msg->cause, "op ", 3) != 0)
        st = prefer_library_reason(api, model_path, msg);
    if (proto) onnx__model_proto__free_unpacked(proto, NULL);
    free(bytes);
    pb_numbered_free(sets, n_sets);
    free(model_path);
    return st;
}

/* Skip causes and how many directories each one skipped. */
typedef struct cause_count {
    char cause[128];
    unsigned count;
} cause_count;

static int cause_cmp(const void *a, const void *b)
{
    const cause_count *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->cause, y->cause);
}

static void count_cause(cause_count *causes, size_t *n, const char *cause)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(causes[i].cause, cause) == 0) {
            causes[i].count++;
            return;
        }
    }
    snprintf(causes[*n].cause, sizeof causes[*n].cause, "%s", cause);
    causes[(*n)++].count = 1;
}

static void print_summary(cause_count *causes, size_t n, unsigned skipped)
{
    if (n) qsort(causes, n, sizeof *causes, cause_cmp);
    fprintf(stderr, "skip causes (%u directories):\n", skipped);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%6u  %s\n", causes[i].count, causes[i].cause);
}

static void print_usage(FILE *out)
{
    fputs("usage: " PROGRAM " [options] DIR [DIR ...]\n"
          "       " PROGRAM " [--backend B] --device list [--json]\n"
          "\n"
          "Runs ONNX backend test directories (model.onnx, test_data_set_*/input_*.pb and\n"
          "output_*.pb) and compares every output with ONNX's tolerances (rtol 1e-3, atol\n"
          "1e-7). One line per directory on stdout: PASS, FAIL or SKIP unsupported, then the\n"
          "counts.\n"
          "\n"
          "options:\n"
          "  --summary         also list the skip causes on stderr\n"
          "  --device D        an index, cpu, gpu, or part of a device name (default:\n"
          "                    $LENET_ONNX_DEVICE, else the first GPU, else the first device)\n"
          "  --device list     list the devices and exit (with --json: as JSON)\n"
          "  --backend NAME    a backend of the library (default: $LENET_ONNX_BACKEND, else auto)\n"
          "  --plugin PATH     the lenet-onnx library to load (default: $LENET_ONNX_PLUGIN,\n"
          "                    else the installed one beside this program, else the system's)\n"
          "  --version         print the tool's and the library's versions and exit\n"
          "  -h, --help        print this help and exit\n"
          "\n"
          "exit status: 0 every directory passed or was skipped, 1 a directory failed, 2 bad\n"
          "usage (an unknown option, a DIR that is not a folder)\n",
          out);
}

typedef struct check_options {
    const char *plugin;
    bool plugin_given, summary, help, version, device_list, json;
    cli_device_choice device;
    char **dirs;
    size_t dir_count;
} check_options;

static const cli_option check_option_table[] = {
    {"--plugin", true}, {"--device", true}, {"--backend", true},  {"--summary", false},
    {"--json", false},  {"--help", false},  {"--version", false}, {NULL, false},
};

static int apply_option(void *state, const char *name, const char *value, cli_error *err)
{
    check_options *o = state;
    (void)err;
    if (strcmp(name, "--plugin") == 0) {
        o->plugin = value;
        o->plugin_given = true;
    } else if (strcmp(name, "--device") == 0) {
        o->device_list = strcmp(value, "list") == 0;
        o->device.device = o->device_list ? NULL : value;
    } else if (strcmp(name, "--backend") == 0) {
        o->device.backend = value;
    } else {
        bool *flag = strcmp(name, "--summary") == 0   ? &o->summary
                     : strcmp(name, "--json") == 0    ? &o->json
                     : strcmp(name, "--version") == 0 ? &o->version
                                                      : &o->help;
        *flag = true;
    }
    return 0;
}

static int parse_args(int argc, char **argv, check_options *o, cli_error *err)
{
    memset(o, 0, sizeof *o);
    int rc =
        cli_parse(argc, argv, check_option_table, apply_option, o, &o->dirs, &o->dir_count, err);
    if (rc) return rc;
    if (o->help || o->version || o->device_list) return 0;
    if (o->dir_count == 0)
        return cli_fail(err, CLI_EXIT_USAGE, "missing DIR arguments (see --help)");
    /* Every operand is checked before any runs: a typo is bad usage, not a failed test. */
    for (size_t i = 0; i < o->dir_count; i++) {
        struct stat st;
        if (stat(o->dirs[i], &st) != 0)
            return cli_fail(err, CLI_EXIT_USAGE, "%s: %s", o->dirs[i], strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return cli_fail(err, CLI_EXIT_USAGE, "%s: not a folder", o->dirs[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    check_options o;
    cli_error err = {0};
    int rc = parse_args(argc, argv, &o, &err);
    if (rc == 0 && o.help) print_usage(stdout);
    if (rc == 0 && o.version) rc = cli_print_version(PROGRAM, o.plugin, o.plugin_given, &err);
    if (rc || o.help || o.version) {
        if (rc) cli_report(PROGRAM, &err);
        free(o.dirs);
        return rc;
    }
    cli_device_choice_defaults(&o.device);
    const lenet_onnx_api *api = cli_load_plugin(o.plugin, o.plugin_given, &err);
    if (api && o.device_list) rc = cli_list_devices(api, &o.device, o.json, &err);
    if (!api || o.device_list) {
        if (!api) rc = err.exit_code;
        if (rc) cli_report(PROGRAM, &err);
        free(o.dirs);
        return rc;
    }

    lenet_onnx_context *ctx = NULL;
    cli_device device;
    pb_msg ctx_msg = {{0}, {0}};
    pb_status ctx_st = PB_OK;
    cli_error ctx_err = {0};
    if (cli_open_context(api, &o.device, &ctx, &device, &ctx_err) != 0) {
        /* A --device that matches nothing is bad usage; a device that fails fails every dir. */
        if (ctx_err.exit_code == CLI_EXIT_USAGE) {
            cli_report(PROGRAM, &ctx_err);
            free(o.dirs);
            return CLI_EXIT_USAGE;
        }
        ctx_st = pb_fail(&ctx_msg, "%s", ctx_err.message);
    }
    int dir_count = (int)o.dir_count;
    char **dirs = o.dirs;
    unsigned passed = 0, failed = 0, skipped = 0;
    /* at most one cause per directory */
    cause_count *causes = calloc((size_t)dir_count + 1, sizeof *causes);
    size_t n_causes = 0;
    if (!causes) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        if (ctx) api->context_release(ctx);
        free(o.dirs);
        return CLI_EXIT_RUNTIME;
    }
    for (int i = 0; i < dir_count; i++) {
        const char *dir = dirs[i];
        compare_result res = {0.0, 0};
        pb_msg msg = {{0}, {0}};
        pb_status st = ctx_st;
        if (st == PB_OK)
            st = check_dir(api, ctx, dir, &res, &msg);
        else
            msg = ctx_msg;
        if (st == PB_OK && res.bad == 0) {
            printf("%s: PASS\n", dir);
            passed++;
        } else if (st == PB_OK) {
            printf("%s: FAIL max_abs_err=%g\n", dir, res.max_abs_err);
            failed++;
        } else if (st == PB_SKIP) {
            /* "op OP" on stdout, the library's words (attribute, version) on stderr */
            bool op = strncmp(msg.cause, "op ", 3) == 0;
            printf("%s: SKIP unsupported %s\n", dir, op ? msg.cause : msg.text);
            if (op) fprintf(stderr, "%s: %s\n", dir, msg.text);
            count_cause(causes, &n_causes, msg.cause);
            skipped++;
        } else {
            printf("%s: FAIL %s\n", dir, msg.text);
            failed++;
        }
        fflush(stdout);
    }
    printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    if (o.summary) print_summary(causes, n_causes, skipped);
    free(causes);
    free(o.dirs);
    if (ctx) api->context_release(ctx);
    return failed ? CLI_EXIT_RUNTIME : CLI_EXIT_OK;
}
