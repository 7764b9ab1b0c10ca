/* lenet-onnx-run: classify PNG images with an ONNX model through the lenet-onnx public ABI.
 *
 * The command-line contract (options, JSON shape, exit codes) is in ARCHITECTURE.md. Choices
 * the contract leaves open:
 * - Exit 2 (bad usage or input) for library statuses INVALID_ARGUMENT, IO, INVALID_MODEL and
 *   UNSUPPORTED; exit 1 for DEVICE, OUT_OF_MEMORY and ABI. A backend the library cannot open
 *   (--backend vulkan before it is built) is a runtime failure: exit 1.
 * - Every failure prints exactly one line on stderr, "lenet-onnx-run: WHERE: WHAT"; a library
 *   message spanning lines (an OpenCL build log) is joined into one.
 * - Results are printed only once every image has run, so a failure prints no partial results.
 * - --verbose writes to stderr, keeping stdout for results (one JSON object with --json).
 * - A model with a static batch B > 1 runs the images B at a time; the last batch is padded
 *   with zero-filled slots whose outputs are ignored.
 * - The first model output is the one reported; per image it is flattened to output_size /
 *   batch values. Labels past the end of the labels file are null (JSON) or "-" (table).
 * - --std values must be positive; --mean and --std take 1 value or one per input channel.
 * - A non-finite output or score prints as null in JSON, which has no NaN or infinity.
 * - --device INDEX past the backend's device list is bad usage (exit 2); --device list with no
 *   device at all is a runtime failure (exit 1).
 * - Work runs in the order labels, model, device, session, images: a bad PNG is found after the
 *   model has been planned, so a broken model is reported first.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lenet-onnx/lenet_onnx.h"

#include "image_prep.h"
#include "plugin_loader.h"

#define PROGRAM "lenet-onnx-run"

enum { EXIT_RUNTIME = 1, EXIT_BAD_INPUT = 2 };

typedef struct run_error {
    int exit_code; /* 0, EXIT_RUNTIME or EXIT_BAD_INPUT */
    char message[2048];
} run_error;

typedef struct options {
    const char **operands; /* the model then the images, in argv order */
    const char *model_path;
    const char **images; /* operands + 1 */
    size_t image_count;
    float mean[3];
    size_t mean_count;
    float std[3];
    size_t std_count;
    const char *labels_path;
    unsigned long top;
    bool json;
    bool verbose;
    bool help;
    bool device_list;
    bool device_given;
    uint32_t device_index;
    lenet_onnx_backend_kind backend;
    const char *backend_name;
    const char *plugin_path; /* --plugin, or NULL: plugin_load's search order */
} options;

typedef struct label_list {
    char **items;
    size_t count;
} label_list;

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))
#else
#define PRINTF_LIKE(fmt_index, args_index)
#endif

static int fail(run_error *err, int exit_code, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int fail(run_error *err, int exit_code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    err->exit_code = exit_code;
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return exit_code;
}

static int exit_code_for(lenet_onnx_status status)
{
    switch (status) {
    case LENET_ONNX_OK:
        return 0;
    case LENET_ONNX_ERROR_INVALID_ARGUMENT:
    case LENET_ONNX_ERROR_IO:
    case LENET_ONNX_ERROR_INVALID_MODEL:
    case LENET_ONNX_ERROR_UNSUPPORTED:
        return EXIT_BAD_INPUT;
    default:
        return EXIT_RUNTIME;
    }
}

/* A library failure: its message, prefixed by `where` unless the message already names it. */
static int fail_library(run_error *err, const lenet_onnx_api *api, lenet_onnx_status status,
                        const lenet_onnx_error *lib, int exit_code, const char *where)
{
    const char *message = lib->message[0] ? lib->message : api->status_name(status);
    if (!message) message = "unknown error";
    if (where && !strstr(message, where)) return fail(err, exit_code, "%s: %s", where, message);
    return fail(err, exit_code, "%s", message);
}

static int fail_image(run_error *err, const image_error *image_err)
{
    return fail(err, image_err->status == IMAGE_ERR_INPUT ? EXIT_BAD_INPUT : EXIT_RUNTIME, "%s",
                image_err->message);
}

static void print_usage(FILE *out)
{
    fputs("usage: " PROGRAM " [options] MODEL.onnx IMAGE.png [IMAGE.png ...]\n"
          "       " PROGRAM " [--backend B] --device list\n"
          "\n"
          "Classifies PNG images with an ONNX model. Each image is converted to the model's\n"
          "channel count (gray to RGB replicates, RGB to gray is BT.601 luma), resized\n"
          "bilinearly to the model's height and width, scaled to [0,1] and normalised.\n"
          "\n"
          "options:\n"
          "  --mean a[,b,c]    subtracted per channel (default 0)\n"
          "  --std a[,b,c]     divided per channel, positive (default 1)\n"
          "  --labels FILE     class names, one per line\n"
          "  --top K           best K classes per image (default 5)\n"
          "  --json            print one JSON object\n"
          "  --device list     list the backend's devices and exit\n"
          "  --device INDEX    run on that device (default: the first GPU, else the first)\n"
          "  --backend NAME    opencl (default) or vulkan\n"
          "  --verbose         print the plan, arena size and per-step times on stderr\n"
          "  --plugin PATH     the lenet-onnx library to load (default: $LENET_ONNX_PLUGIN,\n"
          "                    else the installed one beside this program, else the system's)\n"
          "  -h, --help        print this help and exit\n"
          "\n"
          "exit status: 0 success, 1 device or runtime failure, 2 bad usage or bad input\n",
          out);
}

/* Parses "a" or "a,b,c" into up to 3 finite floats. */
static bool parse_floats(const char *text, float *values, size_t *count)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        float v = strtof(p, &end);
        if (end == p || !isfinite(v) || n == 3) return false;
        values[n++] = v;
        if (*end == '\0') break;
        if (*end != ',') return false;
        p = end + 1;
    }
    *count = n;
    return n == 1 || n == 3;
}

/* Parses a decimal integer in [0, max] with no sign, space or trailing text. */
static bool parse_uint(const char *text, unsigned long max, unsigned long *value)
{
    if (text[0] < '0' || text[0] > '9') return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > max) return false;
    *value = v;
    return true;
}

/* Applies one option that takes a value. */
static int apply_option(options *opt, const char *name, const char *value, run_error *err)
{
    if (strcmp(name, "--plugin") == 0) {
        opt->plugin_path = value;
        return 0;
    }
    if (strcmp(name, "--mean") == 0 || strcmp(name, "--std") == 0) {
        bool is_std = name[2] == 's';
        float *values = is_std ? opt->std : opt->mean;
        size_t *count = is_std ? &opt->std_count : &opt->mean_count;
        if (!parse_floats(value, values, count))
            return fail(err, EXIT_BAD_INPUT, "%s '%s': expected 1 or 3 comma-separated numbers",
                        name, value);
        for (size_t i = 0; is_std && i < *count; i++)
            if (!(values[i] > 0))
                return fail(err, EXIT_BAD_INPUT, "%s %s: standard deviations must be positive",
                            name, value);
    } else if (strcmp(name, "--labels") == 0) {
        opt->labels_path = value;
    } else if (strcmp(name, "--top") == 0) {
        if (!parse_uint(value, 1000000000ul, &opt->top) || opt->top == 0)
            return fail(err, EXIT_BAD_INPUT, "--top '%s': expected a positive integer", value);
    } else if (strcmp(name, "--device") == 0) {
        unsigned long index;
        opt->device_list = strcmp(value, "list") == 0;
        opt->device_given = !opt->device_list;
        if (opt->device_given) {
            if (!parse_uint(value, UINT32_MAX, &index))
                return fail(err, EXIT_BAD_INPUT, "--device '%s': expected 'list' or a device index",
                            value);
            opt->device_index = (uint32_t)index;
        }
    } else if (strcmp(name, "--backend") == 0) {
        if (strcmp(value, "opencl") == 0)
            opt->backend = LENET_ONNX_BACKEND_OPENCL;
        else if (strcmp(value, "vulkan") == 0)
            opt->backend = LENET_ONNX_BACKEND_VULKAN;
        else
            return fail(err, EXIT_BAD_INPUT, "--backend '%s': expected opencl or vulkan", value);
        opt->backend_name = value;
    } else {
        return fail(err, EXIT_BAD_INPUT, "unknown option '%s' (see --help)", name);
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *opt, run_error *err)
{
    static const char *const with_value[] = {"--mean",   "--std",     "--labels", "--top",
                                             "--device", "--backend", "--plugin"};
    memset(opt, 0, sizeof *opt);
    opt->std[0] = opt->std[1] = opt->std[2] = 1.0f;
    opt->mean_count = opt->std_count = 1;
    opt->top = 5;
    opt->backend = LENET_ONNX_BACKEND_OPENCL;
    opt->backend_name = "opencl";
    opt->operands = calloc((size_t)argc, sizeof *opt->operands);
    if (!opt->operands) return fail(err, EXIT_RUNTIME, "out of memory");
    size_t positional = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            opt->operands[positional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            opt->help = true;
            return 0;
        }
        if (strcmp(arg, "--json") == 0) {
            opt->json = true;
            continue;
        }
        if (strcmp(arg, "--verbose") == 0) {
            opt->verbose = true;
            continue;
        }
        /* "--name=value" or "--name value" */
        char name[32];
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (name_len >= sizeof name) name_len = sizeof name - 1;
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        bool known = false;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
            known = known || strcmp(name, with_value[k]) == 0;
        if (!known) {
            if (strcmp(name, "--json") == 0 || strcmp(name, "--verbose") == 0 ||
                strcmp(name, "--help") == 0)
                return fail(err, EXIT_BAD_INPUT, "option %s takes no value", name);
            return fail(err, EXIT_BAD_INPUT, "unknown option '%s' (see --help)", arg);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) return fail(err, EXIT_BAD_INPUT, "option %s needs a value", name);
            value = argv[++i];
        }
        int rc = apply_option(opt, name, value, err);
        if (rc) return rc;
    }
    if (opt->device_list) return 0;
    if (positional < 2)
        return fail(err, EXIT_BAD_INPUT, "%s (see --help)",
                    positional == 0 ? "missing MODEL.onnx and IMAGE.png arguments"
                                    : "missing IMAGE.png arguments after the model");
    opt->model_path = opt->operands[0];
    opt->images = opt->operands + 1;
    opt->image_count = positional - 1;
    return 0;
}

static void free_labels(label_list *labels)
{
    for (size_t i = 0; i < labels->count; i++)
        free(labels->items[i]);
    free(labels->items);
    labels->items = NULL;
    labels->count = 0;
}

/* One label per line; a trailing "\r" (a Windows file) is dropped. */
static int load_labels(const char *path, label_list *labels, run_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return fail(err, EXIT_BAD_INPUT, "%s: cannot open: %s", path, strerror(errno));
    int rc = 0;
    char *line = NULL;
    size_t line_size = 0, capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &line_size, fp)) >= 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = '\0';
        if (labels->count == capacity) {
            size_t grown = capacity ? capacity * 2 : 16;
            char **items = realloc(labels->items, grown * sizeof *items);
            if (!items) {
                rc = fail(err, EXIT_RUNTIME, "%s: out of memory", path);
                goto done;
            }
            labels->items = items;
            capacity = grown;
        }
        labels->items[labels->count] = strdup(line);
        if (!labels->items[labels->count]) {
            rc = fail(err, EXIT_RUNTIME, "%s: out of memory", path);
            goto done;
        }
        labels->count++;
    }
    if (ferror(fp)) rc = fail(err, EXIT_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
done:
    free(line);
    fclose(fp);
    return rc;
}

static const char *device_type_name(lenet_onnx_device_type type)
{
    switch (type) {
    case LENET_ONNX_DEVICE_TYPE_CPU:
        return "cpu";
    case LENET_ONNX_DEVICE_TYPE_GPU:
        return "gpu";
    case LENET_ONNX_DEVICE_TYPE_ACCELERATOR:
        return "accelerator";
    default:
        return "other";
    }
}

/* The library fills fixed-size strings; a full one would have no terminator. */
static void terminate_device_strings(lenet_onnx_device_info *device)
{
    device->name[sizeof device->name - 1] = '\0';
    device->platform[sizeof device->platform - 1] = '\0';
    device->driver_version[sizeof device->driver_version - 1] = '\0';
}

/* Every device of the backend, in a malloc'ed array. A backend the library cannot open is a
 * runtime failure (exit 1), whatever status it reports. */
static int get_devices(const lenet_onnx_api *api, const options *opt,
                       lenet_onnx_device_info **devices, size_t *count, run_error *err)
{
    lenet_onnx_error lib = {0};
    size_t capacity = 16;
    *devices = NULL;
    for (;;) {
        lenet_onnx_device_info *list = calloc(capacity, sizeof *list);
        if (!list) return fail(err, EXIT_RUNTIME, "out of memory");
        lenet_onnx_status status = api->list_devices(opt->backend, list, capacity, count, &lib);
        if (status != LENET_ONNX_OK) {
            free(list);
            char where[64];
            snprintf(where, sizeof where, "%s backend", opt->backend_name);
            return fail_library(err, api, status, &lib, EXIT_RUNTIME, where);
        }
        if (*count <= capacity) {
            *devices = list;
            return 0;
        }
        free(list);
        capacity = *count;
    }
}

static int list_devices(const lenet_onnx_api *api, const options *opt, run_error *err)
{
    lenet_onnx_device_info *devices;
    size_t count;
    int rc = get_devices(api, opt, &devices, &count, err);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++) {
        terminate_device_strings(&devices[i]);
        printf("%" PRIu32 "  %-11s  %s  (%s)\n", devices[i].index,
               device_type_name(devices[i].type), devices[i].name, devices[i].platform);
    }
    free(devices);
    if (count == 0) return fail(err, EXIT_RUNTIME, "%s backend: no devices", opt->backend_name);
    return 0;
}

/* Length of the valid UTF-8 sequence at s, 0 when s does not start one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

/* Writes text as a JSON string: quotes, backslashes and control characters escaped, and bytes
 * that are not UTF-8 (a Latin-1 file name) replaced by U+FFFD so the output stays valid JSON. */
static void print_json_string(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', out);
    while (*s) {
        if (*s == '"' || *s == '\\') {
            fprintf(out, "\\%c", *s++);
        } else if (*s < 0x20) {
            const char *short_escape = *s == '\n'   ? "\\n"
                                       : *s == '\t' ? "\\t"
                                       : *s == '\r' ? "\\r"
                                       : *s == '\b' ? "\\b"
                                       : *s == '\f' ? "\\f"
                                                    : NULL;
            if (short_escape)
                fputs(short_escape, out);
            else
                fprintf(out, "\\u%04x", *s);
            s++;
        } else {
            size_t n = utf8_sequence_length(s);
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
    fputc('"', out);
}

/* "%.9g" gives every float back exactly; JSON has no NaN or infinity. */
static void print_json_float(FILE *out, float value)
{
    if (isfinite(value))
        fprintf(out, "%.9g", value);
    else
        fputs("null", out);
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
    size_t slot_floats; /* floats per image */
} input_shape;

/* Everything one invocation holds; release_state frees whatever was made. */
typedef struct run_state {
    const lenet_onnx_api *api;
    const options *opt;
    label_list labels;
    lenet_onnx_model *model;
    lenet_onnx_context *context;
    lenet_onnx_session *session;
    lenet_onnx_device_info device;
    const char *backend_name;
    lenet_onnx_session_stats stats;
    input_shape shape;
    float *input;   /* one batch */
    void **outputs; /* a buffer per session output; the first is the one reported */
    size_t output_count;
    size_t output_size; /* floats of the first output per image */
    float *results;     /* image_count x output_size */
} run_state;

static const char *label_of(const run_state *r, uint32_t index)
{
    return index < r->labels.count ? r->labels.items[index] : NULL;
}

static void print_json(const run_state *r, ranked *ranks, size_t top)
{
    const options *opt = r->opt;
    fputs("{\"model\": ", stdout);
    print_json_string(stdout, opt->model_path);
    fputs(", \"device\": ", stdout);
    print_json_string(stdout, r->device.name);
    fputs(", \"backend\": ", stdout);
    print_json_string(stdout, r->backend_name);
    printf(", \"arena_bytes\": %" PRIu64 ", \"results\": [", r->stats.arena_bytes);
    for (size_t i = 0; i < opt->image_count; i++) {
        const float *output = r->results + i * r->output_size;
        fputs(i ? ",\n  {\"image\": " : "\n  {\"image\": ", stdout);
        print_json_string(stdout, opt->images[i]);
        fputs(", \"output\": [", stdout);
        for (size_t k = 0; k < r->output_size; k++) {
            if (k) fputs(", ", stdout);
            print_json_float(stdout, output[k]);
        }
        fputs("], \"top\": [", stdout);
        rank_scores(output, r->output_size, r->stats.ends_in_softmax != 0, ranks);
        for (size_t k = 0; k < top; k++) {
            const char *label = label_of(r, ranks[k].index);
            printf("%s{\"index\": %" PRIu32 ", \"label\": ", k ? ", " : "", ranks[k].index);
            if (label)
                print_json_string(stdout, label);
            else
                fputs("null", stdout);
            fputs(", \"score\": ", stdout);
            print_json_float(stdout, ranks[k].score);
            fputc('}', stdout);
        }
        fputs("]}", stdout);
    }
    fputs("\n]}\n", stdout);
}

static void print_table(const run_state *r, ranked *ranks, size_t top)
{
    const options *opt = r->opt;
    printf("model %s on %s (%s)\n", opt->model_path, r->device.name, r->backend_name);
    for (size_t i = 0; i < opt->image_count; i++) {
        printf("\n%s\n  rank  index       score  label\n", opt->images[i]);
        rank_scores(r->results + i * r->output_size, r->output_size, r->stats.ends_in_softmax != 0,
                    ranks);
        for (size_t k = 0; k < top; k++) {
            const char *label = label_of(r, ranks[k].index);
            printf("  %4zu  %5" PRIu32 "  %10.6f  %s\n", k + 1, ranks[k].index, ranks[k].score,
                   label ? label : "-");
        }
    }
}

static int print_results(const run_state *r, run_error *err)
{
    ranked *ranks = calloc(r->output_size, sizeof *ranks);
    if (!ranks) return fail(err, EXIT_RUNTIME, "out of memory");
    size_t top = r->opt->top < r->output_size ? r->opt->top : r->output_size;
    if (r->opt->json)
        print_json(r, ranks, top);
    else
        print_table(r, ranks, top);
    free(ranks);
    if (fflush(stdout) != 0 || ferror(stdout))
        return fail(err, EXIT_RUNTIME, "cannot write the results: %s", strerror(errno));
    return 0;
}

static int describe_input(const lenet_onnx_tensor_info *info, const options *opt,
                          input_shape *shape, run_error *err)
{
    const char *path = opt->model_path;
    if (info->dtype != LENET_ONNX_DTYPE_FLOAT32)
        return fail(err, EXIT_BAD_INPUT, "%s: input '%s' is not float32", path, info->name);
    if (info->rank != 4)
        return fail(err, EXIT_BAD_INPUT,
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
        return fail(err, EXIT_BAD_INPUT,
                    "%s: input '%s' has shape [%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                    "], which lenet-onnx-run cannot fill",
                    path, info->name, d[0], d[1], d[2], d[3]);
    if (c != 1 && c != 3)
        return fail(err, EXIT_BAD_INPUT,
                    "%s: input '%s' has %" PRId64 " channels; images convert to 1 or 3", path,
                    info->name, c);
    if ((opt->mean_count != 1 && opt->mean_count != (size_t)c) ||
        (opt->std_count != 1 && opt->std_count != (size_t)c))
        return fail(err, EXIT_BAD_INPUT,
                    "--mean/--std: %zu and %zu values given, but the model input has %" PRId64
                    " channel%s",
                    opt->mean_count, opt->std_count, c, c == 1 ? "" : "s");
    shape->batch = (uint32_t)d[0];
    shape->spec.channels = (uint32_t)c;
    shape->spec.height = (uint32_t)h;
    shape->spec.width = (uint32_t)w;
    shape->spec.layout = nhwc ? IMAGE_LAYOUT_NHWC : IMAGE_LAYOUT_NCHW;
    for (int k = 0; k < 3; k++) {
        shape->spec.mean[k] = opt->mean[opt->mean_count == 1 ? 0 : k];
        shape->spec.std[k] = opt->std[opt->std_count == 1 ? 0 : k];
    }
    shape->slot_floats = (size_t)c * (size_t)h * (size_t)w;
    if (shape->batch > SIZE_MAX / sizeof(float) / shape->slot_floats ||
        info->size_bytes != shape->batch * shape->slot_floats * sizeof(float))
        return fail(err, EXIT_RUNTIME, "%s: input '%s' is %" PRIu64 " bytes, not %zu", path,
                    info->name, info->size_bytes,
                    (size_t)shape->batch * shape->slot_floats * sizeof(float));
    return 0;
}

/* Both text getters fill a caller's buffer and say how much they needed: grow and ask again. */
static void print_plan(const lenet_onnx_api *api, const lenet_onnx_session *session)
{
    lenet_onnx_error lib = {0};
    lenet_onnx_status status;
    size_t size = 4096, needed = 0;
    char *text = NULL;
    do {
        free(text);
        if (needed > size) size = needed;
        text = malloc(size);
        status = text ? api->session_describe_plan(session, text, size, &needed, &lib)
                      : LENET_ONNX_ERROR_OUT_OF_MEMORY;
    } while (status == LENET_ONNX_OK && needed > size);
    if (status == LENET_ONNX_OK) {
        text[size - 1] = '\0';
        size_t length = strlen(text);
        fprintf(stderr, "%s%s", text, length && text[length - 1] == '\n' ? "" : "\n");
    } else {
        fprintf(stderr, "plan: not available: %s\n", lib.message);
    }
    free(text);
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
    fprintf(stderr, "run of images %zu-%zu: %.3f ms\n", first + 1, first + count, wall_ms);
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

static void release_state(run_state *s)
{
    free(s->input);
    free(s->results);
    for (size_t i = 0; s->outputs && i < s->output_count; i++)
        free(s->outputs[i]);
    free(s->outputs);
    if (s->session) s->api->session_release(s->session);
    if (s->context) s->api->context_release(s->context);
    if (s->model) s->api->model_release(s->model);
    free_labels(&s->labels);
}

/* A library failure about the model file. */
static int fail_model(run_state *s, lenet_onnx_status status, const lenet_onnx_error *lib,
                      run_error *err)
{
    return fail_library(err, s->api, status, lib, exit_code_for(status), s->opt->model_path);
}

/* Loads the model; says whether its batch dimension is dynamic. */
static int load_model(run_state *s, bool *dynamic_batch, run_error *err)
{
    const options *opt = s->opt;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = s->api->model_load_file(opt->model_path, &s->model, &lib);
    if (status) return fail_model(s, status, &lib, err);
    size_t input_count = s->api->model_io_count(s->model, LENET_ONNX_INPUT);
    if (input_count != 1)
        return fail(err, EXIT_BAD_INPUT, "%s: the model has %zu inputs; lenet-onnx-run feeds one",
                    opt->model_path, input_count);
    lenet_onnx_tensor_info info;
    status = s->api->model_io_info(s->model, LENET_ONNX_INPUT, 0, &info, &lib);
    if (status) return fail_model(s, status, &lib, err);
    *dynamic_batch = info.rank > 0 && info.dims[0] < 0;
    return 0;
}

/* Opens the chosen device. A backend the library cannot open (vulkan before it is built) is a
 * runtime failure, exit 1, even when the library calls it UNSUPPORTED. */
static int open_context(run_state *s, run_error *err)
{
    const options *opt = s->opt;
    char where[64];
    snprintf(where, sizeof where, "%s backend", opt->backend_name);
    if (opt->device_given) {
        /* Checked here so that a wrong index is bad usage with a clear message. */
        lenet_onnx_device_info *devices;
        size_t count;
        int rc = get_devices(s->api, opt, &devices, &count, err);
        if (rc) return rc;
        free(devices);
        if (opt->device_index >= count)
            return fail(err, EXIT_BAD_INPUT,
                        "--device %" PRIu32 ": the %s backend has %zu device%s (see --device list)",
                        opt->device_index, opt->backend_name, count, count == 1 ? "" : "s");
    }
    lenet_onnx_context_options options = {0};
    options.struct_size = sizeof options;
    options.backend = opt->backend;
    options.device_select = opt->device_given ? LENET_ONNX_DEVICE_INDEX : LENET_ONNX_DEVICE_AUTO;
    options.device_index = opt->device_index;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = s->api->context_create(&options, &s->context, &lib);
    if (status)
        return fail_library(
            err, s->api, status, &lib,
            status == LENET_ONNX_ERROR_UNSUPPORTED ? EXIT_RUNTIME : exit_code_for(status), where);
    status = s->api->context_device(s->context, &s->device, &s->backend_name, &lib);
    if (status) return fail_library(err, s->api, status, &lib, EXIT_RUNTIME, where);
    terminate_device_strings(&s->device);
    if (!s->backend_name) s->backend_name = opt->backend_name;
    return 0;
}

/* Plans the model for the batch and makes the input, output and result buffers. */
static int open_session(run_state *s, bool dynamic_batch, run_error *err)
{
    const options *opt = s->opt;
    lenet_onnx_session_options options = {0};
    options.struct_size = sizeof options;
    options.batch_size = dynamic_batch ? (uint32_t)opt->image_count : 0;
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
    int rc = describe_input(&info, opt, &s->shape, err);
    if (rc) return rc;
    uint32_t batch = s->shape.batch;

    s->output_count = s->api->session_io_count(s->session, LENET_ONNX_OUTPUT);
    if (s->output_count == 0)
        return fail(err, EXIT_BAD_INPUT, "%s: the model has no output", opt->model_path);
    s->outputs = calloc(s->output_count, sizeof *s->outputs);
    if (!s->outputs) return fail(err, EXIT_RUNTIME, "out of memory");
    for (size_t i = 0; i < s->output_count; i++) {
        status = s->api->session_io_info(s->session, LENET_ONNX_OUTPUT, i, &info, &lib);
        if (status) return fail_model(s, status, &lib, err);
        if (i == 0 && (info.dtype != LENET_ONNX_DTYPE_FLOAT32 || info.size_bytes == 0 ||
                       info.size_bytes % (batch * sizeof(float)) != 0))
            return fail(err, EXIT_BAD_INPUT,
                        "%s: output '%s' is not a float32 tensor with a row per image",
                        opt->model_path, info.name);
        if (i == 0) s->output_size = info.size_bytes / sizeof(float) / batch;
        s->outputs[i] = malloc(info.size_bytes ? info.size_bytes : 1);
        if (!s->outputs[i])
            return fail(err, EXIT_RUNTIME, "out of memory for output '%s'", info.name);
    }
    s->input = malloc(batch * s->shape.slot_floats * sizeof(float));
    s->results = malloc(opt->image_count * s->output_size * sizeof(float));
    if (!s->input || !s->results)
        return fail(err, EXIT_RUNTIME, "out of memory for a batch of %" PRIu32, batch);
    return 0;
}

static void print_session(const run_state *s)
{
    const input_shape *shape = &s->shape;
    fprintf(stderr,
            "device: %s (%s, %s), batch %" PRIu32 ", input %s %" PRIu32 "x%" PRIu32 "x%" PRIu32
            "\n",
            s->device.name, s->backend_name, s->device.platform, shape->batch,
            shape->spec.layout == IMAGE_LAYOUT_NHWC ? "NHWC" : "NCHW", shape->spec.channels,
            shape->spec.height, shape->spec.width);
    print_plan(s->api, s->session); /* ends with the arena, its naive size and the weights */
}

/* Decodes and prepares the images a batch at a time, runs each batch and keeps the outputs. */
static int run_images(run_state *s, run_error *err)
{
    const options *opt = s->opt;
    const input_shape *shape = &s->shape;
    for (size_t first = 0; first < opt->image_count; first += shape->batch) {
        size_t count = opt->image_count - first;
        if (count > shape->batch) count = shape->batch;
        for (size_t k = 0; k < count; k++) {
            image_f32 image;
            image_error image_err;
            image_status status = image_load_png(opt->images[first + k], &image, &image_err);
            if (status == IMAGE_OK)
                status = image_prepare(&image, &shape->spec, s->input + k * shape->slot_floats,
                                       &image_err);
            image_release(&image);
            if (status != IMAGE_OK) return fail_image(err, &image_err);
        }
        /* Padding slots of a static batch: zeros, their outputs ignored. */
        memset(s->input + count * shape->slot_floats, 0,
               (shape->batch - count) * shape->slot_floats * sizeof(float));
        const void *inputs[1] = {s->input};
        lenet_onnx_error lib = {0};
        double start = now_ms();
        lenet_onnx_status status = s->api->session_run(s->session, inputs, s->outputs, &lib);
        if (status) return fail_model(s, status, &lib, err);
        if (opt->verbose) print_step_timings(s->api, s->session, first, count, now_ms() - start);
        memcpy(s->results + first * s->output_size, s->outputs[0],
               count * s->output_size * sizeof(float));
    }
    return 0;
}

/* Everything after argument parsing, in the order that reports bad input before device work
 * where it can: labels, model, device, session, images. */
static int run(const lenet_onnx_api *api, const options *opt, run_error *err)
{
    run_state s = {0};
    s.api = api;
    s.opt = opt;
    bool dynamic_batch = false;
    int rc = opt->labels_path ? load_labels(opt->labels_path, &s.labels, err) : 0;
    if (!rc) rc = load_model(&s, &dynamic_batch, err);
    if (!rc) rc = open_context(&s, err);
    if (!rc) rc = open_session(&s, dynamic_batch, err);
    if (!rc && opt->verbose) print_session(&s);
    if (!rc) rc = run_images(&s, err);
    if (!rc) rc = print_results(&s, err);
    release_state(&s);
    return rc;
}

/* Prints the message on one line: a multi-line library message is joined with "; ". */
static void print_error(const char *message)
{
    fputs(PROGRAM ": ", stderr);
    bool pending_separator = false;
    for (const char *p = message; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            pending_separator = true;
            continue;
        }
        if (pending_separator) fputs("; ", stderr);
        pending_separator = false;
        fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    options opt;
    run_error err = {0};
    int rc = parse_args(argc, argv, &opt, &err);
    if (rc == 0 && opt.help) {
        print_usage(stdout);
    } else if (rc == 0) {
        /* ABI 1 holds every function this program uses. */
        const lenet_onnx_api *api =
            plugin_load(opt.plugin_path, 1, offsetof(lenet_onnx_api, set_host_hooks), err.message,
                        sizeof err.message);
        if (!api)
            rc = err.exit_code = EXIT_RUNTIME;
        else if (opt.device_list)
            rc = list_devices(api, &opt, &err);
        else
            rc = run(api, &opt, &err);
    }
    if (rc) print_error(err.message);
    free((void *)opt.operands);
    return rc;
}
