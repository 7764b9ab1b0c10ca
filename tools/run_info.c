/* --info: the ABI's model description, metadata and a session's plan, as text or JSON. */
#include "run_info.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

char *run_info_plan_text(const lenet_onnx_api *api, const lenet_onnx_session *session,
                         cli_error *err)
{
    lenet_onnx_error lib = {0};
    lenet_onnx_status status;
    size_t size = 4096, needed = 0;
    char *text = NULL;
    /* The getter fills a caller's buffer and says how much it needed: grow and ask again. */
    do {
        free(text);
        if (needed > size) size = needed;
        text = malloc(size);
        status = text ? api->session_describe_plan(session, text, size, &needed, &lib)
                      : LENET_ONNX_ERROR_OUT_OF_MEMORY;
    } while (status == LENET_ONNX_OK && needed > size);
    if (status != LENET_ONNX_OK) {
        free(text);
        cli_fail_library(err, api, status, &lib, CLI_EXIT_RUNTIME, "plan");
        return NULL;
    }
    text[size - 1] = '\0';
    return text;
}

void run_info_print_plan(FILE *out, const lenet_onnx_api *api, const lenet_onnx_session *session)
{
    cli_error err = {0};
    char *text = run_info_plan_text(api, session, &err);
    if (!text) {
        fprintf(out, "plan: not available: %s\n", err.message);
        return;
    }
    size_t length = strlen(text);
    fprintf(out, "%s%s", text, length && text[length - 1] == '\n' ? "" : "\n");
    free(text);
    /* Libraries of ABI 4 also say what the backend holds the constants in. */
    lenet_onnx_session_memory memory = {.struct_size = sizeof memory};
    lenet_onnx_error lib = {0};
    if (CLI_HAS_SLOT(api, session_memory) &&
        api->session_memory(session, &memory, &lib) == LENET_ONNX_OK)
        fprintf(out,
                "device constants: %" PRIu64 " bytes as the backend holds them for this plan "
                "(the model's: %" PRIu64 " bytes)\n",
                memory.device_constant_bytes, memory.model_constant_bytes);
}

static const char *dtype_name(lenet_onnx_dtype dtype)
{
    switch (dtype) {
    case LENET_ONNX_DTYPE_FLOAT32:
        return "float32";
    case LENET_ONNX_DTYPE_INT32:
        return "int32";
    case LENET_ONNX_DTYPE_INT64:
        return "int64";
    default:
        return "other";
    }
}

static const char *layout_name(lenet_onnx_layout layout)
{
    return layout == LENET_ONNX_LAYOUT_NCHW   ? "NCHW"
           : layout == LENET_ONNX_LAYOUT_NHWC ? "NHWC"
                                              : "other";
}

/* "[-1,3,32,32]": -1 where the model leaves a dimension open. */
static void format_dims(const lenet_onnx_tensor_info *info, char *text, size_t size)
{
    size_t used = (size_t)snprintf(text, size, "[");
    for (uint32_t i = 0; i < info->rank && used < size; i++)
        used +=
            (size_t)snprintf(text + used, size - used, "%s%" PRId64, i ? "," : "", info->dims[i]);
    if (used < size) snprintf(text + used, size - used, "]");
}

/* Everything --info reports, gathered first so that text and JSON print the same. */
typedef struct model_report {
    lenet_onnx_model_description description;
    bool described;
    lenet_onnx_session_stats stats;
    cli_device device;
    uint32_t batch;
    char *plan;             /* NULL when the model could not be planned: */
    const char *plan_error; /* why */
} model_report;

/* Input or output i and its full name (ABI 3), or the 127 bytes of tensor_info before. */
static bool io_entry(const lenet_onnx_api *api, const lenet_onnx_model *model,
                     lenet_onnx_io_kind kind, size_t i, lenet_onnx_tensor_info *info,
                     const char **name)
{
    lenet_onnx_error lib = {0};
    if (api->model_io_info(model, kind, i, info, &lib) != LENET_ONNX_OK) return false;
    *name = info->name;
    if (CLI_HAS_SLOT(api, model_io_name) &&
        api->model_io_name(model, kind, i, name, &lib) != LENET_ONNX_OK)
        *name = info->name;
    return true;
}

static void print_io_text(const lenet_onnx_api *api, const lenet_onnx_model *model)
{
    for (int k = 0; k < 2; k++) {
        lenet_onnx_io_kind kind = k ? LENET_ONNX_OUTPUT : LENET_ONNX_INPUT;
        size_t count = api->model_io_count(model, kind);
        for (size_t i = 0; i < count; i++) {
            lenet_onnx_tensor_info info;
            const char *name;
            if (!io_entry(api, model, kind, i, &info, &name)) continue;
            char dims[256];
            format_dims(&info, dims, sizeof dims);
            printf("%-9s %s %s %s%s%s\n", k ? "output" : "input", name, dtype_name(info.dtype),
                   dims, k ? "" : " ", k ? "" : layout_name(info.layout));
        }
    }
}

static void print_io_json(const lenet_onnx_api *api, const lenet_onnx_model *model,
                          lenet_onnx_io_kind kind)
{
    size_t count = api->model_io_count(model, kind);
    fputc('[', stdout);
    for (size_t i = 0; i < count; i++) {
        lenet_onnx_tensor_info info;
        const char *name;
        if (!io_entry(api, model, kind, i, &info, &name)) continue;
        fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
        cli_json_string(stdout, name);
        printf(", \"dtype\": \"%s\", \"shape\": [", dtype_name(info.dtype));
        for (uint32_t d = 0; d < info.rank; d++)
            printf("%s%" PRId64, d ? ", " : "", info.dims[d]);
        printf("], \"layout\": \"%s\"}", layout_name(info.layout));
    }
    fputc(']', stdout);
}

static size_t metadata_count(const lenet_onnx_api *api, const model_report *r)
{
    return r->described && CLI_HAS_SLOT(api, model_metadata_at) ? r->description.metadata_count : 0;
}

static void print_text(const lenet_onnx_api *api, const lenet_onnx_model *model,
                       const char *model_path, const model_report *r)
{
    const lenet_onnx_model_description *d = &r->description;
    printf("model     %s\n", model_path);
    if (r->described) {
        printf("producer  %s %s\n", *d->producer_name ? d->producer_name : "-",
               d->producer_version);
        printf("ir        %" PRId64 ", opset %" PRId64 ", model version %" PRId64 "%s%s\n",
               d->ir_version, d->opset, d->model_version, *d->domain ? ", domain " : "", d->domain);
        printf("graph     %s\n", *d->graph_name ? d->graph_name : "-");
        if (*d->doc_string) printf("doc       %s\n", d->doc_string);
    }
    print_io_text(api, model);
    for (size_t i = 0; i < metadata_count(api, r); i++) {
        const char *key, *value;
        lenet_onnx_error lib = {0};
        if (api->model_metadata_at(model, i, &key, &value, &lib) != LENET_ONNX_OK) continue;
        printf("metadata  %s = ", key);
        for (const char *p = value; *p; p++) {
            if (*p == '\n')
                fputs("\\n", stdout);
            else
                fputc(*p, stdout);
        }
        fputc('\n', stdout);
    }
    if (!r->plan) {
        printf("plan      not available: %s\n", r->plan_error);
        return;
    }
    printf("device    %s (%s), batch %" PRIu32 "\n", r->device.name, r->device.backend, r->batch);
    printf("memory    arena %" PRIu64 " bytes (%" PRIu64 " without reuse), weights %" PRIu64
           " bytes, %" PRIu32 " steps\n",
           r->stats.arena_bytes, r->stats.naive_arena_bytes, r->stats.weights_bytes,
           r->stats.step_count);
    fputs(r->plan, stdout);
    size_t length = strlen(r->plan);
    if (length && r->plan[length - 1] != '\n') fputc('\n', stdout);
}

static void json_key_string(const char *key, const char *value)
{
    printf(", \"%s\": ", key);
    cli_json_string(stdout, value);
}

static void print_json(const lenet_onnx_api *api, const lenet_onnx_model *model,
                       const char *model_path, const model_report *r)
{
    const lenet_onnx_model_description *d = &r->description;
    fputs("{\"model\": ", stdout);
    cli_json_string(stdout, model_path);
    if (r->described) {
        json_key_string("producer_name", d->producer_name);
        json_key_string("producer_version", d->producer_version);
        json_key_string("domain", d->domain);
        json_key_string("graph_name", d->graph_name);
        json_key_string("doc_string", d->doc_string);
        printf(", \"ir_version\": %" PRId64 ", \"opset\": %" PRId64 ", \"model_version\": %" PRId64,
               d->ir_version, d->opset, d->model_version);
    }
    fputs(", \"inputs\": ", stdout);
    print_io_json(api, model, LENET_ONNX_INPUT);
    fputs(", \"outputs\": ", stdout);
    print_io_json(api, model, LENET_ONNX_OUTPUT);
    fputs(", \"metadata\": {", stdout);
    for (size_t i = 0; i < metadata_count(api, r); i++) {
        const char *key, *value;
        lenet_onnx_error lib = {0};
        if (api->model_metadata_at(model, i, &key, &value, &lib) != LENET_ONNX_OK) continue;
        if (i) fputs(", ", stdout);
        cli_json_string(stdout, key);
        fputs(": ", stdout);
        cli_json_string(stdout, value);
    }
    fputc('}', stdout);
    if (!r->plan) {
        json_key_string("plan_error", r->plan_error);
        fputs("}\n", stdout);
        return;
    }
    json_key_string("device", r->device.name);
    json_key_string("backend", r->device.backend);
    printf(", \"batch\": %" PRIu32 ", \"arena_bytes\": %" PRIu64 ", \"naive_arena_bytes\": %" PRIu64
           ", \"weights_bytes\": %" PRIu64 ", \"steps\": %" PRIu32,
           r->batch, r->stats.arena_bytes, r->stats.naive_arena_bytes, r->stats.weights_bytes,
           r->stats.step_count);
    json_key_string("plan", r->plan);
    fputs("}\n", stdout);
}

/* Plans a session of `batch` (0: the model's own, or 1) on the chosen device and keeps its
 * statistics and plan text in r; 0, or an exit code with err set. */
static int plan_model(const lenet_onnx_api *api, const lenet_onnx_model *model,
                      const char *model_path, const cli_device_choice *device, uint32_t batch,
                      model_report *r, cli_error *err)
{
    lenet_onnx_context *context = NULL;
    lenet_onnx_session *session = NULL;
    lenet_onnx_error lib = {0};
    int rc = cli_open_context(api, device, &context, &r->device, err);
    if (rc) return rc;
    lenet_onnx_session_options options = {.struct_size = sizeof options, .batch_size = batch};
    lenet_onnx_status status = api->session_create(context, model, &options, &session, &lib);
    if (status == LENET_ONNX_OK) status = api->session_stats(session, &r->stats, &lib);
    if (status) {
        rc = cli_fail_library(err, api, status, &lib, cli_exit_code_for(status), model_path);
    } else {
        lenet_onnx_tensor_info info;
        if (api->session_io_info(session, LENET_ONNX_INPUT, 0, &info, &lib) == LENET_ONNX_OK &&
            info.rank > 0)
            r->batch = (uint32_t)info.dims[0];
        r->plan = run_info_plan_text(api, session, err);
        if (!r->plan) rc = err->exit_code;
    }
    if (session) api->session_release(session);
    api->context_release(context);
    return rc;
}

int run_info(const lenet_onnx_api *api, const char *model_path, const cli_device_choice *device,
             uint32_t batch, bool json, cli_error *err)
{
    model_report r;
    memset(&r, 0, sizeof r);
    lenet_onnx_model *model = NULL;
    lenet_onnx_error lib = {0};
    lenet_onnx_status status = api->model_load_file(model_path, &model, &lib);
    if (status)
        return cli_fail_library(err, api, status, &lib, cli_exit_code_for(status), model_path);
    if (CLI_HAS_SLOT(api, model_describe)) {
        r.description.struct_size = sizeof r.description;
        r.described = api->model_describe(model, &r.description, &lib) == LENET_ONNX_OK;
    }
    /* A model that cannot be planned (an op the backend lacks, no device) is still described;
     * the reason is the plan's place in the report, and the exit status says it failed. */
    int rc = plan_model(api, model, model_path, device, batch, &r, err);
    r.plan_error = rc ? err->message : NULL;
    if (json)
        print_json(api, model, model_path, &r);
    else
        print_text(api, model, model_path, &r);
    if (fflush(stdout) != 0 && !rc) rc = cli_fail(err, CLI_EXIT_RUNTIME, "cannot write to stdout");
    free(r.plan);
    api->model_release(model);
    return rc;
}
