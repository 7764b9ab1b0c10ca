/* Command line over metadata over files beside the model over defaults. */
#include "run_settings.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"

bool settings_parse_values(const char *text, bool positive, channel_values *out)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        float v = strtof(p, &end);
        if (end == p || !isfinite(v) || n == 3 || (positive && !(v > 0))) return false;
        out->values[n++] = v;
        if (*end == '\0') break;
        if (*end != ',') return false;
        p = end + 1;
    }
    out->count = n;
    return n == 1 || n == 3;
}

int settings_split_labels(const char *text, size_t length, label_list *out)
{
    memset(out, 0, sizeof *out);
    size_t lines = 0;
    for (size_t i = 0; i < length; i++)
        lines += text[i] == '\n';
    if (length > 0 && text[length - 1] != '\n') lines++;
    out->items = calloc(lines ? lines : 1, sizeof *out->items);
    if (!out->items) return -1;
    const char *p = text, *end = text + length;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
        size_t kept = n;
        while (kept > 0 && p[kept - 1] == '\r')
            kept--;
        char *label = malloc(kept + 1);
        if (!label) return -1;
        memcpy(label, p, kept);
        label[kept] = '\0';
        out->items[out->count++] = label;
        p += n + (eol ? 1 : 0);
    }
    return 0;
}

static void free_labels(label_list *labels)
{
    for (size_t i = 0; i < labels->count; i++)
        free(labels->items[i]);
    free(labels->items);
    memset(labels, 0, sizeof *labels);
}

void settings_release(run_settings *settings)
{
    free_labels(&settings->labels);
}

static int read_labels_file(const char *path, label_list *labels, cli_error *err)
{
    unsigned char *text;
    size_t size;
    if (file_read_all(path, FILE_MAX_LABELS_BYTES, "labels file", &text, &size, err->message,
                      sizeof err->message)) {
        err->exit_code = CLI_EXIT_USAGE;
        return CLI_EXIT_USAGE;
    }
    int rc = settings_split_labels((const char *)text, size, labels);
    free(text);
    if (rc) return cli_fail(err, CLI_EXIT_RUNTIME, "%s: out of memory", path);
    return 0;
}

static const char *metadata(const lenet_onnx_api *api, const lenet_onnx_model *model,
                            const char *key)
{
    if (!CLI_HAS_SLOT(api, model_metadata)) return NULL;
    const char *value = NULL;
    lenet_onnx_error lib = {0};
    if (api->model_metadata(model, key, &value, &lib) != LENET_ONNX_OK) return NULL;
    return value;
}

static void set_values(channel_values *out, float value, const char *source)
{
    out->values[0] = out->values[1] = out->values[2] = value;
    out->count = 1;
    snprintf(out->source, sizeof out->source, "%s", source);
}

/* Image.NominalPixelRange as a normalisation of [0,1] pixels (ONNX's MetadataProps values). */
static int range_normalisation(const char *range, float *mean, float *std)
{
    if (strcmp(range, "NominalRange_0_255") == 0) {
        *mean = 0.0f;
        *std = 1.0f / 255.0f;
    } else if (strcmp(range, "Normalized_0_1") == 0) {
        *mean = 0.0f;
        *std = 1.0f;
    } else if (strcmp(range, "Normalized_1_1") == 0) {
        *mean = 0.5f;
        *std = 0.5f;
    } else if (strcmp(range, "NominalRange_16_235") == 0) {
        *mean = -16.0f / 219.0f;
        *std = 1.0f / 219.0f;
    } else {
        return -1;
    }
    return 0;
}

static int resolve_normalisation(const lenet_onnx_api *api, const lenet_onnx_model *model,
                                 const char *model_path, const run_setting_options *given,
                                 run_settings *out, cli_error *err)
{
    set_values(&out->mean, 0.0f, "default");
    set_values(&out->std, 1.0f, "default");
    const char *range = metadata(api, model, META_PIXEL_RANGE);
    if (range) {
        float mean = 0.0f, std = 1.0f;
        bool known = range_normalisation(range, &mean, &std) == 0;
        if (!known && (!given->mean || !given->std))
            return cli_fail(err, CLI_EXIT_USAGE,
                            "%s: metadata " META_PIXEL_RANGE " '%s' is not NominalRange_0_255, "
                            "Normalized_0_1, Normalized_1_1 or NominalRange_16_235 (give --mean "
                            "and --std)",
                            model_path, range);
        if (known) {
            set_values(&out->mean, mean, "metadata " META_PIXEL_RANGE);
            set_values(&out->std, std, "metadata " META_PIXEL_RANGE);
        }
    }
    const char *keys[2] = {META_MEAN, META_STD};
    channel_values *targets[2] = {&out->mean, &out->std};
    for (int k = 0; k < 2; k++) {
        const char *text = metadata(api, model, keys[k]);
        channel_values parsed;
        if (!text) continue;
        if (!settings_parse_values(text, k == 1, &parsed))
            return cli_fail(err, CLI_EXIT_USAGE,
                            "%s: metadata %s '%s' is not 1 or 3 comma-separated numbers%s",
                            model_path, keys[k], text, k == 1 ? " (positive)" : "");
        snprintf(parsed.source, sizeof parsed.source, "metadata %s", keys[k]);
        *targets[k] = parsed;
    }
    if (given->mean) out->mean = *given->mean;
    if (given->std) out->std = *given->std;
    return 0;
}

static int resolve_pixels(const lenet_onnx_api *api, const lenet_onnx_model *model,
                          const char *model_path, run_settings *out, cli_error *err)
{
    snprintf(out->pixel_format_source, sizeof out->pixel_format_source, "RGB or gray (default)");
    const char *format = metadata(api, model, META_PIXEL_FORMAT);
    if (format) {
        static const char *const rgb[] = {"Gray8", "Rgb8", "Rgba8"};
        bool known = false;
        for (size_t i = 0; i < 3; i++)
            known = known || strcmp(format, rgb[i]) == 0;
        out->bgr = strcmp(format, "Bgr8") == 0 || strcmp(format, "Bgra8") == 0;
        if (!known && !out->bgr)
            return cli_fail(err, CLI_EXIT_USAGE,
                            "%s: metadata " META_PIXEL_FORMAT " '%s' is not Gray8, Rgb8, Bgr8, "
                            "Rgba8 or Bgra8",
                            model_path, format);
        snprintf(out->pixel_format_source, sizeof out->pixel_format_source,
                 "%s (metadata " META_PIXEL_FORMAT ")", format);
    }
    snprintf(out->gamma_source, sizeof out->gamma_source, "sRGB values as stored (default)");
    const char *gamma = metadata(api, model, META_GAMMA);
    if (gamma) {
        out->linear = strcmp(gamma, "Linear") == 0;
        if (!out->linear && strcmp(gamma, "SRGB") != 0)
            return cli_fail(err, CLI_EXIT_USAGE,
                            "%s: metadata " META_GAMMA " '%s' is not SRGB or Linear", model_path,
                            gamma);
        snprintf(out->gamma_source, sizeof out->gamma_source, "%s (metadata " META_GAMMA ")",
                 gamma);
    }
    return 0;
}

/* "<folder>/<stem>-labels.txt", then "<folder>/labels.txt": the first regular file. */
static int labels_beside(const char *model_path, run_settings *out, cli_error *err)
{
    const char *slash = strrchr(model_path, '/');
    size_t folder_length = slash ? (size_t)(slash - model_path) + 1 : 0;
    const char *name = model_path + folder_length;
    size_t stem_length = strlen(name);
    if (stem_length > 5 && strcmp(name + stem_length - 5, ".onnx") == 0) stem_length -= 5;
    char candidates[2][4096];
    snprintf(candidates[0], sizeof candidates[0], "%.*s%.*s-labels.txt", (int)folder_length,
             model_path, (int)stem_length, name);
    snprintf(candidates[1], sizeof candidates[1], "%.*slabels.txt", (int)folder_length, model_path);
    for (int i = 0; i < 2; i++) {
        char message[256];
        if (file_check_regular(candidates[i], FILE_MAX_LABELS_BYTES, "labels file", message,
                               sizeof message) != 0)
            continue;
        int rc = read_labels_file(candidates[i], &out->labels, err);
        if (rc) return rc;
        snprintf(out->labels_source, sizeof out->labels_source, "%s (beside the model)",
                 candidates[i]);
        return 0;
    }
    snprintf(out->labels_source, sizeof out->labels_source, "none");
    return 0;
}

int settings_resolve(const lenet_onnx_api *api, const lenet_onnx_model *model,
                     const char *model_path, const run_setting_options *given, run_settings *out,
                     cli_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = resolve_normalisation(api, model, model_path, given, out, err);
    if (!rc) rc = resolve_pixels(api, model, model_path, out, err);
    if (rc) return rc;
    if (given->labels_path) {
        rc = read_labels_file(given->labels_path, &out->labels, err);
        snprintf(out->labels_source, sizeof out->labels_source, "%s (--labels)",
                 given->labels_path);
        return rc;
    }
    const char *text = metadata(api, model, META_LABELS);
    if (text) {
        if (settings_split_labels(text, strlen(text), &out->labels))
            return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        snprintf(out->labels_source, sizeof out->labels_source, "metadata " META_LABELS);
        return 0;
    }
    return labels_beside(model_path, out, err);
}

static void print_values(FILE *out, const char *name, const channel_values *v)
{
    fprintf(out, "  %-6s ", name);
    for (size_t i = 0; i < v->count; i++)
        fprintf(out, "%s%g", i ? "," : "", v->values[i]);
    fprintf(out, "  (%s)\n", v->source);
}

void settings_print(FILE *out, const run_settings *s)
{
    fputs("settings:\n", out);
    print_values(out, "mean", &s->mean);
    print_values(out, "std", &s->std);
    fprintf(out, "  pixels %s\n", s->pixel_format_source);
    fprintf(out, "  gamma  %s\n", s->gamma_source);
    fprintf(out, "  labels %zu  (%s)\n", s->labels.count, s->labels_source);
}
