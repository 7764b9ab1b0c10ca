/* The tools' shared command-line code (cli.h). */
#define _GNU_SOURCE /* dladdr */
#include "cli.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"

/* LO_TOOLS_VERSION comes from the build (the project's version). */
#ifndef LO_TOOLS_VERSION
#define LO_TOOLS_VERSION "unknown"
#endif

int cli_fail(cli_error *err, int exit_code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    err->exit_code = exit_code;
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return exit_code;
}

int cli_exit_code_for(lenet_onnx_status status)
{
    switch (status) {
    case LENET_ONNX_OK:
        return CLI_EXIT_OK;
    case LENET_ONNX_ERROR_INVALID_ARGUMENT:
    case LENET_ONNX_ERROR_IO:
    case LENET_ONNX_ERROR_INVALID_MODEL:
    case LENET_ONNX_ERROR_UNSUPPORTED:
    case LENET_ONNX_ERROR_LIMIT: /* the input is too large: bad input, not a device failure */
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_RUNTIME;
    }
}

int cli_fail_library(cli_error *err, const lenet_onnx_api *api, lenet_onnx_status status,
                     const lenet_onnx_error *lib, int exit_code, const char *where)
{
    const char *message = lib->message[0] ? lib->message : api->status_name(status);
    if (!message) message = "unknown error";
    if (where && !strstr(message, where)) return cli_fail(err, exit_code, "%s: %s", where, message);
    return cli_fail(err, exit_code, "%s", message);
}

int cli_report(const char *program, const cli_error *err)
{
    fprintf(stderr, "%s: ", program);
    bool pending_separator = false;
    for (const char *p = err->message; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            pending_separator = true;
            continue;
        }
        if (pending_separator) fputs("; ", stderr);
        pending_separator = false;
        fputc(*p, stderr);
    }
    fputc('\n', stderr);
    return err->exit_code ? err->exit_code : CLI_EXIT_RUNTIME;
}

/* ---- options ---- */

static const cli_option *find_option(const cli_option *options, const char *name, size_t length)
{
    for (const cli_option *o = options; o->name; o++)
        if (strlen(o->name) == length && strncmp(o->name, name, length) == 0) return o;
    return NULL;
}

int cli_next(cli_parser *parser, const cli_option *options, const cli_option **option,
             const char **value, cli_error *err)
{
    *option = NULL;
    *value = NULL;
    if (parser->next >= parser->argc) return CLI_ARG_END;
    const char *arg = parser->argv[parser->next++];
    if (parser->options_done || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_ARG_OPERAND;
    }
    if (strcmp(arg, "--") == 0) {
        parser->options_done = true;
        return cli_next(parser, options, option, value, err);
    }
    if (strcmp(arg, "-h") == 0) arg = "--help";
    const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
    size_t length = eq ? (size_t)(eq - arg) : strlen(arg);
    const cli_option *found = find_option(options, arg, length);
    if (!found) {
        cli_fail(err, CLI_EXIT_USAGE, "unknown option '%.*s' (see --help)", (int)length, arg);
        return CLI_ARG_ERROR;
    }
    if (!found->has_value && eq) {
        cli_fail(err, CLI_EXIT_USAGE, "option %s takes no value", found->name);
        return CLI_ARG_ERROR;
    }
    if (found->has_value) {
        if (eq) {
            *value = eq + 1;
        } else if (parser->next < parser->argc) {
            *value = parser->argv[parser->next++];
        } else {
            cli_fail(err, CLI_EXIT_USAGE, "option %s needs a value (see --help)", found->name);
            return CLI_ARG_ERROR;
        }
    }
    *option = found;
    return CLI_ARG_OPTION;
}

int cli_parse(int argc, char **argv, const cli_option *options, cli_apply_fn apply, void *state,
              char ***operands, size_t *count, cli_error *err)
{
    *count = 0;
    *operands = calloc((size_t)argc + 1, sizeof **operands);
    if (!*operands) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
    cli_parser parser = {argc, argv, 1, false};
    for (;;) {
        const cli_option *option;
        const char *value;
        int kind = cli_next(&parser, options, &option, &value, err);
        if (kind == CLI_ARG_END) return 0;
        if (kind == CLI_ARG_ERROR) return err->exit_code;
        if (kind == CLI_ARG_OPERAND) {
            (*operands)[(*count)++] = (char *)value;
            continue;
        }
        int rc = apply(state, option->name, value, err);
        if (rc) return rc;
    }
}

bool cli_parse_uint(const char *text, unsigned long max, unsigned long *value)
{
    if (text[0] < '0' || text[0] > '9') return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > max) return false;
    *value = v;
    return true;
}

bool cli_parse_double(const char *text, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) return false;
    *value = v;
    return true;
}

/* ---- the plugin and --version ---- */

const lenet_onnx_api *cli_load_plugin(const char *path, bool given, cli_error *err)
{
    if (given && (!path || !*path)) {
        cli_fail(err, CLI_EXIT_USAGE, "--plugin '': expected the path of the lenet-onnx library");
        return NULL;
    }
    /* ABI 1 holds every function the tools need; newer slots are checked before each use. */
    const lenet_onnx_api *api = plugin_load(path, 1, offsetof(lenet_onnx_api, set_host_hooks),
                                            err->message, sizeof err->message);
    if (!api) err->exit_code = CLI_EXIT_RUNTIME;
    return api;
}

const char *cli_tools_version(void)
{
    return LO_TOOLS_VERSION;
}

int cli_print_version(const char *program, const char *plugin_path, bool plugin_given,
                      cli_error *err)
{
    printf("%s %s\n", program, LO_TOOLS_VERSION);
    fflush(stdout);
    const lenet_onnx_api *api = cli_load_plugin(plugin_path, plugin_given, err);
    if (!api) return err->exit_code;
    Dl_info where;
    char file[PATH_MAX] = "?";
    if (dladdr((const void *)api, &where) && where.dli_fname && !realpath(where.dli_fname, file))
        snprintf(file, sizeof file, "%s", where.dli_fname);
    printf("library: lenet-onnx %s, ABI %" PRIu32 ", %s\n", api->version_string(), api->abi_version,
           file);
    return CLI_EXIT_OK;
}

/* ---- JSON ---- */

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

void cli_json_string(FILE *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
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

void cli_json_number(FILE *out, double value)
{
    if (isfinite(value))
        fprintf(out, "%.9g", value);
    else
        fputs("null", out);
}

/* ---- backends and devices ---- */

/* ABI 3's backend registry, devices by type or name, and context_describe. */
static bool has_registry(const lenet_onnx_api *api)
{
    return api->abi_version >= 3 && CLI_HAS_SLOT(api, list_backends) &&
           CLI_HAS_SLOT(api, list_backend_devices) && CLI_HAS_SLOT(api, context_describe);
}

static bool is_auto(const char *text)
{
    return !text || !*text || strcmp(text, "auto") == 0;
}

void cli_device_choice_defaults(cli_device_choice *choice)
{
    const char *backend = getenv("LENET_ONNX_BACKEND");
    const char *device = getenv("LENET_ONNX_DEVICE");
    if (choice->backend) {
        choice->backend_source = "--backend";
    } else if (backend && *backend) {
        choice->backend = backend;
        choice->backend_source = "LENET_ONNX_BACKEND";
    } else {
        choice->backend_source = "default";
    }
    if (choice->device) {
        choice->device_source = "--device";
    } else if (device && *device) {
        choice->device = device;
        choice->device_source = "LENET_ONNX_DEVICE";
    } else {
        choice->device_source = "default";
    }
}

const char *cli_device_type_name(lenet_onnx_device_type type)
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

/* The backend names of libraries before ABI 3 (lenet_onnx_backend_kind). */
static const char *const legacy_backends[] = {"opencl"};

int cli_backends(const lenet_onnx_api *api, const char ***names, size_t *count, cli_error *err)
{
    *names = NULL;
    *count = 0;
    if (!has_registry(api)) {
        *count = sizeof legacy_backends / sizeof legacy_backends[0];
        *names = malloc(sizeof legacy_backends);
        if (!*names) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        memcpy(*names, legacy_backends, sizeof legacy_backends);
        return 0;
    }
    lenet_onnx_error lib = {0};
    size_t capacity = 8;
    for (;;) {
        const char **list = calloc(capacity, sizeof *list);
        if (!list) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        lenet_onnx_status status = api->list_backends(list, capacity, count, &lib);
        if (status != LENET_ONNX_OK) {
            free(list);
            return cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME, "list_backends");
        }
        if (*count <= capacity) {
            *names = list;
            return 0;
        }
        free(list);
        capacity = *count;
    }
}

int cli_check_backend(const lenet_onnx_api *api, const char *backend, cli_error *err)
{
    if (is_auto(backend)) return 0;
    const char **names;
    size_t count;
    int rc = cli_backends(api, &names, &count, err);
    if (rc) return rc;
    bool known = false;
    char choices[512] = "auto";
    for (size_t i = 0; i < count; i++) {
        known = known || strcmp(names[i], backend) == 0;
        size_t used = strlen(choices);
        snprintf(choices + used, sizeof choices - used, ", %s", names[i]);
    }
    free(names);
    if (known) return 0;
    /* Libraries before ABI 3 still take "vulkan" through their enum and refuse it themselves. */
    if (!has_registry(api) && strcmp(backend, "vulkan") == 0) return 0;
    return cli_fail(err, CLI_EXIT_USAGE, "--backend '%s': this library has %s", backend, choices);
}

static void copy_text(char *dst, size_t size, const char *src, size_t src_size)
{
    size_t n = strnlen(src, src_size);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static lenet_onnx_backend_kind legacy_kind(const char *backend)
{
    if (is_auto(backend)) return LENET_ONNX_BACKEND_DEFAULT;
    return strcmp(backend, "vulkan") == 0 ? LENET_ONNX_BACKEND_VULKAN : LENET_ONNX_BACKEND_OPENCL;
}

static void from_info(const lenet_onnx_device_info *info, const char *backend, cli_device *out)
{
    memset(out, 0, sizeof *out);
    copy_text(out->backend, sizeof out->backend, backend, strlen(backend));
    out->index = info->index;
    out->type = info->type;
    copy_text(out->name, sizeof out->name, info->name, sizeof info->name);
    copy_text(out->driver, sizeof out->driver, info->platform, sizeof info->platform);
    copy_text(out->driver_version, sizeof out->driver_version, info->driver_version,
              sizeof info->driver_version);
    out->memory_bytes = info->global_memory_bytes;
}

static void from_desc(const lenet_onnx_device_desc *desc, cli_device *out)
{
    memset(out, 0, sizeof *out);
    copy_text(out->backend, sizeof out->backend, desc->backend, sizeof desc->backend);
    out->index = desc->index;
    out->type = desc->type;
    copy_text(out->name, sizeof out->name, desc->name, sizeof desc->name);
    copy_text(out->driver, sizeof out->driver, desc->driver, sizeof desc->driver);
    copy_text(out->driver_version, sizeof out->driver_version, desc->driver_version,
              sizeof desc->driver_version);
    out->memory_bytes = desc->memory_bytes;
}

/* Grows the buffer until the library's whole list fits: `list` fills up to capacity entries
 * of `entry_size` bytes and says how many there are. */
typedef lenet_onnx_status (*list_fn)(const lenet_onnx_api *api, const char *backend, void *items,
                                     size_t capacity, size_t *count, lenet_onnx_error *lib);

static lenet_onnx_status list_legacy(const lenet_onnx_api *api, const char *backend, void *items,
                                     size_t capacity, size_t *count, lenet_onnx_error *lib)
{
    return api->list_devices(legacy_kind(backend), items, capacity, count, lib);
}

static lenet_onnx_status list_registry(const lenet_onnx_api *api, const char *backend, void *items,
                                       size_t capacity, size_t *count, lenet_onnx_error *lib)
{
    lenet_onnx_device_desc *descs = items;
    for (size_t i = 0; i < capacity; i++)
        descs[i].struct_size = sizeof descs[i];
    return api->list_backend_devices(is_auto(backend) ? NULL : backend, descs, capacity, count,
                                     lib);
}

static int list_all(const lenet_onnx_api *api, const char *backend, list_fn list, size_t entry_size,
                    void **items, size_t *count, cli_error *err)
{
    lenet_onnx_error lib = {0};
    size_t capacity = 16;
    for (;;) {
        void *buffer = calloc(capacity, entry_size);
        if (!buffer) return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
        lenet_onnx_status status = list(api, backend, buffer, capacity, count, &lib);
        if (status != LENET_ONNX_OK) {
            free(buffer);
            char where[64];
            snprintf(where, sizeof where, "%s backend", is_auto(backend) ? "default" : backend);
            return cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME, where);
        }
        if (*count <= capacity) {
            *items = buffer;
            return 0;
        }
        free(buffer);
        capacity = *count;
    }
}

int cli_devices(const lenet_onnx_api *api, const char *backend, cli_device **devices, size_t *count,
                cli_error *err)
{
    bool registry = has_registry(api);
    size_t entry_size = registry ? sizeof(lenet_onnx_device_desc) : sizeof(lenet_onnx_device_info);
    void *items = NULL;
    *devices = NULL;
    int rc = list_all(api, backend, registry ? list_registry : list_legacy, entry_size, &items,
                      count, err);
    if (rc) return rc;
    cli_device *out = calloc(*count ? *count : 1, sizeof *out);
    if (!out) {
        free(items);
        return cli_fail(err, CLI_EXIT_RUNTIME, "out of memory");
    }
    for (size_t i = 0; i < *count; i++) {
        if (registry)
            from_desc((const lenet_onnx_device_desc *)items + i, &out[i]);
        else
            from_info((const lenet_onnx_device_info *)items + i,
                      is_auto(backend) ? "opencl" : backend, &out[i]);
    }
    free(items);
    *devices = out;
    return 0;
}

static void print_device_json(FILE *out, const cli_device *d)
{
    fputs("{\"backend\": ", out);
    cli_json_string(out, d->backend);
    fprintf(out, ", \"index\": %" PRIu32 ", \"type\": \"%s\", \"name\": ", d->index,
            cli_device_type_name(d->type));
    cli_json_string(out, d->name);
    fputs(", \"driver\": ", out);
    cli_json_string(out, d->driver);
    fputs(", \"driver_version\": ", out);
    cli_json_string(out, d->driver_version);
    fprintf(out, ", \"memory_bytes\": %" PRIu64 "}", d->memory_bytes);
}

int cli_list_devices(const lenet_onnx_api *api, const cli_device_choice *choice, bool json,
                     cli_error *err)
{
    int rc = cli_check_backend(api, choice->backend, err);
    cli_device *devices = NULL;
    size_t count = 0;
    if (!rc) rc = cli_devices(api, choice->backend, &devices, &count, err);
    if (rc) return rc;
    if (json) fputs("{\"devices\": [", stdout);
    for (size_t i = 0; i < count; i++) {
        const cli_device *d = &devices[i];
        if (json) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            print_device_json(stdout, d);
        } else {
            printf("%-8s %2" PRIu32 "  %-11s  %s  (%s, %s, %" PRIu64 " MiB)\n", d->backend,
                   d->index, cli_device_type_name(d->type), d->name, d->driver, d->driver_version,
                   d->memory_bytes / (1024 * 1024));
        }
    }
    if (json) fputs(count ? "\n]}\n" : "]}\n", stdout);
    free(devices);
    if (count == 0)
        return is_auto(choice->backend)
                   ? cli_fail(err, CLI_EXIT_RUNTIME, "no backend of this library has a device")
                   : cli_fail(err, CLI_EXIT_RUNTIME, "%s backend: no devices", choice->backend);
    return 0;
}

/* How a --device value reads: an index, a device type, or a part of a device's name. */
typedef struct device_spec {
    lenet_onnx_device_select select;
    uint32_t index;
    lenet_onnx_device_type type;
    const char *name;
} device_spec;

static device_spec read_device_spec(const char *text)
{
    device_spec spec = {LENET_ONNX_DEVICE_AUTO, 0, LENET_ONNX_DEVICE_TYPE_OTHER, NULL};
    unsigned long index;
    if (is_auto(text)) return spec;
    if (cli_parse_uint(text, UINT32_MAX, &index)) {
        spec.select = LENET_ONNX_DEVICE_INDEX;
        spec.index = (uint32_t)index;
    } else if (strcmp(text, "cpu") == 0 || strcmp(text, "gpu") == 0 ||
               strcmp(text, "accelerator") == 0) {
        spec.select = LENET_ONNX_DEVICE_TYPE;
        spec.type = text[0] == 'c'   ? LENET_ONNX_DEVICE_TYPE_CPU
                    : text[0] == 'g' ? LENET_ONNX_DEVICE_TYPE_GPU
                                     : LENET_ONNX_DEVICE_TYPE_ACCELERATOR;
    } else {
        spec.select = LENET_ONNX_DEVICE_NAME;
        spec.name = text;
    }
    return spec;
}

static bool spec_matches(const device_spec *spec, const cli_device *d)
{
    switch (spec->select) {
    case LENET_ONNX_DEVICE_INDEX:
        return d->index == spec->index;
    case LENET_ONNX_DEVICE_TYPE:
        return d->type == spec->type;
    case LENET_ONNX_DEVICE_NAME:
        return strstr(d->name, spec->name) != NULL;
    default:
        return true;
    }
}

/* Before ABI 3 the library picks devices by index only: type and name are matched here. */
static int legacy_index(const lenet_onnx_api *api, const cli_device_choice *choice,
                        const device_spec *spec, uint32_t *index, cli_error *err)
{
    cli_device *devices;
    size_t count;
    int rc = cli_devices(api, choice->backend, &devices, &count, err);
    if (rc) return rc;
    size_t found = count;
    for (size_t i = 0; i < count && found == count; i++)
        if (spec_matches(spec, &devices[i])) found = i;
    if (found < count) *index = devices[found].index;
    free(devices);
    if (found == count)
        return cli_fail(err, CLI_EXIT_USAGE,
                        "--device %s (from %s): no %s device matches (%zu device%s; see "
                        "--device list)",
                        choice->device, choice->device_source,
                        is_auto(choice->backend) ? "opencl" : choice->backend, count,
                        count == 1 ? "" : "s");
    return 0;
}

int cli_open_context(const lenet_onnx_api *api, const cli_device_choice *choice,
                     lenet_onnx_context **context, cli_device *opened, cli_error *err)
{
    *context = NULL;
    int rc = cli_check_backend(api, choice->backend, err);
    if (rc) return rc;
    bool registry = has_registry(api);
    device_spec spec = read_device_spec(choice->device);
    lenet_onnx_context_options options;
    memset(&options, 0, sizeof options);
    if (registry) {
        options.struct_size = sizeof options;
        options.backend_name = is_auto(choice->backend) ? NULL : choice->backend;
        options.device_select = spec.select;
        options.device_index = spec.index;
        options.device_type = spec.type;
        options.device_name = spec.name;
    } else {
        /* An older library knows only the fields up to device_index. */
        options.struct_size = (uint32_t)offsetof(lenet_onnx_context_options, backend_name);
        options.backend = legacy_kind(choice->backend);
        if (spec.select != LENET_ONNX_DEVICE_AUTO) {
            rc = legacy_index(api, choice, &spec, &options.device_index, err);
            if (rc) return rc;
            options.device_select = LENET_ONNX_DEVICE_INDEX;
        }
    }
    char where[256];
    const char *backend_text = is_auto(choice->backend) ? "default" : choice->backend;
    if (spec.select == LENET_ONNX_DEVICE_AUTO)
        snprintf(where, sizeof where, "%s backend", backend_text);
    else
        snprintf(where, sizeof where, "--device %s (from %s), %s backend", choice->device,
                 choice->device_source, backend_text);
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = api->context_create(&options, context, &lib);
    if (status != LENET_ONNX_OK)
        /* A backend the library cannot open (one not built) is a runtime failure. */
        return cli_fail_library(err, api, status, &lib,
                                status == LENET_ONNX_ERROR_UNSUPPORTED ? CLI_EXIT_RUNTIME
                                                                       : cli_exit_code_for(status),
                                where);
    if (registry) {
        lenet_onnx_device_desc desc;
        memset(&desc, 0, sizeof desc);
        desc.struct_size = sizeof desc;
        status = api->context_describe(*context, &desc, &lib);
        if (status == LENET_ONNX_OK) from_desc(&desc, opened);
    } else {
        lenet_onnx_device_info info;
        const char *backend_name = NULL;
        status = api->context_device(*context, &info, &backend_name, &lib);
        if (status == LENET_ONNX_OK)
            from_info(&info, backend_name ? backend_name : "opencl", opened);
    }
    if (status != LENET_ONNX_OK) {
        api->context_release(*context);
        *context = NULL;
        return cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME, where);
    }
    return 0;
}
