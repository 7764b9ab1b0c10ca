#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "op_table.h"
#include "passes.h"

lo_status lo_model_validate(const lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        lo_status st = lo_op_check_node(graph, &graph->nodes[n], err);
        if (st != LO_OK) return st;
    }
    /* A trial plan at the default batch finds shape and attribute errors at load time. */
    lo_graph *trial = NULL;
    lo_schedule schedule;
    lo_status st = lo_graph_clone(graph, &trial, err);
    if (st == LO_OK) st = lo_run_passes(trial, 0, err);
    if (st == LO_OK && (st = lo_schedule_build(trial, &(lo_schedule_options){.reuse = true},
                                               &schedule, err)) == LO_OK)
        lo_schedule_free(&schedule);
    lo_graph_free(trial);
    return st;
}

lo_status lo_session_create(lenet_onnx_context *context, const lo_graph *model_graph,
                            const lo_session_config *config, lenet_onnx_session **out,
                            lo_error *err)
{
    const bool profiling = config->profiling;
    const lo_backend *backend = context->backend;
    lenet_onnx_session *s = lo_calloc(1, sizeof *s);
    if (!s) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
    atomic_init(&s->running, false);
    s->context = context;
    lo_context_retain(context);
    s->profiling = profiling;
    s->keep_intermediates = config->keep_intermediates;
    lo_status st = lo_graph_clone(model_graph, &s->graph, err);
    if (st != LO_OK) goto fail;
    if ((st = lo_run_passes(s->graph, config->batch, err)) != LO_OK) goto fail;
    size_t alignment = backend->alignment(context->device);
    const lo_schedule_options schedule_options = {backend, context->device, alignment,
                                                  !config->keep_intermediates};
    if ((st = lo_schedule_build(s->graph, &schedule_options, &s->schedule, err)) != LO_OK)
        goto fail;
    /* A zero-sized arena still gets a buffer, so every plan has one to bind. */
    size_t arena_bytes = s->schedule.arena_bytes ? s->schedule.arena_bytes : alignment;
    /* What the backend reports from here on is about this model: name it. */
    if ((st = backend->buffer_alloc(context->device, arena_bytes, &s->arena, err)) != LO_OK) {
        lo_fail_prefix(err, "%s: the arena of %zu bytes: ", s->graph->source, arena_bytes);
        goto fail;
    }
    s->step_ms = lo_calloc((size_t)s->schedule.num_steps + 1, sizeof *s->step_ms);
    if (!s->step_ms) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
        goto fail;
    }
    lo_plan plan = lo_schedule_plan(&s->schedule, profiling);
    if ((st = backend->prepare(context->device, &plan, s->arena, &s->prepared, err)) != LO_OK) {
        lo_fail_prefix(err, "%s: ", s->graph->source);
        goto fail;
    }
    if (lo_log_enabled(LENET_ONNX_LOG_DEBUG))
        for (int k = 0; k < s->schedule.num_steps; k++)
            lo_trace("%s: planned step %d: %s of node '%s', output at arena+%zu", s->graph->source,
                     k, s->schedule.steps[k].label, s->schedule.steps[k].node_name,
                     s->schedule.steps[k].output.offset);
    *out = s;
    return LO_OK;
fail:
    lo_session_release(s);
    return st;
}

void lo_session_release(lenet_onnx_session *s)
{
    if (!s) return;
    const lo_backend *backend = s->context->backend;
    if (s->prepared) backend->release(s->prepared);
    if (s->arena) backend->buffer_free(s->arena);
    lo_schedule_free(&s->schedule);
    lo_graph_free(s->graph);
    lo_free(s->step_ms);
    lenet_onnx_context *context = s->context;
    lo_free(s);
    lo_context_release(context);
}

lo_status lo_session_run(lenet_onnx_session *s, const void *const *inputs, void *const *outputs,
                         lo_error *err)
{
    lo_status st = s->context->backend->run(s->prepared, inputs, outputs,
                                            s->profiling ? s->step_ms : NULL, err);
    /* Outputs known at plan time come from the model's constants, not the device. */
    for (int i = 0; st == LO_OK && i < s->schedule.num_outputs; i++) {
        const lo_tensor_ref *ref = &s->schedule.outputs[i];
        if (ref->buffer != LO_BUFFER_CONSTANT) continue;
        const lo_plan_constant *c = &s->schedule.constants[ref->constant];
        memcpy(outputs[i], c->data, c->bytes);
    }
    s->has_timings = st == LO_OK && s->profiling;
    s->has_run = st == LO_OK;
    return st;
}

lo_status lo_session_read_step_output(lenet_onnx_session *s, int step, void *data, size_t size,
                                      lo_error *err)
{
    if (!s->keep_intermediates)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "read_step_output: the session was created without keep_intermediates");
    if (!s->has_run)
        return lo_fail(err, LO_ERR_ARGUMENT, "read_step_output: no run has completed yet");
    if (step < 0 || step >= s->schedule.num_steps)
        return lo_fail(err, LO_ERR_ARGUMENT, "read_step_output: step %d out of range (%d steps)",
                       step, s->schedule.num_steps);
    const lo_tensor_ref *ref = &s->schedule.steps[step].output;
    size_t bytes = lo_tensor_ref_bytes(ref);
    if (!data || size != bytes)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "read_step_output: step %d writes %zu bytes; the buffer given holds %zu",
                       step, bytes, data ? size : 0);
    return s->context->backend->buffer_read(s->context->device, s->arena, ref->offset, data, bytes,
                                            err);
}

/* Appends to a bounded buffer while counting the full length, like snprintf. */
typedef struct text_sink {
    char *text;
    size_t size;
    size_t length;
} text_sink;

static void sink_printf(text_sink *sink, const char *fmt, ...) LO_PRINTF(2, 3);
static void sink_printf(text_sink *sink, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    size_t room = sink->length < sink->size ? sink->size - sink->length : 0;
    int n = vsnprintf(room ? sink->text + sink->length : NULL, room, fmt, args);
    va_end(args);
    if (n > 0) sink->length += (size_t)n;
}

static void sink_ref(text_sink *sink, const lo_graph *graph, int tensor, const lo_tensor_ref *ref)
{
    char shape[128];
    lo_shape_format(&ref->shape, shape, sizeof shape);
    if (ref->buffer == LO_BUFFER_ARENA)
        sink_printf(sink, "%s%s@arena+%zu", graph->tensors[tensor].name, shape, ref->offset);
    else
        sink_printf(sink, "%s%s@const#%d", graph->tensors[tensor].name, shape, ref->constant);
}

size_t lo_session_describe(const lenet_onnx_session *s, char *text, size_t size)
{
    text_sink sink = {text, size, 0};
    const lo_schedule *sc = &s->schedule;
    const lo_graph *g = s->graph;
    if (size) text[0] = '\0';
    sink_printf(&sink, "plan: %d steps\n", sc->num_steps);
    for (int k = 0; k < sc->num_steps; k++) {
        const lo_step *step = &sc->steps[k];
        const lo_node *node = &g->nodes[sc->step_nodes[k]];
        sink_printf(&sink, "  %2d %-12s %-24s ", k, step->label, node->name);
        for (int i = 0; i < step->num_inputs; i++) {
            if (i) sink_printf(&sink, ", ");
            sink_ref(&sink, g, sc->step_reads[k][i], &step->inputs[i]);
        }
        sink_printf(&sink, " -> ");
        sink_ref(&sink, g, sc->step_outputs[k], &step->output);
        sink_printf(&sink, "\n");
    }
    for (int i = 0; i < g->num_inputs; i++) {
        sink_printf(&sink, "  input  ");
        sink_ref(&sink, g, g->inputs[i], &sc->inputs[i]);
        sink_printf(&sink, "\n");
    }
    for (int i = 0; i < g->num_outputs; i++) {
        sink_printf(&sink, "  output ");
        sink_ref(&sink, g, g->outputs[i], &sc->outputs[i]);
        sink_printf(&sink, "\n");
    }
    sink_printf(&sink,
                "arena: %zu bytes (lower bound: %zu bytes alive at once; naive sum of "
                "intermediates: %zu bytes), constants read: %d (%zu bytes)\n",
                sc->arena_bytes, sc->peak_live_bytes, sc->naive_arena_bytes, sc->num_constants,
                sc->constant_bytes);
    return sink.length;
}

void lo_tensor_info(const lo_tensor *t, lenet_onnx_tensor_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", t->name);
    info->dtype = (lenet_onnx_dtype)t->dtype;
    info->rank = (uint32_t)t->shape.rank;
    for (int d = 0; d < t->shape.rank; d++)
        info->dims[d] = t->shape.dims[d];
    info->layout = LENET_ONNX_LAYOUT_OTHER;
    if (t->shape.rank == 4) {
        int64_t c_last = t->shape.dims[3], c_second = t->shape.dims[1];
        bool nhwc = (c_last == 1 || c_last == 3) && c_second != 1 && c_second != 3;
        info->layout = nhwc ? LENET_ONNX_LAYOUT_NHWC : LENET_ONNX_LAYOUT_NCHW;
    }
    int64_t numel = lo_shape_numel(&t->shape);
    uint64_t bytes;
    info->size_bytes =
        numel >= 0 && !__builtin_mul_overflow((uint64_t)numel, lo_dtype_size(t->dtype), &bytes)
            ? bytes
            : 0;
}
