/* lenet-onnx-run: classify images (PNG, JPEG) or raw tensors (.pb, .npy) with an ONNX model
 * through the lenet-onnx public ABI, or describe a model (--info).
 *
 * The command-line contract (options, JSON shapes, exit codes) is in docs/cli.md. Choices it
 * leaves open:
 * - Inputs stream through one session of --batch N (default: the number of inputs when they
 *   are all named on the command line, at most 64; else 64); the last batch is padded with
 *   zero-filled slots whose outputs are ignored. A model with a static batch B runs B at a time.
 * - The table and --jsonl print each batch's results when it has run; --json prints one object
 *   at the end (nothing on stdout when the run fails).
 * - Without --keep-going the first unreadable input stops the run (exit 2); with it, the input
 *   gets an "error" result and a line on stderr, the rest run, and the exit status is 2.
 * - Every failure prints exactly one line on stderr, "lenet-onnx-run: WHERE: WHAT".
 * - The first model output is the one reported; per image it is flattened to output_size /
 *   batch values. A label list whose length differs from that count is an error.
 * - Work runs in the order model, settings (labels), device, session, inputs: a bad input is
 *   found after the model has been planned, so a broken model is reported first.
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "file_read.h"
#include "image_load.h"
#include "image_prep.h"
#include "lenet-onnx/lenet_onnx.h"
#include "compare_backends.h"
#include "plan_svg.h"
#include "run_info.h"
#include "run_inputs.h"
#include "run_settings.h"
#include "tensor_file.h"

#define PROGRAM           "lenet-onnx-run"
#define DEFAULT_MAX_BATCH 64u
#define MAX_BATCH         65536ul

typedef struct options {
    char **operands; /* the model then the inputs, in argv order */
    size_t operand_count;
    channel_values mean, std;
    bool mean_given, std_given;
    const char *labels_path;
    unsigned long top;
    unsigned long batch; /* 0: the default */
    bool json, jsonl, verbose, keep_going, info, help, version, device_list;
    cli_device_choice device;
    const char *plugin_path;
    bool plugin_given;
    const char *compare_backend; /* --compare-backend: the reference of a per-node comparison */
    double atol, rtol;           /* --tolerance (negative: the comparison's defaults) */
    const char *plan_svg;        /* --plan-svg: where to draw the arena */
} options;

static void print_usage(FILE *out)
{
    fputs("usage: " PROGRAM " [options] MODEL.onnx INPUT [INPUT ...]\n"
          "       " PROGRAM " --info [--json] MODEL.onnx\n"
          "       " PROGRAM " [--backend B] --device list [--json]\n"
          "\n"
          "Classifies images with an ONNX model. An INPUT is a PNG or JPEG image, a raw tensor\n"
          "(.pb TensorProto or .npy float32, fed as is), a folder (its .png .jpg .jpeg .pb .npy\n"
          "files, sorted) or '-' (paths on stdin, one per line). An image is converted to the\n"
          "model's channel count, resized bilinearly to its height and width, scaled to [0,1]\n"
          "and normalised. Preprocessing and labels come from the options, else the model's\n"
          "metadata, else (labels) MODEL-labels.txt or labels.txt beside the model.\n"
          "\n"
          "options:\n"
          "  --mean a[,b,c]    subtracted per channel (default: metadata, else 0)\n"
          "  --std a[,b,c]     divided per channel, positive (default: metadata, else 1)\n"
          "  --labels FILE     class names, one per line\n"
          "  --top K           best K classes per image (default 5)\n"
          "  --batch N         images per run of the model (default: the inputs, at most 64)\n"
          "  --keep-going      report an unreadable input in its result and go on (exit 2)\n"
          "  --json            print one JSON object at the end\n"
          "  --jsonl           print one JSON object per input, as results come\n"
          "  --info            describe the model: producer, inputs, outputs, metadata, and the\n"
          "                    plan of a session of --batch (default: the model's, or 1)\n"
          "  --device D        an index, cpu, gpu, or part of a device name (default:\n"
          "                    $LENET_ONNX_DEVICE, else the first GPU, else the first device)\n"
          "  --device list     list the devices and exit (with --json: as JSON)\n"
          "  --backend NAME    a backend of the library (default: $LENET_ONNX_BACKEND, else auto)\n"
          "  --verbose         on stderr: where each setting came from, the plan, step times\n"
          "  --compare-backend NAME\n"
          "                    run the first batch on the chosen backend and on NAME (e.g. ref)\n"
          "                    step by step; print each node's max abs/rel error and the first\n"
          "                    node past tolerance (exit 1 when one is)\n"
          "  --tolerance ATOL[,RTOL]\n"
          "                    what --compare-backend allows: |d| <= ATOL + RTOL * |ref|\n"
          "                    (default 1e-5,1e-3)\n"
          "  --plan-svg FILE   draw the arena (offset x step, a rectangle per buffer) as SVG\n"
          "  --plugin PATH     the lenet-onnx library to load (default: $LENET_ONNX_PLUGIN,\n"
          "                    else the installed one beside this program, else the system's)\n"
          "  --version         print the tool's and the library's versions and exit\n"
          "  -h, --help        print this help and exit\n"
          "\n"
          "exit status: 0 success, 1 device or runtime failure, 2 bad usage or bad input\n",
          out);
}

static const cli_option run_options[] = {
    {"--mean", true},     {"--std", true},       {"--labels", true},   {"--top", true},
    {"--batch", true},    {"--device", true},    {"--backend", true},  {"--plugin", true},
    {"--json", false},    {"--jsonl", false},    {"--verbose", false}, {"--keep-going", false},
    {"--info", false},    {"--help", false},     {"--version", false}, {"--compare-backend", true},
    {"--plan-svg", true}, {"--tolerance", true}, {NULL, false},
};

static int apply_option(void *state, const char *name, const char *value, cli_error *err)
{
    options *opt = state;
    if (strcmp(name, "--mean") == 0 || strcmp(name, "--std") == 0) {
        bool is_std = name[2] == 's';
        channel_values *target = is_std ? &opt->std : &opt->mean;
        if (!settings_parse_values(value, is_std, target))
            return cli_fail(err, CLI_EXIT_USAGE, "%s '%s': expected 1 or 3 comma-separated %s",
                            name, value, is_std ? "positive numbers" : "numbers");
        snprintf(target->source, sizeof target->source, "%s", name);
        *(is_std ? &opt->std_given : &opt->mean_given) = true;
    } else if (strcmp(name, "--labels") == 0) {
        opt->labels_path = value;
    } else if (strcmp(name, "--top") == 0) {
        if (!cli_parse_uint(value, 1000000000ul, &opt->top) || opt->top == 0)
            return cli_fail(err, CLI_EXIT_USAGE, "--top '%s': expected a positive integer", value);
    } else if (strcmp(name, "--batch") == 0) {
        if (!cli_parse_uint(value, MAX_BATCH, &opt->batch) || opt->batch == 0)
            return cli_fail(err, CLI_EXIT_USAGE, "--batch '%s': expected an integer in 1..%lu",
                            value, MAX_BATCH);
    } else if (strcmp(name, "--device") == 0) {
        opt->device_list = strcmp(value, "list") == 0;
        opt->device.device = opt->device_list ? NULL : value;
    } else if (strcmp(name, "--backend") == 0) {
        opt->device.backend = value;
    } else if (strcmp(name, "--compare-backend") == 0) {
        opt->compare_backend = value;
    } else if (strcmp(name, "--tolerance") == 0) {
        char *end = NULL;
        opt->atol = strtod(value, &end);
        bool has_rtol = end && *end == ',';
        if (has_rtol) opt->rtol = strtod(end + 1, &end);
        if (!end || *end || !(opt->atol >= 0) || (has_rtol && !(opt->rtol >= 0)) || value[0] == ',')
            return cli_fail(err, CLI_EXIT_USAGE,
                            "--tolerance '%s': expected ATOL or ATOL,RTOL, non-negative", value);
    } else if (strcmp(name, "--plan-svg") == 0) {
        opt->plan_svg = value;
    } else if (strcmp(name, "--plugin") == 0) {
        opt->plugin_path = value;
        opt->plugin_given = true;
    } else {
        bool *flag = strcmp(name, "--json") == 0         ? &opt->json
                     : strcmp(name, "--jsonl") == 0      ? &opt->jsonl
                     : strcmp(name, "--verbose") == 0    ? &opt->verbose
                     : strcmp(name, "--keep-going") == 0 ? &opt->keep_going
                     : strcmp(name, "--info") == 0       ? &opt->info
                     : strcmp(name, "--version") == 0    ? &opt->version
                                                         : &opt->help;
        *flag = true;
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *opt, cli_error *err)
{
    memset(opt, 0, sizeof *opt);
    opt->top = 5;
    opt->atol = opt->rtol = -1;
    int rc = cli_parse(argc, argv, run_options, apply_option, opt, &opt->operands,
                       &opt->operand_count, err);
    if (rc) return rc;
    if (opt->help || opt->version || opt->device_list) return 0;
    if (opt->json && opt->jsonl)
        return cli_fail(err, CLI_EXIT_USAGE, "--json and --jsonl: choose one");
    if (opt->info && opt->operand_count != 1)
        return cli_fail(err, CLI_EXIT_USAGE, "--info takes one MODEL.onnx (see --help)");
    if (!opt->info && opt->operand_count < 2)
        return cli_fail(err, CLI_EXIT_USAGE, "%s (see --help)",
                        opt->operand_count == 0 ? "missing MODEL.onnx and INPUT arguments"
                                                : "missing INPUT arguments after the model");
    return 0;
}

typedef struct ranked {
    float score;
    uint32_t index;
} ranked;

/* Best score first, NaN last, ties by lower index. */
static int compare_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    bool a_nan = isnan(a->score), b_nan = isnan(b->score);
    if (a_nan != b_nan) return a_nan ? 1 : -1;
    if (!a_nan && a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Scores of one image, best first: softmax of the output, or the output itself when the graph
 * already ends in Softmax. */
static void rank_scores(const float *output, size_t size, bool is_probability, ranked *out)
{
    double max = -INFINITY, sum = 0;
    for (size_t i = 0; i < size; i++)
        if (output[i] > max) max = output[i];
    for (size_t i = 0; i < size && !is_probability; i++)
        sum += exp((double)output[i] - max);
    for (size_t i = 0; i < size; i++) {
        out[i].index = (uint32_t)i;
        out[i].score = is_probability ? output[i] : (float)(exp((double)output[i] - max) / sum);
    }
    qsort(out, size, sizeof *out, compare_ranked);
}

/* The model input as the tool sees it: batch, channels, size and layout. */
typedef struct input_shape {
    uint32_t batch;
    image_prep_spec spec;
    image_prep_color color;
    size_t slot_floats; /* floats per image */
} input_shape;

/* Everything one invocation holds; release_state frees whatever was made. */
typedef struct run_state {
    const lenet_onnx_api *api;
    const options *opt;
    run_settings settings;
    lenet_onnx_model *model;
    lenet_onnx_context *context;
    lenet_onnx_session *session;
    cli_device device;
    lenet_onnx_session_stats stats;
    input_shape shape;
    float *input;   /* one batch */
    void **outputs; /* a buffer per session output; the first is the one reported */
    size_t output_count;
    size_t output_size; /* floats of the first output per image */
    ranked *ranks;
    char **names;    /* the inputs of the batch */
    char **errors;   /* per slot: NULL, or why the input could not be read (--keep-going) */
    FILE *out;       /* stdout, or the buffer of --json */
    char *json_text; /* --json's buffer */
    size_t json_size;
    size_t printed; /* results printed so far */
    size_t failed;  /* inputs that could not be read (--keep-going) */
} run_state;

static const char *label_of(const run_state *r, uint32_t index)
{
    return index < r->settings.labels.count ? r->settings.labels.items[index] : NULL;
}

static void print_header(run_state *r)
{
    const options *opt = r->opt;
    if (opt->json) {
        fputs("{\"model\": ", r->out);
        cli_json_string(r->out, opt->operands[0]);
        fputs(", \"device\": ", r->out);
        cli_json_string(r->out, r->device.name);
        fputs(", \"backend\": ", r->out);
        cli_json_string(r->out, r->device.backend);
        fprintf(r->out, ", \"arena_bytes\": %" PRIu64 ", \"results\": [", r->stats.arena_bytes);
    } else if (!opt->jsonl) {
        fprintf(r->out, "model %s on %s (%s)\n", opt->operands[0], r->device.name,
                r->device.backend);
    }
}

/* One input's result: its scores, or the error that kept it from running. */
static void print_result(run_state *r, const char *image, const float *output, const char *error)
{
    const options *opt = r->opt;
    FILE *out = r->out;
    size_t top = opt->top < r->output_size ? opt->top : r->output_size;
    if (output) rank_scores(output, r->output_size, r->stats.ends_in_softmax != 0, r->ranks);
    if (!opt->json && !opt->jsonl) {
        fprintf(out, "\n%s\n", image);
        if (error) {
            fprintf(out, "  error: %s\n", error);
            return;
        }
        fputs("  rank  index       score  label\n", out);
        for (size_t k = 0; k < top; k++) {
            const char *label = label_of(r, r->ranks[k].index);
            fprintf(out, "  %4zu  %5" PRIu32 "  %10.6f  %s\n", k + 1, r->ranks[k].index,
                    r->ranks[k].score, label ? label : "-");
        }
        return;
    }
    if (opt->json) fputs(r->printed ? ",\n  " : "\n  ", out);
    fputs("{\"image\": ", out);
    cli_json_string(out, image);
    if (error) {
        fputs(", \"error\": ", out);
        cli_json_string(out, error);
    } else {
        fputs(", \"output\": [", out);
        for (size_t k = 0; k < r->output_size; k++) {
            if (k) fputs(", ", out);
            cli_json_number(out, output[k]);
        }
        fputs("], \"top\": [", out);
        for (size_t k = 0; k < top; k++) {
            const char *label = label_of(r, r->ranks[k].index);
            fprintf(out, "%s{\"index\": %" PRIu32 ", \"label\": ", k ? ", " : "",
                    r->ranks[k].index);
            if (label)
                cli_json_string(out, label);
            else
                fputs("null", out);
            fputs(", \"score\": ", out);
            cli_json_number(out, r->ranks[k].score);
            fputc('}', out);
        }
        fputc(']', out);
    }
    fputs(opt->jsonl ? "}\n" : "}", out);
}

static int describe_input(const lenet_onnx_tensor_info *info, run_state *s, cli_error *err)
{
    const char *path = s->opt->operands[0];
    const run_settings *settings = &s->settings;
    input_shape *shape = &s->shape;
    if (info->dtype != LENET_ONNX_DTYPE_FLOAT32)
        return cli_fail(err, CLI_EXIT_USAGE, "%s: input '%s' is not float32", path, info->name);
    if (info->rank != 4)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "%s: input '%s' has rank %" PRIu32 ", not an image shape [N,C,H,W] or "
                        "[N,H,W,C]",
                        path, info->name, info->rank);
    const int64_t *d = info->dims;
    lenet_onnx_layout layout = info->layout;
    if (layout != LENET_ONNX_LAYOUT_NCHW && layout != LENET_ONNX_LAYOUT_NHWC)
        layout = (d[3] == 1 || d[3] == 3) && d[1] != 1 && d[1] != 3 ? LENET_ONNX_LAYOUT_NHWC
                                                                    : LENET_ONNX_LAYOUT_NCHW;
    bool nhwc = layout == LENET_ONNX_LAYOUT_NHWC;
    int64_t c = nhwc ? d[3] : d[1], h = nhwc ? d[1] : d[2], w = nhwc ? d[2] : d[3];
    if (d[0] < 1 || d[0] > UINT32_MAX || h < 1 || h > IMAGE_MAX_SIDE || w < 1 || w > IMAGE_MAX_SIDE)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "%s: input '%s' has shape [%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                        "], which lenet-onnx-run cannot fill",
                        path, info->name, d[0], d[1], d[2], d[3]);
    if (c != 1 && c != 3)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "%s: input '%s' has %" PRId64 " channels; images convert to 1 or 3", path,
                        info->name, c);
    const channel_values *mean = &settings->mean, *std = &settings->std;
    if ((mean->count != 1 && mean->count != (size_t)c) ||
        (std->count != 1 && std->count != (size_t)c))
        return cli_fail(err, CLI_EXIT_USAGE,
                        "mean/std: %zu and %zu values (from %s and %s), but the model input has "
                        "%" PRId64 " channel%s",
                        mean->count, std->count, mean->source, std->source, c, c == 1 ? "" : "s");
    shape->batch = (uint32_t)d[0];
    shape->spec.channels = (uint32_t)c;
    shape->spec.height = (uint32_t)h;
    shape->spec.width = (uint32_t)w;
    shape->spec.layout = nhwc ? IMAGE_LAYOUT_NHWC : IMAGE_LAYOUT_NCHW;
    shape->color.bgr = settings->bgr;
    shape->color.linear = settings->linear;
    for (int k = 0; k < 3; k++) {
        shape->spec.mean[k] = mean->values[mean->count == 1 ? 0 : k];
        shape->spec.std[k] = std->values[std->count == 1 ? 0 : k];
    }
    shape->slot_floats = (size_t)c * (size_t)h * (size_t)w;
    if (shape->batch > SIZE_MAX / sizeof(float) / shape->slot_floats ||
        info->size_bytes != shape->batch * shape->slot_floats * sizeof(float))
        return cli_fail(err, CLI_EXIT_RUNTIME, "%s: input '%s' is %" PRIu64 " bytes, not %zu", path,
                        info->name, info->size_bytes,
                        (size_t)shape->batch * shape->slot_floats * sizeof(float));
    return 0;
}

static void print_step_timings(const lenet_onnx_api *api, const lenet_onnx_session *session,
                               size_t first, size_t count, double wall_ms)
{
    lenet_onnx_error lib = {0};
    lenet_onnx_status status;
    size_t capacity = 64, steps = 0;
    lenet_onnx_step_timing *timings = NULL;
    do {
        free(timings);
        if (steps > capacity) capacity = steps;
        timings = calloc(capacity, sizeof *timings);
        status = timings ? api->session_step_timings(session, timings, capacity, &steps, &lib)
                         : LENET_ONNX_ERROR_OUT_OF_MEMORY;
    } while (status == LENET_ONNX_OK && steps > capacity);
    fprintf(stderr, "run of inputs %zu-%zu: %.3f ms\n", first + 1, first + count, wall_ms);
    if (status == LENET_ONNX_OK) {
        for (size_t i = 0; i < steps; i++)
            fprintf(stderr, "  %-24.*s %-20.*s %9.3f ms\n", (int)sizeof timings[i].node_name,
                    timings[i].node_name, (int)sizeof timings[i].op_type, timings[i].op_type,
                    timings[i].milliseconds);
    } else {
        fprintf(stderr, "  step timings not available: %s\n", lib.message);
    }
    free(timings);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void clear_batch(run_state *s)
{
    for (uint32_t i = 0; s->names && i < s->shape.batch; i++) {
        free(s->names[i]);
        free(s->errors[i]);
        s->names[i] = s->errors[i] = NULL;
    }
}

static void release_state(run_state *s)
{
    clear_batch(s);
    free(s->names);
    free(s->errors);
    free(s->input);
    free(s->ranks);
    for (size_t i = 0; s->outputs && i < s->output_count; i++)
        free(s->outputs[i]);
    free(s->outputs);
    if (s->out && s->out != stdout) fclose(s->out);
    free(s->json_text);
    if (s->session) s->api->session_release(s->session);
    if (s->context) s->api->context_release(s->context);
    if (s->model) s->api->model_release(s->model);
    settings_release(&s->settings);
}

/* A library failure about the model file. */
static int fail_model(run_state *s, lenet_onnx_status status, const lenet_onnx_error *lib,
                      cli_error *err)
{
    return cli_fail_library(err, s->api, status, lib, cli_exit_code_for(status),
                            s->opt->operands[0]);
}

/* Says "the model comes first" when an image was given where the model belongs. */
static int check_model_file(const char *path, cli_error *err)
{
    FILE *f;
    if (file_open_regular(path, FILE_MAX_MODEL_BYTES, "model", &f, NULL, err->message,
                          sizeof err->message))
        return err->exit_code = CLI_EXIT_USAGE;
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    bool png = got == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0;
    bool jpeg = got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF;
    if (png || jpeg)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "%s: a %s image, not an ONNX model; the model comes first (see --help)",
                        path, png ? "PNG" : "JPEG");
    return 0;
}

static int load_model(run_state *s, bool *dynamic_batch, cli_error *err)
{
    const char *path = s->opt->operands[0];
    int rc = check_model_file(path, err);
    if (rc) return rc;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = s->api->model_load_file(path, &s->model, &lib);
    if (status) return fail_model(s, status, &lib, err);
    size_t input_count = s->api->model_io_count(s->model, LENET_ONNX_INPUT);
    if (input_count != 1)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "%s: the model has %zu inputs; lenet-onnx-run feeds one", path,
                        input_count);
    lenet_onnx_tensor_info info;
    status = s->api->model_io_info(s->model, LENET_ONNX_INPUT, 0, &info, &lib);
    if (status) return fail_model(s, status, &lib, err);
    *dynamic_batch = info.rank > 0 && info.dims[0] < 0;
    run_setting_options given = {s->opt->mean_given ? &s->opt->mean : NULL,
                                 s->opt->std_given ? &s->opt->std : NULL, s->opt->labels_path};
    return settings_resolve(s->api, s->model, path, &given, &s->settings, err);
}

/* The session's batch: --batch, else the number of inputs up to 64, else 64. */
static uint32_t chosen_batch(const options *opt, size_t known_count)
{
    if (opt->batch) return (uint32_t)opt->batch;
    if (known_count == 0 || known_count > DEFAULT_MAX_BATCH) return DEFAULT_MAX_BATCH;
    return (uint32_t)known_count;
}

/* Plans the model for the batch and makes the input, output and per-slot buffers. */
static int open_session(run_state *s, bool dynamic_batch, size_t known_count, cli_error *err)
{
    const options *opt = s->opt;
    const char *path = opt->operands[0];
    lenet_onnx_session_options options = {0};
    options.struct_size = sizeof options;
    options.batch_size = dynamic_batch ? chosen_batch(opt, known_count) : 0;
    options.profiling = opt->verbose;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status =
        s->api->session_create(s->context, s->model, &options, &s->session, &lib);
    if (status) return fail_model(s, status, &lib, err);
    status = s->api->session_stats(s->session, &s->stats, &lib);
    if (status) return fail_model(s, status, &lib, err);

    lenet_onnx_tensor_info info;
    status = s->api->session_io_info(s->session, LENET_ONNX_INPUT, 0, &info, &lib);
    if (status) return fail_model(s, status, &lib, err);
    int rc = describe_input(&info, s, err);
    if (rc) return rc;
    uint32_t batch = s->shape.batch;
    if (!dynamic_batch && opt->batch && opt->batch != batch)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "--batch %lu: the model's batch is static (%" PRIu32 ")", opt->batch,
                        batch);

    s->output_count = s->api->session_io_count(s->session, LENET_ONNX_OUTPUT);
    if (s->output_count == 0)
        return cli_fail(err, CLI_EXIT_USAGE, "%s: the model has no output", path);
    s->outputs = calloc(s->output_count, sizeof *s->outputs);
    if (!s->outputs) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
    for (size_t i = 0; i < s->output_count; i++) {
        status = s->api->session_io_info(s->session, LENET_ONNX_OUTPUT, i, &info, &lib);
        if (status) return fail_model(s, status, &lib, err);
        if (i == 0 && (info.dtype != LENET_ONNX_DTYPE_FLOAT32 || info.size_bytes == 0 ||
                       info.size_bytes % (batch * sizeof(float)) != 0))
            return cli_fail(err, CLI_EXIT_USAGE,
                            "%s: output '%s' is not a float32 tensor with a row per image", path,
                            info.name);
        if (i == 0) s->output_size = info.size_bytes / sizeof(float) / batch;
        s->outputs[i] = malloc(info.size_bytes ? info.size_bytes : 1);
        if (!s->outputs[i])
            return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory for output '%s'", info.name);
    }
    size_t labels = s->settings.labels.count;
    if (labels != 0 && labels != s->output_size)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "labels: %zu labels (from %s), but the model has %zu classes", labels,
                        s->settings.labels_source, s->output_size);
    s->input = malloc(batch * s->shape.slot_floats * sizeof(float));
    s->ranks = calloc(s->output_size, sizeof *s->ranks);
    s->names = calloc(batch, sizeof *s->names);
    s->errors = calloc(batch, sizeof *s->errors);
    if (!s->input || !s->ranks || !s->names || !s->errors)
        return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory for a batch of %" PRIu32, batch);
    return 0;
}

static void print_session(const run_state *s)
{
    const input_shape *shape = &s->shape;
    const options *opt = s->opt;
    settings_print(stderr, &s->settings);
    fprintf(stderr, "  backend %s  (%s)\n  device %s  (%s)\n",
            opt->device.backend ? opt->device.backend : "auto", opt->device.backend_source,
            opt->device.device ? opt->device.device : "auto", opt->device.device_source);
    fprintf(stderr, "  batch  %" PRIu32 "  (%s)\n", shape->batch,
            opt->batch ? "--batch" : "the model's, or the number of inputs up to 64");
    fprintf(stderr,
            "device: %s (%s, %s), batch %" PRIu32 ", input %s %" PRIu32 "x%" PRIu32 "x%" PRIu32
            "\n",
            s->device.name, s->device.backend, s->device.driver, shape->batch,
            shape->spec.layout == IMAGE_LAYOUT_NHWC ? "NHWC" : "NCHW", shape->spec.channels,
            shape->spec.height, shape->spec.width);
    run_info_print_plan(stderr, s->api, s->session); /* the plan, arena, naive size, weights */
}

/* Fills slot k from a raw tensor file: one image's values, fed as they are. */
static int load_raw(const run_state *s, const char *path, float *slot, char *message, size_t size)
{
    tensor_file t;
    if (tensor_file_load(path, &t, message, size)) return 1;
    const image_prep_spec *spec = &s->shape.spec;
    bool nhwc = spec->layout == IMAGE_LAYOUT_NHWC;
    int64_t want[3] = {nhwc ? spec->height : spec->channels, nhwc ? spec->width : spec->height,
                       nhwc ? spec->channels : spec->width};
    size_t skip = t.rank == 4 && t.dims[0] == 1 ? 1 : 0;
    bool fits = t.rank - skip == 3;
    for (size_t i = 0; fits && i < 3; i++)
        fits = t.dims[skip + i] == want[i];
    if (!fits) {
        char dims[160] = "";
        for (size_t i = 0; i < t.rank; i++)
            snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%s%" PRId64, i ? "," : "",
                     t.dims[i]);
        snprintf(message, size,
                 "%s: a tensor of shape [%s]; one input of the model is [1,%" PRId64 ",%" PRId64
                 ",%" PRId64 "] (or without the 1)",
                 path, dims, want[0], want[1], want[2]);
        tensor_file_release(&t);
        return 1;
    }
    memcpy(slot, t.data, s->shape.slot_floats * sizeof(float));
    tensor_file_release(&t);
    return 0;
}

/* Reads one input into slot k: 0, or 1 with the reason in message. */
static int load_input(const run_state *s, const char *path, float *slot, char *message, size_t size)
{
    if (tensor_file_is_raw(path)) return load_raw(s, path, slot, message, size);
    image_f32 image;
    image_error image_err;
    image_status status = image_load(path, &image, &image_err);
    if (status == IMAGE_OK)
        status = image_prepare_color(&image, &s->shape.spec, &s->shape.color, slot, &image_err);
    image_release(&image);
    if (status == IMAGE_OK) return 0;
    snprintf(message, size, "%s", image_err.message);
    return status == IMAGE_ERR_NO_MEMORY ? -1 : 1;
}

/* Runs the filled slots and prints their results. */
static int run_batch(run_state *s, size_t first, size_t count, cli_error *err)
{
    const input_shape *shape = &s->shape;
    size_t runnable = 0;
    for (size_t k = 0; k < count; k++)
        runnable += s->errors[k] == NULL;
    if (runnable > 0) {
        /* Padding slots of the last batch, and failed inputs: zeros, their outputs ignored. */
        memset(s->input + count * shape->slot_floats, 0,
               (shape->batch - count) * shape->slot_floats * sizeof(float));
        const void *inputs[1] = {s->input};
        lenet_onnx_error lib = {0};
        double start = now_ms();
        lenet_onnx_status status = s->api->session_run(s->session, inputs, s->outputs, &lib);
        if (status) return fail_model(s, status, &lib, err);
        if (s->opt->verbose) print_step_timings(s->api, s->session, first, count, now_ms() - start);
    }
    if (s->printed == 0 && first == 0) print_header(s);
    for (size_t k = 0; k < count; k++) {
        const float *output = (const float *)s->outputs[0] + k * s->output_size;
        print_result(s, s->names[k], s->errors[k] ? NULL : output, s->errors[k]);
        s->printed++;
    }
    if (s->out == stdout && (fflush(stdout) != 0 || ferror(stdout)))
        return cli_fail(err, CLI_EXIT_RUNTIME, "cannot write the results: %s", strerror(errno));
    return 0;
}

/* Reads up to one batch of inputs into the slots; *count is how many, *done whether the
 * inputs ran out. */
static int fill_batch(run_state *s, run_inputs *inputs, size_t *count_out, bool *done,
                      cli_error *err)
{
    const input_shape *shape = &s->shape;
    size_t count = 0;
    *count_out = 0;
    clear_batch(s);
    while (count < shape->batch) {
        const char *path;
        int got = run_inputs_next(inputs, &path, err->message, sizeof err->message);
        if (got < 0) return err->exit_code = CLI_EXIT_USAGE;
        if (got == 0) {
            *done = true;
            break;
        }
        s->names[count] = strdup(path);
        if (!s->names[count]) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        float *slot = s->input + count * shape->slot_floats;
        char message[1536];
        int rc = load_input(s, path, slot, message, sizeof message);
        if (rc < 0) return cli_fail(err, CLI_EXIT_RUNTIME, "%s", message);
        if (rc > 0 && !s->opt->keep_going) return cli_fail(err, CLI_EXIT_USAGE, "%s", message);
        if (rc > 0) {
            fprintf(stderr, PROGRAM ": %s\n", message);
            s->errors[count] = strdup(message);
            memset(slot, 0, shape->slot_floats * sizeof(float));
            s->failed++;
        }
        *count_out = ++count;
    }
    return 0;
}

/* Streams the inputs through the session a batch at a time. */
static int run_inputs_through(run_state *s, run_inputs *inputs, cli_error *err)
{
    size_t first = 0;
    for (bool done = false; !done;) {
        size_t count = 0;
        int rc = fill_batch(s, inputs, &count, &done, err);
        if (rc) return rc;
        if (count == 0) break;
        rc = run_batch(s, first, count, err);
        if (rc) return rc;
        first += count;
    }
    if (first == 0) return cli_fail(err, CLI_EXIT_USAGE, "no inputs (an empty list on stdin?)");
    return 0;
}

static int finish_output(run_state *s, cli_error *err)
{
    if (!s->opt->json) return 0;
    fputs("\n]}\n", s->out);
    if (fclose(s->out) != 0) {
        s->out = NULL;
        return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory for the JSON output");
    }
    s->out = NULL;
    if (fwrite(s->json_text, 1, s->json_size, stdout) != s->json_size || fflush(stdout) != 0)
        return cli_fail(err, CLI_EXIT_RUNTIME, "cannot write the results: %s", strerror(errno));
    return 0;
}

/* --plan-svg: the session's arena as a picture. */
static int write_plan_svg(const run_state *s, cli_error *err)
{
    FILE *f = fopen(s->opt->plan_svg, "w");
    if (!f)
        return cli_fail(err, CLI_EXIT_USAGE, "--plan-svg %s: %s", s->opt->plan_svg,
                        strerror(errno));
    lenet_onnx_error lib = {0};
    int rc = lo_write_plan_svg(s->api, s->session, s->opt->operands[0], f, &lib);
    if (fclose(f) != 0 && rc == 0) rc = -1;
    if (rc)
        return cli_fail(err, CLI_EXIT_RUNTIME, "--plan-svg %s: %s", s->opt->plan_svg,
                        lib.message[0] ? lib.message : "cannot write the file");
    return 0;
}

/* --compare-backend: the first batch on the chosen backend and on the reference, step by step. */
static int compare_first_batch(run_state *s, run_inputs *inputs, cli_error *err)
{
    size_t count = 0;
    bool done = false;
    int rc = fill_batch(s, inputs, &count, &done, err);
    if (rc) return rc;
    if (count == 0) return cli_fail(err, CLI_EXIT_USAGE, "no inputs (an empty list on stdin?)");
    cli_device_choice ref_choice;
    memset(&ref_choice, 0, sizeof ref_choice);
    ref_choice.backend = s->opt->compare_backend;
    ref_choice.backend_source = "--compare-backend";
    ref_choice.device_source = "the default";
    lenet_onnx_context *reference = NULL;
    cli_device ref_device;
    rc = cli_open_context(s->api, &ref_choice, &reference, &ref_device, err);
    if (rc) return rc;
    const void *in[1] = {s->input};
    lo_compare_request request = {s->model, s->context,   reference,   s->shape.batch,
                                  in,       s->opt->atol, s->opt->rtol};
    lo_compare_report report;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = lo_compare_backends(s->api, &request, &report, &lib);
    s->api->context_release(reference);
    if (status) return fail_model(s, status, &lib, err);
    lo_compare_print(stdout, &report, s->opt->operands[0], s->opt->json);
    rc = report.first_past_tolerance >= 0
             ? cli_fail(err, CLI_EXIT_RUNTIME, "step %ld (%s) differs from %s past tolerance",
                        report.first_past_tolerance,
                        report.steps[report.first_past_tolerance].info.node_name,
                        s->opt->compare_backend)
             : 0;
    lo_compare_report_free(&report);
    return rc;
}

/* Everything after argument parsing, in the order that reports bad input before device work
 * where it can: model and settings, device, session, inputs. */
static int run(const lenet_onnx_api *api, const options *opt, cli_error *err)
{
    run_state s = {0};
    s.api = api;
    s.opt = opt;
    s.out = stdout;
    run_inputs inputs;
    run_inputs_init(&inputs, opt->operands + 1, opt->operand_count - 1);
    bool dynamic_batch = false;
    if (opt->json) {
        s.out = open_memstream(&s.json_text, &s.json_size);
        if (!s.out) {
            release_state(&s);
            return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        }
    }
    int rc = load_model(&s, &dynamic_batch, err);
    if (!rc) rc = cli_open_context(api, &opt->device, &s.context, &s.device, err);
    if (!rc) rc = open_session(&s, dynamic_batch, run_inputs_known_count(&inputs), err);
    if (!rc && opt->verbose) print_session(&s);
    if (!rc && opt->plan_svg) rc = write_plan_svg(&s, err);
    if (!rc && opt->compare_backend) {
        rc = compare_first_batch(&s, &inputs, err);
        run_inputs_release(&inputs);
        release_state(&s);
        return rc;
    }
    if (!rc) rc = run_inputs_through(&s, &inputs, err);
    if (!rc) rc = finish_output(&s, err);
    if (!rc && s.failed)
        rc = cli_fail(err, CLI_EXIT_USAGE, "%zu of %zu inputs could not be read", s.failed,
                      s.printed);
    run_inputs_release(&inputs);
    release_state(&s);
    return rc;
}

int main(int argc, char **argv)
{
    options opt;
    cli_error err = {0};
    int rc = parse_args(argc, argv, &opt, &err);
    if (rc == 0 && opt.help) {
        print_usage(stdout);
    } else if (rc == 0 && opt.version) {
        rc = cli_print_version(PROGRAM, opt.plugin_path, opt.plugin_given, &err);
    } else if (rc == 0) {
        cli_device_choice_defaults(&opt.device);
        const lenet_onnx_api *api = cli_load_plugin(opt.plugin_path, opt.plugin_given, &err);
        if (!api)
            rc = err.exit_code;
        else if (opt.device_list)
            rc = cli_list_devices(api, &opt.device, opt.json, &err);
        else if (opt.info)
            rc = run_info(api, opt.operands[0], &opt.device, (uint32_t)opt.batch, opt.json, &err);
        else
            rc = run(api, &opt, &err);
    }
    if (rc) cli_report(PROGRAM, &err);
    free(opt.operands);
    return rc;
}
