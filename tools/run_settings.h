/* What lenet-onnx-run needs besides the model's graph: the preprocessing (mean, std, channel
 * order, gamma) and the class labels, each taken from the command line, else from the model's
 * metadata_props (docs/model-metadata.md), else (labels) from a file beside the model, else a
 * default; each remembers where it came from for --verbose. */
#ifndef LENET_ONNX_TOOLS_RUN_SETTINGS_H
#define LENET_ONNX_TOOLS_RUN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* metadata_props keys (docs/model-metadata.md). */
#define META_PIXEL_FORMAT "Image.BitmapPixelFormat"
#define META_GAMMA        "Image.ColorSpaceGamma"
#define META_PIXEL_RANGE  "Image.NominalPixelRange"
#define META_MEAN         "lenet_onnx.mean"
#define META_STD          "lenet_onnx.std"
#define META_LABELS       "lenet_onnx.labels"

typedef struct label_list {
    char **items;
    size_t count;
} label_list;

/* One or three per-channel values. */
typedef struct channel_values {
    float values[3];
    size_t count;
    char source[160]; /* "--mean", "metadata lenet_onnx.mean", "default" */
} channel_values;

typedef struct run_settings {
    channel_values mean, std;
    bool bgr;
    char pixel_format_source[160];
    bool linear;
    char gamma_source[160];
    label_list labels;
    char labels_source[4200]; /* "--labels FILE", "metadata lenet_onnx.labels", "FILE beside
                                 the model", "none" */
} run_settings;

/* The command line's part: NULL/0 where an option was not given. */
typedef struct run_setting_options {
    const channel_values *mean; /* NULL: not given */
    const channel_values *std;
    const char *labels_path;
} run_setting_options;

/* Parses "a" or "a,b,c" into finite floats (std: positive too). */
bool settings_parse_values(const char *text, bool positive, channel_values *out);

/* Resolves every setting for `model` loaded from model_path. Labels files are read here
 * (regular files only, FILE_MAX_LABELS_BYTES). */
int settings_resolve(const lenet_onnx_api *api, const lenet_onnx_model *model,
                     const char *model_path, const run_setting_options *given, run_settings *out,
                     cli_error *err);

/* A list of class labels from text, one per line ("\r\n" ends a line too). */
int settings_split_labels(const char *text, size_t length, label_list *out);

void settings_print(FILE *out, const run_settings *settings);

void settings_release(run_settings *settings);

#endif
