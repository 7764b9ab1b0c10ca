/* The public function table: argument checks, option structs and handles, then the core. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_metadata.h"
#include "onnx_loader.h"
#include "passes.h"
#include "registry.h"
#include "session.h"
#include "step_cost.h"

#define LO_VERSION_STRING "0.2.0"

/* Copies a caller's option struct of `given` bytes (0: ours) into a zeroed one of ours, so
 * older hosts with smaller structs get defaults for the fields they do not know. */
static void copy_options(void *dst, size_t dst_size, const void *src, uint32_t given)
{
    memset(dst, 0, dst_size);
    if (!src) return;
    size_t n = given == 0 || given > dst_size ? dst_size : given;
    memcpy(dst, src, n);
}

static const char *version_string(void)
{
    return LO_VERSION_STRING;
}

static const char *status_name(lenet_onnx_status status)
{
    switch (status) {
    case LENET_ONNX_OK:
        return "ok";
    case LENET_ONNX_ERROR_INVALID_ARGUMENT:
        return "invalid argument";
    case LENET_ONNX_ERROR_IO:
        return "I/O error";
    case LENET_ONNX_ERROR_INVALID_MODEL:
        return "invalid model";
    case LENET_ONNX_ERROR_UNSUPPORTED:
        return "unsupported";
    case LENET_ONNX_ERROR_OUT_OF_MEMORY:
        return "out of memory";
    case LENET_ONNX_ERROR_DEVICE:
        return "device error";
    case LENET_ONNX_ERROR_ABI:
        return "ABI mismatch";
    case LENET_ONNX_ERROR_LIMIT:
        return "limit exceeded";
    case LENET_ONNX_ERROR_BUSY:
        return "busy";
    }
    return "unknown status";
}

/* The backend an ABI 1-2 host names by enum (DEFAULT: automatic, NULL). */
static lo_status legacy_backend_name(lenet_onnx_backend_kind kind, const char **name, lo_error *err)
{
    static const char *const names[] = LENET_ONNX_BACKEND_KIND_NAMES;
    if ((unsigned)kind >= sizeof names / sizeof names[0])
        return lo_fail(err, LO_ERR_ARGUMENT, "unknown backend kind %d", (int)kind);
    *name = names[kind];
    return LO_OK;
}

/* The ABI 1-2 description of a device. */
static void legacy_device_info(const lenet_onnx_device_desc *d, lenet_onnx_device_info *out)
{
    memset(out, 0, sizeof *out);
    out->index = d->index;
    out->type = d->type;
    snprintf(out->name, sizeof out->name, "%s", d->name);
    snprintf(out->platform, sizeof out->platform, "%s", d->driver);
    snprintf(out->driver_version, sizeof out->driver_version, "%s", d->driver_version);
    out->global_memory_bytes = d->memory_bytes;
    out->base_address_alignment_bytes = d->alignment_bytes;
}

static lenet_onnx_status list_backend_devices(const char *backend, lenet_onnx_device_desc *devices,
                                              size_t capacity, size_t *count, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!count || (capacity && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "list_backend_devices: count is NULL, or devices is NULL");
    return lo_list_backend_devices(backend, devices, capacity, count, err);
}

static lenet_onnx_status list_devices(lenet_onnx_backend_kind kind, lenet_onnx_device_info *devices,
                                      size_t capacity, size_t *count, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!count || (capacity && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT, "list_devices: count is NULL, or devices is NULL");
    const char *name = NULL;
    lo_status st = legacy_backend_name(kind, &name, err);
    if (st != LO_OK) return st;
    size_t total = 0;
    if ((st = lo_list_backend_devices(name, NULL, 0, &total, err)) != LO_OK) return st;
    lenet_onnx_device_desc *all = lo_calloc(total ? total : 1, sizeof *all);
    if (!all) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing devices");
    st = lo_list_backend_devices(name, all, total, &total, err);
    for (size_t i = 0; st == LO_OK && i < total && i < capacity; i++)
        legacy_device_info(&all[i], &devices[i]);
    lo_free(all);
    if (st == LO_OK) *count = total;
    return st;
}

static lenet_onnx_status list_backends(const char **names, size_t capacity, size_t *count,
                                       lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!count || (capacity && !names))
        return lo_fail(err, LO_ERR_ARGUMENT, "list_backends: count is NULL, or names is NULL");
    size_t n = lo_registry_count();
    for (size_t i = 0; i < n && i < capacity; i++) {
        const lo_backend *b;
        lo_status st = lo_registry_get(i, &b, err);
        if (st != LO_OK) return st;
        names[i] = b->name;
    }
    *count = n;
    return LO_OK;
}

static lenet_onnx_status context_create(const lenet_onnx_context_options *options,
                                        lenet_onnx_context **out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "context_create: out is NULL");
    *out = NULL;
    lenet_onnx_context_options opts;
    copy_options(&opts, sizeof opts, options, options ? options->struct_size : 0);
    if (opts.device_select < LENET_ONNX_DEVICE_AUTO || opts.device_select > LENET_ONNX_DEVICE_NAME)
        return lo_fail(err, LO_ERR_ARGUMENT, "context_create: unknown device_select %d",
                       (int)opts.device_select);
    if (opts.device_select == LENET_ONNX_DEVICE_NAME && (!opts.device_name || !opts.device_name[0]))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "context_create: device_select NAME needs a device_name");
    lo_device_choice choice = {opts.backend_name, opts.device_select, opts.device_index,
                               opts.device_type, opts.device_name};
    if (!choice.backend || !choice.backend[0]) {
        lo_status st = legacy_backend_name(opts.backend, &choice.backend, err);
        if (st != LO_OK) return st;
    }
    return lo_context_open(&choice, out, err);
}

static void context_release(lenet_onnx_context *context)
{
    lo_context_release(context);
}

static lenet_onnx_status context_device(const lenet_onnx_context *context,
                                        lenet_onnx_device_info *out, const char **backend_name,
                                        lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!context) return lo_fail(err, LO_ERR_ARGUMENT, "context_device: context is NULL");
    if (out) legacy_device_info(&context->desc, out);
    if (backend_name) *backend_name = context->backend->name;
    return LO_OK;
}

static lenet_onnx_status context_describe(const lenet_onnx_context *context,
                                          lenet_onnx_device_desc *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!context || !out) return lo_fail(err, LO_ERR_ARGUMENT, "context_describe: NULL argument");
    *out = context->desc;
    return LO_OK;
}

static lenet_onnx_status finish_model(lo_graph *graph, lenet_onnx_model **out, lo_error *err)
{
    lo_status st = lo_model_validate(graph, err);
    lenet_onnx_model *model = st == LO_OK ? lo_calloc(1, sizeof *model) : NULL;
    if (st == LO_OK && !model) st = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
    if (st != LO_OK) {
        lo_graph_free(graph);
        return st;
    }
    model->graph = graph;
    *out = model;
    return LO_OK;
}

static lenet_onnx_status model_load_file_with_limits(const char *path,
                                                     const lenet_onnx_load_options *options,
                                                     lenet_onnx_model **out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!path || !out) return lo_fail(err, LO_ERR_ARGUMENT, "model_load_file: NULL argument");
    *out = NULL;
    lenet_onnx_load_options opts;
    copy_options(&opts, sizeof opts, options, options ? options->struct_size : 0);
    const lo_limits limits = lo_limits_from_options(&opts);
    lo_graph *graph = NULL;
    lo_status st = lo_onnx_load_file_limited(path, &limits, &graph, err);
    return st == LO_OK ? finish_model(graph, out, err) : st;
}

static lenet_onnx_status model_load_bytes_with_limits(const void *data, size_t size,
                                                      const lenet_onnx_load_options *options,
                                                      lenet_onnx_model **out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if ((!data && size) || !out)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_load_bytes: NULL argument");
    *out = NULL;
    lenet_onnx_load_options opts;
    copy_options(&opts, sizeof opts, options, options ? options->struct_size : 0);
    const lo_limits limits = lo_limits_from_options(&opts);
    lo_graph *graph = NULL;
    lo_status st = lo_onnx_load(data, size, "<memory>", NULL, &limits, &graph, err);
    return st == LO_OK ? finish_model(graph, out, err) : st;
}

static lenet_onnx_status model_load_bytes_with_base(const void *data, size_t size,
                                                    const char *base_dir, lenet_onnx_model **out,
                                                    lenet_onnx_error *err)
{
    lo_error_clear(err);
    if ((!data && size) || !out)
        return lo_fail(err, LO_ERR_ARGUMENT, "model_load_bytes_with_base: NULL argument");
    *out = NULL;
    lo_graph *graph = NULL;
    lo_status st = lo_onnx_load(data, size, "<memory>", base_dir, NULL, &graph, err);
    return st == LO_OK ? finish_model(graph, out, err) : st;
}

static lenet_onnx_status model_load_file(const char *path, lenet_onnx_model **out,
                                         lenet_onnx_error *err)
{
    return model_load_file_with_limits(path, NULL, out, err);
}

static lenet_onnx_status model_load_bytes(const void *data, size_t size, lenet_onnx_model **out,
                                          lenet_onnx_error *err)
{
    return model_load_bytes_with_limits(data, size, NULL, out, err);
}

static void model_release(lenet_onnx_model *model)
{
    if (!model) return;
    lo_graph_free(model->graph);
    lo_free(model);
}

/* The graph's inputs or outputs list; NULL with *count 0 for an unknown kind. */
static const int *io_list(const lo_graph *graph, lenet_onnx_io_kind kind, int *count)
{
    switch (kind) {
    case LENET_ONNX_INPUT:
        *count = graph->num_inputs;
        return graph->inputs;
    case LENET_ONNX_OUTPUT:
        *count = graph->num_outputs;
        return graph->outputs;
    }
    *count = 0;
    return NULL;
}

static size_t graph_io_count(const lo_graph *graph, lenet_onnx_io_kind kind)
{
    int count;
    io_list(graph, kind, &count);
    return (size_t)count;
}

static lo_status graph_io_info(const lo_graph *graph, lenet_onnx_io_kind kind, size_t index,
                               lenet_onnx_tensor_info *out, lo_error *err)
{
    int count;
    const int *list = io_list(graph, kind, &count);
    if (!list)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "io_info: unknown io kind %d; %d (input) or %d "
                       "(output) expected",
                       (int)kind, (int)LENET_ONNX_INPUT, (int)LENET_ONNX_OUTPUT);
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "io_info: out is NULL");
    if (index >= (size_t)count)
        return lo_fail(err, LO_ERR_ARGUMENT, "io_info: %s index %zu out of range (%d)",
                       kind == LENET_ONNX_INPUT ? "input" : "output", index, count);
    lo_tensor_info(&graph->tensors[list[index]], out);
    return LO_OK;
}

static size_t model_io_count(const lenet_onnx_model *model, lenet_onnx_io_kind kind)
{
    return model ? graph_io_count(model->graph, kind) : 0;
}

static lenet_onnx_status model_io_info(const lenet_onnx_model *model, lenet_onnx_io_kind kind,
                                       size_t index, lenet_onnx_tensor_info *out,
                                       lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!model) return lo_fail(err, LO_ERR_ARGUMENT, "model_io_info: model is NULL");
    return graph_io_info(model->graph, kind, index, out, err);
}

static lenet_onnx_status session_create(lenet_onnx_context *context, const lenet_onnx_model *model,
                                        const lenet_onnx_session_options *options,
                                        lenet_onnx_session **out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!context || !model || !out)
        return lo_fail(err, LO_ERR_ARGUMENT, "session_create: NULL argument");
    *out = NULL;
    lenet_onnx_session_options opts;
    copy_options(&opts, sizeof opts, options, options ? options->struct_size : 0);
    const lo_session_config config = {opts.batch_size, opts.profiling != 0,
                                      opts.keep_intermediates != 0};
    return lo_session_create(context, model->graph, &config, out, err);
}

static void session_release(lenet_onnx_session *session)
{
    lo_session_release(session);
}

static size_t session_io_count(const lenet_onnx_session *session, lenet_onnx_io_kind kind)
{
    return session ? graph_io_count(session->graph, kind) : 0;
}

static lenet_onnx_status session_io_info(const lenet_onnx_session *session, lenet_onnx_io_kind kind,
                                         size_t index, lenet_onnx_tensor_info *out,
                                         lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session) return lo_fail(err, LO_ERR_ARGUMENT, "session_io_info: session is NULL");
    return graph_io_info(session->graph, kind, index, out, err);
}

static lenet_onnx_status session_run(lenet_onnx_session *session, const void *const *inputs,
                                     void *const *outputs, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || (session->graph->num_inputs && !inputs) ||
        (session->graph->num_outputs && !outputs))
        return lo_fail(err, LO_ERR_ARGUMENT, "session_run: NULL argument");
    for (int i = 0; i < session->graph->num_inputs; i++)
        if (!inputs[i]) return lo_fail(err, LO_ERR_ARGUMENT, "session_run: input %d is NULL", i);
    for (int i = 0; i < session->graph->num_outputs; i++)
        if (!outputs[i]) return lo_fail(err, LO_ERR_ARGUMENT, "session_run: output %d is NULL", i);
    /* One thread at a time: a second one is told, not queued or let in. */
    if (atomic_exchange_explicit(&session->running, true, memory_order_acquire))
        return lo_fail(err, LO_ERR_BUSY,
                       "session_run: the session is running on another thread; use one session "
                       "per thread");
    lo_status st = lo_session_run(session, inputs, outputs, err);
    atomic_store_explicit(&session->running, false, memory_order_release);
    return st;
}

/* True when graph output 0 comes straight from a Softmax (through views, if any). */
static bool ends_in_softmax(const lo_graph *graph)
{
    if (graph->num_outputs < 1) return false;
    int t = graph->outputs[0];
    while (t >= 0) {
        int producer = graph->tensors[t].producer;
        if (producer < 0) return false;
        const lo_node *node = &graph->nodes[producer];
        if (strcmp(node->op_type, "Softmax") == 0) return true;
        if (graph->tensors[t].view_of < 0) return false;
        t = node->inputs[0];
    }
    return false;
}

static lenet_onnx_status session_stats(const lenet_onnx_session *session,
                                       lenet_onnx_session_stats *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !out) return lo_fail(err, LO_ERR_ARGUMENT, "session_stats: NULL argument");
    memset(out, 0, sizeof *out);
    out->arena_bytes = session->schedule.arena_bytes;
    out->naive_arena_bytes = session->schedule.naive_arena_bytes;
    out->weights_bytes = session->schedule.constant_bytes;
    out->step_count = (uint32_t)session->schedule.num_steps;
    out->ends_in_softmax = ends_in_softmax(session->graph);
    return LO_OK;
}

static lenet_onnx_status session_describe_plan(const lenet_onnx_session *session, char *text,
                                               size_t size, size_t *needed, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || (size && !text))
        return lo_fail(err, LO_ERR_ARGUMENT, "session_describe_plan: NULL argument");
    size_t length = lo_session_describe(session, text, size);
    if (needed) *needed = length + 1;
    return LO_OK;
}

static lenet_onnx_status session_step_timings(const lenet_onnx_session *session,
                                              lenet_onnx_step_timing *timings, size_t capacity,
                                              size_t *count, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !count || (capacity && !timings))
        return lo_fail(err, LO_ERR_ARGUMENT, "session_step_timings: NULL argument");
    if (!session->profiling)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "session_step_timings: the session was created without profiling");
    if (!session->has_timings)
        return lo_fail(err, LO_ERR_ARGUMENT, "session_step_timings: no run has completed yet");
    const lo_schedule *sc = &session->schedule;
    *count = (size_t)sc->num_steps;
    for (size_t k = 0; k < capacity && k < (size_t)sc->num_steps; k++) {
        snprintf(timings[k].node_name, sizeof timings[k].node_name, "%s", sc->steps[k].node_name);
        snprintf(timings[k].op_type, sizeof timings[k].op_type, "%s", sc->steps[k].label);
        timings[k].milliseconds = session->step_ms[k];
    }
    return LO_OK;
}

static lenet_onnx_status session_step_info(const lenet_onnx_session *session, size_t step,
                                           lenet_onnx_step_info *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !out) return lo_fail(err, LO_ERR_ARGUMENT, "session_step_info: NULL argument");
    const lo_schedule *sc = &session->schedule;
    if (step >= (size_t)sc->num_steps)
        return lo_fail(err, LO_ERR_ARGUMENT, "session_step_info: step %zu out of range (%d steps)",
                       step, sc->num_steps);
    memset(out, 0, sizeof *out);
    snprintf(out->node_name, sizeof out->node_name, "%s", sc->steps[step].node_name);
    snprintf(out->op_type, sizeof out->op_type, "%s", sc->steps[step].label);
    lo_tensor_info(&session->graph->tensors[sc->step_outputs[step]], &out->output);
    return LO_OK;
}

static lenet_onnx_status session_read_step_output(lenet_onnx_session *session, size_t step,
                                                  void *data, size_t size, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session) return lo_fail(err, LO_ERR_ARGUMENT, "session_read_step_output: NULL session");
    if (step > (size_t)INT32_MAX)
        return lo_fail(err, LO_ERR_ARGUMENT, "session_read_step_output: step %zu out of range",
                       step);
    return lo_session_read_step_output(session, (int)step, data, size, err);
}

static lenet_onnx_status session_arena_layout(const lenet_onnx_session *session,
                                              lenet_onnx_arena_entry *entries, size_t capacity,
                                              size_t *count, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !count || (capacity && !entries))
        return lo_fail(err, LO_ERR_ARGUMENT, "session_arena_layout: NULL argument");
    const lo_schedule *sc = &session->schedule;
    const lo_graph *g = session->graph;
    size_t n = 0;
    for (int b = 0; b < sc->num_buffers; b++) {
        if (sc->buffers[b].size == 0) continue;
        if (n < capacity) {
            lenet_onnx_arena_entry *e = &entries[n];
            memset(e, 0, sizeof *e);
            e->offset = sc->buffers[b].offset;
            e->size_bytes = sc->buffers[b].size;
            e->first_step = sc->buffers[b].first_use;
            e->last_step = sc->buffers[b].last_use;
            size_t used = 0;
            for (int t = 0; t < g->num_tensors && used + 1 < sizeof e->tensors; t++) {
                if (sc->tensor_buffer[lo_storage_root(g, t)] != b) continue;
                int w = snprintf(e->tensors + used, sizeof e->tensors - used, "%s%s",
                                 used ? " / " : "", g->tensors[t].name);
                if (w > 0) used += (size_t)w;
            }
        }
        n++;
    }
    *count = n;
    return LO_OK;
}

/* Fills an ABI struct that starts with struct_size: an older host's smaller struct gets the
 * fields it knows. */
static void fill_sized(void *out, const void *full, size_t full_size)
{
    uint32_t given;
    memcpy(&given, out, sizeof given);
    memcpy(out, full, given == 0 || given > full_size ? full_size : given);
}

static lenet_onnx_status session_step_cost(const lenet_onnx_session *session, size_t step,
                                           lenet_onnx_step_cost *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !out) return lo_fail(err, LO_ERR_ARGUMENT, "session_step_cost: NULL argument");
    const lo_schedule *sc = &session->schedule;
    if (step >= (size_t)sc->num_steps)
        return lo_fail(err, LO_ERR_ARGUMENT, "session_step_cost: step %zu out of range (%d steps)",
                       step, sc->num_steps);
    const lo_step_cost cost = lo_step_cost_of(&sc->steps[step]);
    const lenet_onnx_step_cost full = {sizeof full, cost.flops, cost.bytes_read,
                                       cost.bytes_written};
    fill_sized(out, &full, sizeof full);
    return LO_OK;
}

static lenet_onnx_status session_memory(const lenet_onnx_session *session,
                                        lenet_onnx_session_memory *out, lenet_onnx_error *err)
{
    lo_error_clear(err);
    if (!session || !out) return lo_fail(err, LO_ERR_ARGUMENT, "session_memory: NULL argument");
    const lo_schedule *sc = &session->schedule;
    lenet_onnx_session_memory full;
    memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    full.arena_bytes = sc->arena_bytes;
    full.arena_lower_bound_bytes = sc->peak_live_bytes;
    full.naive_arena_bytes = sc->naive_arena_bytes;
    full.model_constant_bytes = sc->constant_bytes;
    full.device_constant_bytes = session->context->backend->constant_bytes(session->prepared);
    fill_sized(out, &full, sizeof full);
    return LO_OK;
}

static lenet_onnx_status set_host_hooks(const lenet_onnx_host_hooks *hooks, lenet_onnx_error *err)
{
    lo_error_clear(err);
    lenet_onnx_host_hooks h;
    copy_options(&h, sizeof h, hooks, hooks ? hooks->struct_size : 0);
    bool any = h.malloc_fn || h.realloc_fn || h.free_fn;
    if (any && !(h.malloc_fn && h.realloc_fn && h.free_fn))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "set_host_hooks: malloc_fn, realloc_fn and free_fn go together");
    if (h.log_level < 0 || h.log_level > LENET_ONNX_LOG_DEBUG)
        return lo_fail(err, LO_ERR_ARGUMENT, "set_host_hooks: unknown log_level %d",
                       (int)h.log_level);
    long live = lo_alloc_outstanding();
    if (live != 0)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "set_host_hooks: %ld blocks of the library are still allocated; release "
                       "every context, model and session first",
                       live);
    lo_alloc_set(hooks ? &h : NULL);
    lo_log_set(hooks ? &h : NULL);
    return LO_OK;
}

static const lenet_onnx_api api_table = {
    .abi_version = LENET_ONNX_ABI_VERSION,
    .struct_size = sizeof(lenet_onnx_api),
    .version_string = version_string,
    .status_name = status_name,
    .list_devices = list_devices,
    .context_create = context_create,
    .context_release = context_release,
    .context_device = context_device,
    .model_load_file = model_load_file,
    .model_load_bytes = model_load_bytes,
    .model_release = model_release,
    .model_io_count = model_io_count,
    .model_io_info = model_io_info,
    .session_create = session_create,
    .session_release = session_release,
    .session_io_count = session_io_count,
    .session_io_info = session_io_info,
    .session_run = session_run,
    .session_stats = session_stats,
    .session_describe_plan = session_describe_plan,
    .session_step_timings = session_step_timings,
    .set_host_hooks = set_host_hooks,
    .list_backends = list_backends,
    .list_backend_devices = list_backend_devices,
    .context_describe = context_describe,
    .session_step_info = session_step_info,
    .session_read_step_output = session_read_step_output,
    .session_arena_layout = session_arena_layout,
    /* ABI 3 (model metadata) */
    .model_describe = lo_api_model_describe,
    .model_metadata = lo_api_model_metadata,
    .model_metadata_at = lo_api_model_metadata_at,
    .model_io_name = lo_api_model_io_name,
    .model_load_bytes_with_base = model_load_bytes_with_base,
    /* ABI 3 (limits and lifetimes) */
    .model_load_file_with_limits = model_load_file_with_limits,
    .model_load_bytes_with_limits = model_load_bytes_with_limits,
    /* ABI 4 */
    .session_step_cost = session_step_cost,
    .session_memory = session_memory,
};

const lenet_onnx_api *lo_api_table(uint32_t abi_version)
{
    /* Every ABI up to ours is served by our table: it only ever grows at the end. */
    if (abi_version == 0 || abi_version > LENET_ONNX_ABI_VERSION) return NULL;
    return &api_table;
}
