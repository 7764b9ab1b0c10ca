/* Running a compiled graph for ONNX Runtime: one planned session per batch size met (the
 * batch is the leading dim of the first input), kept until the compute info is released.
 * Inputs and outputs are ONNX Runtime's CPU tensors; the session copies them to and from the
 * device. Runs on one compiled graph are serialised, since a session's arena is shared. */
#include "ort_ep.h"
#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Plans kept per compiled graph; the oldest goes when a new batch size needs room. */
#define MAX_SESSIONS 8

typedef struct compute_info {
    OrtNodeComputeInfo base; /* first */
    const OrtApi *api;
    lenet_onnx_context *context; /* the EP's */
    lo_graph *graph;
    int *input_slots;  /* per graph input: its index among the fused node's inputs */
    int *output_slots; /* per graph output: its index among the fused node's outputs */
    pthread_mutex_t lock;
    lenet_onnx_session *sessions[MAX_SESSIONS]; /* most recently created last */
    int num_sessions;
} compute_info;

static OrtStatus *ORT_API_CALL create_state(OrtNodeComputeInfo *this_ptr,
                                            OrtNodeComputeContext *context, void **state)
{
    (void)context;
    *state = this_ptr; /* the sessions live in the compute info itself */
    return NULL;
}

static void ORT_API_CALL release_state(OrtNodeComputeInfo *this_ptr, void *state)
{
    (void)this_ptr;
    (void)state;
}

static lo_status session_for_batch(compute_info *c, int64_t batch, lenet_onnx_session **out,
                                   lo_error *err)
{
    for (int i = 0; i < c->num_sessions; i++) {
        const lo_tensor *t = &c->sessions[i]->graph->tensors[c->sessions[i]->graph->inputs[0]];
        if (t->shape.rank > 0 && t->shape.dims[0] == batch) {
            *out = c->sessions[i];
            return LO_OK;
        }
    }
    lo_status st =
        lo_session_create(c->context, c->graph, &(lo_session_config){.batch = batch}, out, err);
    if (st != LO_OK) return st;
    if (c->num_sessions == MAX_SESSIONS) {
        lo_session_release(c->sessions[0]);
        memmove(c->sessions, c->sessions + 1, (MAX_SESSIONS - 1) * sizeof c->sessions[0]);
        c->num_sessions--;
    }
    c->sessions[c->num_sessions++] = *out;
    return LO_OK;
}

/* The fused node's input `slot` as a host pointer, checked against the planned shape. */
static lo_status bind_input(compute_info *c, OrtKernelContext *kc, int slot,
                            const lo_tensor *planned, int64_t *leading, const void **data,
                            lo_error *err)
{
    const OrtApi *api = c->api;
    const OrtValue *value = NULL;
    OrtTensorTypeAndShapeInfo *info = NULL;
    size_t rank = 0;
    int64_t dims[LO_MAX_RANK];
    lo_status st = lo_ort_check(api, api->KernelContext_GetInput(kc, (size_t)slot, &value),
                                LO_ERR_ARGUMENT, err, "lenet-onnx: input");
    if (st == LO_OK)
        st = lo_ort_check(api, api->GetTensorTypeAndShape(value, &info), LO_ERR_ARGUMENT, err,
                          "lenet-onnx: input shape");
    if (st == LO_OK)
        st = lo_ort_check(api, api->GetDimensionsCount(info, &rank), LO_ERR_ARGUMENT, err,
                          "lenet-onnx: input rank");
    if (st == LO_OK && (rank != (size_t)planned->shape.rank || rank > LO_MAX_RANK))
        st = lo_fail(err, LO_ERR_ARGUMENT, "%s: input '%s' has rank %zu; the model's is %d",
                     c->graph->source, planned->name, rank, planned->shape.rank);
    if (st == LO_OK && rank)
        st = lo_ort_check(api, api->GetDimensions(info, dims, rank), LO_ERR_ARGUMENT, err,
                          "lenet-onnx: input dims");
    if (info) api->ReleaseTensorTypeAndShapeInfo(info);
    if (st != LO_OK) return st;
    if (leading) *leading = rank ? dims[0] : 0;
    /* A bound session's input shape is static; before binding only the batch may differ. */
    for (size_t d = 0; d < rank; d++)
        if (planned->shape.dims[d] >= 0 && planned->shape.dims[d] != dims[d] && !(leading && !d))
            return lo_fail(err, LO_ERR_ARGUMENT,
                           "%s: input '%s' dim %zu is %lld; the model's is %lld", c->graph->source,
                           planned->name, d, (long long)dims[d], (long long)planned->shape.dims[d]);
    return lo_ort_check(api, api->GetTensorData(value, data), LO_ERR_ARGUMENT, err,
                        "lenet-onnx: input data");
}

static lo_status compute_locked(compute_info *c, OrtKernelContext *kc, const void **inputs,
                                void **outputs, lo_error *err)
{
    const OrtApi *api = c->api;
    const lo_graph *g = c->graph;
    int64_t batch = 0;
    const void *first = NULL;
    lo_status st =
        bind_input(c, kc, c->input_slots[0], &g->tensors[g->inputs[0]], &batch, &first, err);
    lenet_onnx_session *s = NULL;
    if (st == LO_OK) st = session_for_batch(c, batch, &s, err);
    if (st != LO_OK) return st;
    const lo_graph *bound = s->graph;
    for (int i = 0; i < bound->num_inputs && st == LO_OK; i++)
        st = bind_input(c, kc, c->input_slots[i], &bound->tensors[bound->inputs[i]], NULL,
                        &inputs[i], err);
    for (int k = 0; k < bound->num_outputs && st == LO_OK; k++) {
        const lo_tensor *t = &bound->tensors[bound->outputs[k]];
        OrtValue *value = NULL;
        st =
            lo_ort_check(api,
                         api->KernelContext_GetOutput(kc, (size_t)c->output_slots[k], t->shape.dims,
                                                      (size_t)t->shape.rank, &value),
                         LO_ERR_DEVICE, err, "lenet-onnx: output");
        if (st == LO_OK)
            st = lo_ort_check(api, api->GetTensorMutableData(value, &outputs[k]), LO_ERR_DEVICE,
                              err, "lenet-onnx: output data");
    }
    if (st == LO_OK)
        st = lo_session_run(s, (const void *const *)inputs, (void *const *)outputs, err);
    return st;
}

static OrtStatus *ORT_API_CALL compute(OrtNodeComputeInfo *this_ptr, void *state,
                                       OrtKernelContext *kc)
{
    (void)state;
    compute_info *c = (compute_info *)this_ptr;
    lo_error err;
    lo_error_clear(&err);
    const void **inputs = lo_calloc((size_t)c->graph->num_inputs + 1, sizeof *inputs);
    void **outputs = lo_calloc((size_t)c->graph->num_outputs + 1, sizeof *outputs);
    lo_status st = inputs && outputs ? LO_OK : lo_fail(&err, LO_ERR_NO_MEMORY, "out of memory");
    if (st == LO_OK) {
        pthread_mutex_lock(&c->lock);
        st = compute_locked(c, kc, inputs, outputs, &err);
        pthread_mutex_unlock(&c->lock);
    }
    lo_free(inputs);
    lo_free(outputs);
    return lo_ort_status(c->api, st, &err);
}

/* Index of the value named `name` among `values`, or -1. */
static int find_value(const OrtApi *api, const OrtValueInfo *const *values, size_t count,
                      const char *name)
{
    for (size_t i = 0; i < count; i++) {
        const char *other = NULL;
        if (!values[i]) continue;
        OrtStatus *s = api->GetValueInfoName(values[i], &other);
        if (s) {
            api->ReleaseStatus(s);
            continue;
        }
        if (other && strcmp(other, name) == 0) return (int)i;
    }
    return -1;
}

/* Where each of our graph's inputs or outputs sits among the fused node's. */
static lo_status map_slots(compute_info *c, const OrtNode *fused, bool inputs, lo_error *err)
{
    const OrtApi *api = c->api;
    const lo_graph *g = c->graph;
    size_t count = 0;
    const char *what = inputs ? "input" : "output";
    lo_status st = lo_ort_check(api,
                                inputs ? api->Node_GetNumInputs(fused, &count)
                                       : api->Node_GetNumOutputs(fused, &count),
                                LO_ERR_MODEL, err, "lenet-onnx: fused node");
    const OrtValueInfo **values = lo_calloc(count + 1, sizeof *values);
    int num = inputs ? g->num_inputs : g->num_outputs;
    int *slots = lo_calloc((size_t)num + 1, sizeof *slots);
    if (inputs)
        c->input_slots = slots;
    else
        c->output_slots = slots;
    if (st == LO_OK && (!values || !slots)) st = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
    if (st == LO_OK && count)
        st = lo_ort_check(api,
                          inputs ? api->Node_GetInputs(fused, values, count)
                                 : api->Node_GetOutputs(fused, values, count),
                          LO_ERR_MODEL, err, "lenet-onnx: fused node");
    for (int i = 0; i < num && st == LO_OK; i++) {
        const char *name = g->tensors[inputs ? g->inputs[i] : g->outputs[i]].name;
        slots[i] = find_value(api, values, count, name);
        if (slots[i] < 0)
            st = lo_fail(err, LO_ERR_MODEL, "%s: %s '%s' is not among the fused node's %ss",
                         g->source, what, name, what);
    }
    lo_free(values);
    return st;
}

lo_status lo_ort_compute_create(const OrtApi *api, lenet_onnx_context *context, lo_graph *graph,
                                const OrtNode *fused_node, OrtNodeComputeInfo **out, lo_error *err)
{
    *out = NULL;
    compute_info *c = lo_calloc(1, sizeof *c);
    if (!c) {
        lo_graph_free(graph);
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory");
    }
    c->api = api;
    c->context = context;
    c->graph = graph;
    pthread_mutex_init(&c->lock, NULL);
    c->base.ort_version_supported = LO_ORT_API_VERSION;
    c->base.CreateState = create_state;
    c->base.Compute = compute;
    c->base.ReleaseState = release_state;
    lo_status st = LO_OK;
    if (graph->num_inputs == 0)
        st = lo_fail(err, LO_ERR_UNSUPPORTED, "%s: the graph has no runtime inputs", graph->source);
    if (st == LO_OK) st = map_slots(c, fused_node, true, err);
    if (st == LO_OK) st = map_slots(c, fused_node, false, err);
    if (st != LO_OK) {
        lo_ort_compute_release(&c->base);
        return st;
    }
    *out = &c->base;
    return LO_OK;
}

void lo_ort_compute_release(OrtNodeComputeInfo *info)
{
    compute_info *c = (compute_info *)info;
    if (!c) return;
    for (int i = 0; i < c->num_sessions; i++)
        lo_session_release(c->sessions[i]);
    lo_graph_free(c->graph);
    lo_free(c->input_slots);
    lo_free(c->output_slots);
    pthread_mutex_destroy(&c->lock);
    lo_free(c);
}
