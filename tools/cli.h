/* What the three tools share: exit codes and one-line errors, option parsing, --version, JSON
 * writing, the plugin's loading, and choosing and listing backends and devices (one listing
 * format for every tool). The contracts are in docs/cli.md.
 */
#ifndef LENET_ONNX_TOOLS_CLI_H
#define LENET_ONNX_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lenet-onnx/lenet_onnx.h"

/* Exit status of every tool. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_RUNTIME = 1, /* a device, driver or host failure (lenet-onnx-check: a FAIL) */
    CLI_EXIT_USAGE = 2,   /* bad usage or bad input: options, files, models */
};

#if defined(__GNUC__)
#define CLI_PRINTF_LIKE(fmt_index, args_index)                                                     \
    __attribute__((format(printf, fmt_index, args_index)))
#else
#define CLI_PRINTF_LIKE(fmt_index, args_index)
#endif

typedef struct cli_error {
    int exit_code; /* 0, CLI_EXIT_RUNTIME or CLI_EXIT_USAGE */
    char message[2048];
} cli_error;

/* Records the failure; returns exit_code. */
int cli_fail(cli_error *err, int exit_code, const char *fmt, ...) CLI_PRINTF_LIKE(3, 4);
/* Exit 2 for what the caller gave (INVALID_ARGUMENT, IO, INVALID_MODEL, UNSUPPORTED), else 1. */
int cli_exit_code_for(lenet_onnx_status status);
/* A library failure: its message, prefixed by `where` unless the message already names it. */
int cli_fail_library(cli_error *err, const lenet_onnx_api *api, lenet_onnx_status status,
                     const lenet_onnx_error *lib, int exit_code, const char *where);
/* "PROGRAM: MESSAGE" on stderr as one line (a multi-line library message joined with "; ");
 * returns err->exit_code. */
int cli_report(const char *program, const cli_error *err);

/* ---- options ---- */

typedef struct cli_option {
    const char *name; /* "--json" */
    bool has_value;   /* "--top 3" or "--top=3" */
} cli_option;

typedef struct cli_parser {
    int argc;
    char **argv;
    int next;          /* the argv index read next */
    bool options_done; /* after "--" */
} cli_parser;

enum { CLI_ARG_END = 0, CLI_ARG_OPTION = 1, CLI_ARG_OPERAND = 2, CLI_ARG_ERROR = -1 };

/* The next argument: an option of `options` (*option set, *value its value or NULL), an operand
 * (*value; "-" is an operand), the end, or an error (unknown option, a missing value, a value
 * given to a flag: err says which, exit 2). "-h" is "--help". `options` ends with {NULL}. */
int cli_next(cli_parser *parser, const cli_option *options, const cli_option **option,
             const char **value, cli_error *err);

/* Applies one option of the table to the caller's state: 0, or an exit code with err set. */
typedef int (*cli_apply_fn)(void *state, const char *name, const char *value, cli_error *err);

/* Reads the whole command line: every option through apply, the operands, in order, into a new
 * array *operands (free it; NULL-terminated) of *count. 0, or an exit code with err set. */
int cli_parse(int argc, char **argv, const cli_option *options, cli_apply_fn apply, void *state,
              char ***operands, size_t *count, cli_error *err);

/* A decimal integer in [0, max], no sign, space or trailing text. */
bool cli_parse_uint(const char *text, unsigned long max, unsigned long *value);
/* A finite decimal number. */
bool cli_parse_double(const char *text, double *value);

/* ---- the plugin and --version ---- */

/* Loads the library (--plugin PATH, else $LENET_ONNX_PLUGIN, else the installed one, else the
 * build tree's, else the dynamic loader's search). `given` says --plugin was used: an empty
 * path is then bad usage. Every tool needs ABI 1 at least. */
const lenet_onnx_api *cli_load_plugin(const char *path, bool given, cli_error *err);

/* "PROGRAM VERSION" and the library's version, ABI and file on stdout; when the library cannot
 * be loaded, its exit code with err saying why. */
int cli_print_version(const char *program, const char *plugin_path, bool plugin_given,
                      cli_error *err);

/* The version of the tools (the project's). */
const char *cli_tools_version(void);

/* True when the loaded library has the slot (its table reaches it and fills it). */
#define CLI_HAS_SLOT(api, slot)                                                                    \
    ((api)->struct_size >= offsetof(lenet_onnx_api, slot) + sizeof((api)->slot) &&                 \
     (api)->slot != NULL)

/* ---- JSON ---- */

/* A JSON string: quotes, backslashes and control characters escaped, bytes that are not UTF-8
 * replaced by U+FFFD (a Latin-1 file name still gives valid JSON). */
void cli_json_string(FILE *out, const char *text);
/* "%.9g" (every float exactly), null for NaN and infinities. */
void cli_json_number(FILE *out, double value);

/* ---- backends and devices ---- */

/* One device in terms of every ABI version (lenet_onnx_device_desc of ABI 3, or
 * lenet_onnx_device_info of older libraries). */
typedef struct cli_device {
    char backend[32];
    uint32_t index;
    lenet_onnx_device_type type;
    char name[128];
    char driver[128];
    char driver_version[64];
    uint64_t memory_bytes;
} cli_device;

/* The backend and device the user chose, and where each choice came from. */
typedef struct cli_device_choice {
    const char *backend; /* NULL or "auto": automatic */
    const char *device;  /* NULL or "auto": automatic; an index, cpu, gpu or a name substring */
    const char *backend_source; /* "--backend", "LENET_ONNX_BACKEND" or "default" */
    const char *device_source;
} cli_device_choice;

/* Fills what the command line left NULL from LENET_ONNX_BACKEND and LENET_ONNX_DEVICE. */
void cli_device_choice_defaults(cli_device_choice *choice);

const char *cli_device_type_name(lenet_onnx_device_type type);

/* The backends of the library (list_backends from ABI 3; "opencl" before). *names stays valid
 * while the library is loaded; free the array. */
int cli_backends(const lenet_onnx_api *api, const char ***names, size_t *count, cli_error *err);

/* Checks a --backend value against cli_backends ("auto" is always fine): exit 2 naming the
 * choices when it is not one. */
int cli_check_backend(const lenet_onnx_api *api, const char *backend, cli_error *err);

/* Every device of `backend` (NULL or "auto": of every backend), malloc'd. */
int cli_devices(const lenet_onnx_api *api, const char *backend, cli_device **devices, size_t *count,
                cli_error *err);

/* The shared listing: "backend index type name (driver, version, N MiB)" lines, or with json
 * {"devices": [{"backend", "index", "type", "name", "driver", "driver_version",
 * "memory_bytes"}]}. Exit 1 when there is no device at all. */
int cli_list_devices(const lenet_onnx_api *api, const cli_device_choice *choice, bool json,
                     cli_error *err);

/* Opens a context on the chosen backend and device; *opened describes it. A choice that
 * matches no device is bad usage (exit 2); a backend that cannot be opened is exit 1. */
int cli_open_context(const lenet_onnx_api *api, const cli_device_choice *choice,
                     lenet_onnx_context **context, cli_device *opened, cli_error *err);

#endif
