/* The fake ONNX Runtime of fake_ort_graph.h: objects, accessors, graph views and the decoder
 * of fuzz bytes into a graph. */
#include "fake_ort_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_DIMS 16 /* more than the EP's rank limit, so its check is reached */

struct OrtStatus {
    OrtErrorCode code;
    char message[160];
};

typedef struct fake_shape {
    int elem;
    size_t rank;
    int64_t dims[FAKE_MAX_DIMS];
    const char *symbols[FAKE_MAX_DIMS];
} fake_shape;

struct OrtTensorTypeAndShapeInfo {
    fake_shape shape;
    int released_by_caller; /* 1: made by GetTensorTypeAndShape, the caller releases it */
};

struct OrtTypeInfo {
    int is_tensor;
    OrtTensorTypeAndShapeInfo tensor;
};

struct OrtValue {
    fake_shape shape;
    void *data;
    size_t bytes;
    int released_by_caller; /* 1: a TENSOR attribute's copy, which the caller releases */
};

struct OrtValueInfo {
    const char *name;
    OrtTypeInfo type;
    OrtValue *initializer;
    unsigned made, read, wanted, listed; /* marks of the last view built */
};

struct OrtOpAttr {
    const char *name;
    OrtOpAttrType type;
    int64_t i;
    float f;
    void *array; /* INTS, FLOATS, STRING (not NUL-terminated for ONNX Runtime) */
    size_t array_bytes;
    OrtValue tensor;
};

struct OrtNode {
    const fake_model *model;
    const char *name, *op_type, *domain;
    int since;
    OrtValueInfo **inputs, **outputs;
    size_t num_inputs, num_outputs;
    OrtOpAttr **attrs;
    size_t num_attrs;
    size_t position; /* in the model's node list */
};

struct OrtGraph {
    fake_model *model;
    int is_view;
    const OrtNode **nodes;
    size_t num_nodes, cap_nodes;
    OrtValueInfo **inputs, **outputs;
    size_t num_inputs, num_outputs, cap_inputs, cap_outputs;
};

struct OrtEpGraphSupportInfo {
    fake_model *model;
};

typedef struct allocation {
    struct allocation *next;
} allocation;

struct fake_model {
    allocation *allocations;
    const char *name;
    int64_t ir_version;
    const char *domains[16];
    int64_t versions[16];
    size_t num_opsets;
    OrtGraph graph;
    OrtEpGraphSupportInfo support;
    unsigned char *fused; /* per node */
    size_t fused_count;
    uint64_t calls, fail_at;
    const char *injected; /* the accessor that failed on demand, if one did */
    void **blocks;        /* tensor data, each exactly its size so ASan sees reads past it */
    size_t num_blocks, cap_blocks;
};

struct OrtLogger {
    int unused;
};

static long live_statuses;
static fake_model *current; /* the model whose accessors are running: for failure injection */

/* ---- memory: everything of a model lives until fake_model_free ---- */

static void *fake_alloc(fake_model *m, size_t size)
{
    allocation *a = calloc(1, sizeof(allocation) + size + 1);
    if (!a) abort();
    a->next = m->allocations;
    m->allocations = a;
    return a + 1;
}

static const char *fake_strdup(fake_model *m, const char *s, size_t len)
{
    char *copy = fake_alloc(m, len + 1);
    memcpy(copy, s, len);
    return copy;
}

static void grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return;
    size_t cap2 = *cap ? *cap * 2 : 8;
    while (cap2 < need)
        cap2 *= 2;
    void *a = realloc(*array, cap2 * elem);
    if (!a) abort();
    *array = a;
    *cap = cap2;
}

/* ---- statuses ---- */

static OrtStatus *status(OrtErrorCode code, const char *message)
{
    OrtStatus *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->code = code;
    snprintf(s->message, sizeof s->message, "%s", message);
    live_statuses++;
    return s;
}

static OrtStatus *ORT_API_CALL api_CreateStatus(OrtErrorCode code, const char *msg)
{
    return status(code, msg);
}

static OrtErrorCode ORT_API_CALL api_GetErrorCode(const OrtStatus *s)
{
    return s->code;
}

static const char *ORT_API_CALL api_GetErrorMessage(const OrtStatus *s)
{
    return s->message;
}

static void ORT_API_CALL api_ReleaseStatus(OrtStatus *s)
{
    if (!s) return;
    live_statuses--;
    free(s);
}

long fake_live_statuses(void)
{
    return live_statuses;
}

/* Every accessor starts here: the injected failure, when this call is the chosen one. */
#define ENTER(what)                                                                                \
    do {                                                                                           \
        if (current && ++current->calls == current->fail_at) {                                     \
            current->injected = what;                                                              \
            return status(ORT_FAIL, "injected failure in " what);                                  \
        }                                                                                          \
    } while (0)

#define NEED(cond, what)                                                                           \
    do {                                                                                           \
        if (!(cond)) return status(ORT_INVALID_ARGUMENT, what);                                    \
    } while (0)

/* ---- value infos, types, tensors ---- */

static OrtStatus *ORT_API_CALL api_GetValueInfoName(const OrtValueInfo *v, const char **name)
{
    ENTER("GetValueInfoName");
    NEED(v && name, "GetValueInfoName: null argument");
    *name = v->name;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetValueInfoTypeInfo(const OrtValueInfo *v,
                                                        const OrtTypeInfo **type)
{
    ENTER("GetValueInfoTypeInfo");
    NEED(v && type, "GetValueInfoTypeInfo: null argument");
    *type = &v->type;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_CastTypeInfoToTensorInfo(const OrtTypeInfo *type,
                                                            const OrtTensorTypeAndShapeInfo **out)
{
    ENTER("CastTypeInfoToTensorInfo");
    NEED(type && out, "CastTypeInfoToTensorInfo: null argument");
    *out = type->is_tensor ? &type->tensor : NULL; /* ONNX Runtime: NULL for non-tensors */
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetTensorElementType(const OrtTensorTypeAndShapeInfo *info,
                                                        ONNXTensorElementDataType *out)
{
    ENTER("GetTensorElementType");
    NEED(info && out, "GetTensorElementType: null argument");
    *out = (ONNXTensorElementDataType)info->shape.elem;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetDimensionsCount(const OrtTensorTypeAndShapeInfo *info,
                                                      size_t *out)
{
    ENTER("GetDimensionsCount");
    NEED(info && out, "GetDimensionsCount: null argument");
    *out = info->shape.rank;
    return NULL;
}

/* ONNX Runtime copies min(length, rank) entries. */
static OrtStatus *ORT_API_CALL api_GetDimensions(const OrtTensorTypeAndShapeInfo *info,
                                                 int64_t *dims, size_t length)
{
    ENTER("GetDimensions");
    NEED(info && dims, "GetDimensions: null argument");
    for (size_t d = 0; d < length && d < info->shape.rank; d++)
        dims[d] = info->shape.dims[d];
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetSymbolicDimensions(const OrtTensorTypeAndShapeInfo *info,
                                                         const char **params, size_t length)
{
    ENTER("GetSymbolicDimensions");
    NEED(info && params, "GetSymbolicDimensions: null argument");
    for (size_t d = 0; d < length && d < info->shape.rank; d++)
        params[d] = info->shape.symbols[d] ? info->shape.symbols[d] : "";
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetTensorTypeAndShape(const OrtValue *value,
                                                         OrtTensorTypeAndShapeInfo **out)
{
    ENTER("GetTensorTypeAndShape");
    NEED(value && out, "GetTensorTypeAndShape: null argument");
    OrtTensorTypeAndShapeInfo *info = calloc(1, sizeof *info);
    if (!info) abort();
    info->shape = value->shape;
    info->released_by_caller = 1;
    *out = info;
    return NULL;
}

static void ORT_API_CALL api_ReleaseTensorTypeAndShapeInfo(OrtTensorTypeAndShapeInfo *info)
{
    if (!info) return;
    if (!info->released_by_caller) abort(); /* ONNX Runtime owns it */
    free(info);
}

static OrtStatus *ORT_API_CALL api_GetTensorData(const OrtValue *value, const void **out)
{
    ENTER("GetTensorData");
    NEED(value && out, "GetTensorData: null argument");
    *out = value->data;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_GetTensorSizeInBytes(const OrtValue *value, size_t *size)
{
    ENTER("GetTensorSizeInBytes");
    NEED(value && size, "GetTensorSizeInBytes: null argument");
    *size = value->bytes;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_ValueInfo_GetInitializerValue(const OrtValueInfo *v,
                                                                 const OrtValue **out)
{
    ENTER("ValueInfo_GetInitializerValue");
    NEED(v && out, "ValueInfo_GetInitializerValue: null argument");
    *out = v->initializer;
    return NULL;
}

static void ORT_API_CALL api_ReleaseValue(OrtValue *value)
{
    if (!value) return;
    if (!value->released_by_caller) abort(); /* an initializer: ONNX Runtime owns it */
    free(value);
}

/* ---- attributes ---- */

static OrtStatus *ORT_API_CALL api_OpAttr_GetName(const OrtOpAttr *a, const char **name)
{
    ENTER("OpAttr_GetName");
    NEED(a && name, "OpAttr_GetName: null argument");
    *name = a->name;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_OpAttr_GetType(const OrtOpAttr *a, OrtOpAttrType *type)
{
    ENTER("OpAttr_GetType");
    NEED(a && type, "OpAttr_GetType: null argument");
    *type = a->type;
    return NULL;
}

/* As ONNX Runtime 1.23: *out says the bytes needed (a string's with its NUL), and a buffer
 * shorter than that fails with *out set; an empty array fits any buffer, even none. */
static OrtStatus *ORT_API_CALL api_ReadOpAttr(const OrtOpAttr *a, OrtOpAttrType type, void *data,
                                              size_t len, size_t *out)
{
    ENTER("ReadOpAttr");
    NEED(a && out, "ReadOpAttr: null argument");
    *out = 0;
    if (type != a->type) return status(ORT_INVALID_ARGUMENT, "ReadOpAttr: type mismatch");
    const void *src;
    size_t need, terminator = 0;
    switch (type) {
    case ORT_OP_ATTR_INT:
        src = &a->i;
        need = sizeof a->i;
        break;
    case ORT_OP_ATTR_FLOAT:
        src = &a->f;
        need = sizeof a->f;
        break;
    case ORT_OP_ATTR_STRING:
        terminator = 1;
        /* fall through */
    case ORT_OP_ATTR_INTS:
    case ORT_OP_ATTR_FLOATS:
        src = a->array;
        need = a->array_bytes + terminator;
        break;
    default:
        return status(ORT_INVALID_ARGUMENT, "Unexpected attribute type.");
    }
    *out = need;
    if (len < need) return status(ORT_INVALID_ARGUMENT, "Size of data not large enough");
    if (need - terminator) memcpy(data, src, need - terminator);
    if (terminator) ((char *)data)[need - 1] = '\0';
    return NULL;
}

static OrtStatus *ORT_API_CALL api_OpAttr_GetTensorAttributeAsOrtValue(const OrtOpAttr *a,
                                                                       OrtValue **out)
{
    ENTER("OpAttr_GetTensorAttributeAsOrtValue");
    NEED(a && out, "OpAttr_GetTensorAttributeAsOrtValue: null argument");
    if (a->type != ORT_OP_ATTR_TENSOR)
        return status(ORT_INVALID_ARGUMENT, "not a tensor attribute");
    OrtValue *v = calloc(1, sizeof *v);
    if (!v) abort();
    *v = a->tensor;
    v->released_by_caller = 1;
    *out = v;
    return NULL;
}

/* ---- nodes ---- */

static OrtStatus *ORT_API_CALL api_Node_GetName(const OrtNode *n, const char **out)
{
    ENTER("Node_GetName");
    NEED(n && out, "Node_GetName: null argument");
    *out = n->name;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Node_GetOperatorType(const OrtNode *n, const char **out)
{
    ENTER("Node_GetOperatorType");
    NEED(n && out, "Node_GetOperatorType: null argument");
    *out = n->op_type;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Node_GetDomain(const OrtNode *n, const char **out)
{
    ENTER("Node_GetDomain");
    NEED(n && out, "Node_GetDomain: null argument");
    *out = n->domain;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Node_GetSinceVersion(const OrtNode *n, int *out)
{
    ENTER("Node_GetSinceVersion");
    NEED(n && out, "Node_GetSinceVersion: null argument");
    *out = n->since;
    return NULL;
}

#define COUNT_ACCESSOR(fn, field)                                                                  \
    static OrtStatus *ORT_API_CALL api_##fn(const OrtNode *n, size_t *out)                         \
    {                                                                                              \
        ENTER(#fn);                                                                                \
        NEED(n &&out, #fn ": null argument");                                                      \
        *out = n->field;                                                                           \
        return NULL;                                                                               \
    }
COUNT_ACCESSOR(Node_GetNumInputs, num_inputs)
COUNT_ACCESSOR(Node_GetNumOutputs, num_outputs)
COUNT_ACCESSOR(Node_GetNumAttributes, num_attrs)

#define ARRAY_ACCESSOR(fn, type, field, count)                                                     \
    static OrtStatus *ORT_API_CALL api_##fn(const OrtNode *n, const type **out, size_t length)     \
    {                                                                                              \
        ENTER(#fn);                                                                                \
        NEED(n &&out, #fn ": null argument");                                                      \
        NEED(length >= n->count, #fn ": array is smaller than the count");                         \
        for (size_t i = 0; i < n->count; i++)                                                      \
            out[i] = n->field[i];                                                                  \
        return NULL;                                                                               \
    }
ARRAY_ACCESSOR(Node_GetInputs, OrtValueInfo, inputs, num_inputs)
ARRAY_ACCESSOR(Node_GetOutputs, OrtValueInfo, outputs, num_outputs)
ARRAY_ACCESSOR(Node_GetAttributes, OrtOpAttr, attrs, num_attrs)

/* ---- graphs and views ---- */

static OrtStatus *ORT_API_CALL api_Graph_GetName(const OrtGraph *g, const char **out)
{
    ENTER("Graph_GetName");
    NEED(g && out, "Graph_GetName: null argument");
    *out = g->model->name;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Graph_GetOnnxIRVersion(const OrtGraph *g, int64_t *out)
{
    ENTER("Graph_GetOnnxIRVersion");
    NEED(g && out, "Graph_GetOnnxIRVersion: null argument");
    *out = g->model->ir_version;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Graph_GetNumOperatorSets(const OrtGraph *g, size_t *out)
{
    ENTER("Graph_GetNumOperatorSets");
    NEED(g && out, "Graph_GetNumOperatorSets: null argument");
    *out = g->model->num_opsets;
    return NULL;
}

static OrtStatus *ORT_API_CALL api_Graph_GetOperatorSets(const OrtGraph *g, const char **domains,
                                                         int64_t *versions, size_t length)
{
    ENTER("Graph_GetOperatorSets");
    NEED(g && domains && versions, "Graph_GetOperatorSets: null argument");
    NEED(length >= g->model->num_opsets, "Graph_GetOperatorSets: arrays are too small");
    for (size_t i = 0; i < g->model->num_opsets; i++) {
        domains[i] = g->model->domains[i];
        versions[i] = g->model->versions[i];
    }
    return NULL;
}

#define GRAPH_COUNT(fn, field)                                                                     \
    static OrtStatus *ORT_API_CALL api_##fn(const OrtGraph *g, size_t *out)                        \
    {                                                                                              \
        ENTER(#fn);                                                                                \
        NEED(g &&out, #fn ": null argument");                                                      \
        *out = g->field;                                                                           \
        return NULL;                                                                               \
    }
GRAPH_COUNT(Graph_GetNumInputs, num_inputs)
GRAPH_COUNT(Graph_GetNumOutputs, num_outputs)
GRAPH_COUNT(Graph_GetNumNodes, num_nodes)

#define GRAPH_ARRAY(fn, type, field, count)                                                        \
    static OrtStatus *ORT_API_CALL api_##fn(const OrtGraph *g, const type **out, size_t length)    \
    {                                                                                              \
        ENTER(#fn);                                                                                \
        NEED(g &&out, #fn ": null argument");                                                      \
        NEED(length >= g->count, #fn ": array is smaller than the count");                         \
        for (size_t i = 0; i < g->count; i++)                                                      \
            out[i] = g->field[i];                                                                  \
        return NULL;                                                                               \
    }
GRAPH_ARRAY(Graph_GetInputs, OrtValueInfo, inputs, num_inputs)
GRAPH_ARRAY(Graph_GetOutputs, OrtValueInfo, outputs, num_outputs)
GRAPH_ARRAY(Graph_GetNodes, OrtNode, nodes, num_nodes)

static void view_free(OrtGraph *view)
{
    free(view->nodes);
    free(view->inputs);
    free(view->outputs);
    free(view);
}

static void list_value(OrtValueInfo ***array, size_t *count, size_t *cap, OrtValueInfo *v,
                       unsigned mark)
{
    if (v->listed == mark) return;
    v->listed = mark;
    grow((void **)array, cap, *count + 1, sizeof **array);
    (*array)[(*count)++] = v;
}

/* As ONNX Runtime's: the given nodes; as inputs, in the source graph's order first, the values
 * they read that none of them makes and that are not initializers; as outputs, in node order,
 * the values they make that the whole graph outputs or a node outside the view reads. Linear
 * in the graph's size (values carry marks), so 100,000-node graphs stay quick. */
static OrtStatus *ORT_API_CALL api_Graph_GetGraphView(const OrtGraph *src, const OrtNode **nodes,
                                                      size_t count, OrtGraph **out)
{
    static unsigned marks;
    ENTER("Graph_GetGraphView");
    NEED(src && out && (nodes || !count), "Graph_GetGraphView: null argument");
    fake_model *m = src->model;
    const OrtGraph *root = &m->graph;
    OrtGraph *view = calloc(1, sizeof *view);
    unsigned char *in_src = calloc(root->num_nodes + 1, 1),
                  *in_view = calloc(root->num_nodes + 1, 1);
    if (!view || !in_src || !in_view) abort();
    view->model = m;
    view->is_view = 1;
    for (size_t j = 0; j < src->num_nodes; j++)
        in_src[src->nodes[j]->position] = 1;
    for (size_t i = 0; i < count; i++) {
        const OrtNode *n = nodes[i];
        if (!n || n->model != m || !in_src[n->position] || in_view[n->position]) {
            free(in_src);
            free(in_view);
            view_free(view);
            return status(ORT_INVALID_ARGUMENT, "Graph_GetGraphView: node not in the graph");
        }
        in_view[n->position] = 1;
        grow((void **)&view->nodes, &view->cap_nodes, view->num_nodes + 1, sizeof *view->nodes);
        view->nodes[view->num_nodes++] = n;
    }
    unsigned mark = ++marks;
    for (size_t i = 0; i < count; i++)
        for (size_t o = 0; o < nodes[i]->num_outputs; o++)
            if (nodes[i]->outputs[o]) nodes[i]->outputs[o]->made = mark;
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < nodes[i]->num_inputs; k++) {
            OrtValueInfo *v = nodes[i]->inputs[k];
            if (v && v->made != mark && !v->initializer) v->read = mark;
        }
    for (size_t i = 0; i < root->num_outputs; i++)
        root->outputs[i]->wanted = mark;
    for (size_t n = 0; n < root->num_nodes; n++)
        if (!in_view[n])
            for (size_t k = 0; k < root->nodes[n]->num_inputs; k++)
                if (root->nodes[n]->inputs[k]) root->nodes[n]->inputs[k]->wanted = mark;
    for (size_t i = 0; i < src->num_inputs; i++)
        if (src->inputs[i]->read == mark)
            list_value(&view->inputs, &view->num_inputs, &view->cap_inputs, src->inputs[i], mark);
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < nodes[i]->num_inputs; k++) {
            OrtValueInfo *v = nodes[i]->inputs[k];
            if (v && v->read == mark)
                list_value(&view->inputs, &view->num_inputs, &view->cap_inputs, v, mark);
        }
    for (size_t i = 0; i < count; i++)
        for (size_t o = 0; o < nodes[i]->num_outputs; o++) {
            OrtValueInfo *v = nodes[i]->outputs[o];
            if (v && v->wanted == mark)
                list_value(&view->outputs, &view->num_outputs, &view->cap_outputs, v, mark);
        }
    free(in_src);
    free(in_view);
    *out = view;
    return NULL;
}

static void ORT_API_CALL api_ReleaseGraph(OrtGraph *g)
{
    if (!g) return;
    if (!g->is_view) abort(); /* ONNX Runtime owns the session's graph */
    view_free(g);
}

/* ---- logging and the EP API ---- */

static OrtStatus *ORT_API_CALL api_Logger_LogMessage(const OrtLogger *logger, OrtLoggingLevel level,
                                                     const char *message, const char *file,
                                                     int line, const char *function)
{
    (void)level;
    (void)line;
    ENTER("Logger_LogMessage");
    NEED(logger && message && file && function, "Logger_LogMessage: null argument");
    volatile size_t length = strlen(message) + strlen(file) + strlen(function);
    (void)length; /* read whole, so ASan sees an unterminated message */
    return NULL;
}

static OrtStatus *ORT_API_CALL api_AddNodesToFuse(OrtEpGraphSupportInfo *support,
                                                  const OrtNode *const *nodes, size_t count,
                                                  const OrtNodeFusionOptions *options)
{
    ENTER("EpGraphSupportInfo_AddNodesToFuse");
    NEED(support && nodes && count, "EpGraphSupportInfo_AddNodesToFuse: no nodes");
    (void)options;
    fake_model *m = support->model;
    for (size_t i = 0; i < count; i++) {
        const OrtNode *n = nodes[i];
        if (!n || n->model != m || n->position >= m->graph.num_nodes) abort();
        if (m->fused[n->position]) abort(); /* a node claimed twice */
        m->fused[n->position] = 1;
        m->fused_count++;
    }
    return NULL;
}

const OrtApi *fake_ort_api(void)
{
    static OrtApi api;
    static int made;
    if (made) return &api;
    made = 1;
    api.CreateStatus = api_CreateStatus;
    api.GetErrorCode = api_GetErrorCode;
    api.GetErrorMessage = api_GetErrorMessage;
    api.ReleaseStatus = api_ReleaseStatus;
    api.GetValueInfoName = api_GetValueInfoName;
    api.GetValueInfoTypeInfo = api_GetValueInfoTypeInfo;
    api.CastTypeInfoToTensorInfo = api_CastTypeInfoToTensorInfo;
    api.GetTensorElementType = api_GetTensorElementType;
    api.GetDimensionsCount = api_GetDimensionsCount;
    api.GetDimensions = api_GetDimensions;
    api.GetSymbolicDimensions = api_GetSymbolicDimensions;
    api.GetTensorTypeAndShape = api_GetTensorTypeAndShape;
    api.ReleaseTensorTypeAndShapeInfo = api_ReleaseTensorTypeAndShapeInfo;
    api.GetTensorData = api_GetTensorData;
    api.GetTensorSizeInBytes = api_GetTensorSizeInBytes;
    api.ValueInfo_GetInitializerValue = api_ValueInfo_GetInitializerValue;
    api.ReleaseValue = api_ReleaseValue;
    api.OpAttr_GetName = api_OpAttr_GetName;
    api.OpAttr_GetType = api_OpAttr_GetType;
    api.ReadOpAttr = api_ReadOpAttr;
    api.OpAttr_GetTensorAttributeAsOrtValue = api_OpAttr_GetTensorAttributeAsOrtValue;
    api.Node_GetName = api_Node_GetName;
    api.Node_GetOperatorType = api_Node_GetOperatorType;
    api.Node_GetDomain = api_Node_GetDomain;
    api.Node_GetSinceVersion = api_Node_GetSinceVersion;
    api.Node_GetNumInputs = api_Node_GetNumInputs;
    api.Node_GetNumOutputs = api_Node_GetNumOutputs;
    api.Node_GetNumAttributes = api_Node_GetNumAttributes;
    api.Node_GetInputs = api_Node_GetInputs;
    api.Node_GetOutputs = api_Node_GetOutputs;
    api.Node_GetAttributes = api_Node_GetAttributes;
    api.Graph_GetName = api_Graph_GetName;
    api.Graph_GetOnnxIRVersion = api_Graph_GetOnnxIRVersion;
    api.Graph_GetNumOperatorSets = api_Graph_GetNumOperatorSets;
    api.Graph_GetOperatorSets = api_Graph_GetOperatorSets;
    api.Graph_GetNumInputs = api_Graph_GetNumInputs;
    api.Graph_GetInputs = api_Graph_GetInputs;
    api.Graph_GetNumOutputs = api_Graph_GetNumOutputs;
    api.Graph_GetOutputs = api_Graph_GetOutputs;
    api.Graph_GetNumNodes = api_Graph_GetNumNodes;
    api.Graph_GetNodes = api_Graph_GetNodes;
    api.Graph_GetGraphView = api_Graph_GetGraphView;
    api.ReleaseGraph = api_ReleaseGraph;
    api.Logger_LogMessage = api_Logger_LogMessage;
    return &api;
}

const OrtEpApi *fake_ort_ep_api(void)
{
    static OrtEpApi api;
    api.EpGraphSupportInfo_AddNodesToFuse = api_AddNodesToFuse;
    return &api;
}

const OrtLogger *fake_ort_logger(void)
{
    static OrtLogger logger;
    return &logger;
}

/* ---- building ---- */

fake_model *fake_model_create(const char *graph_name, int64_t ir_version)
{
    fake_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->name = graph_name ? fake_strdup(m, graph_name, strlen(graph_name)) : NULL;
    m->ir_version = ir_version;
    m->graph.model = m;
    m->support.model = m;
    current = m;
    return m;
}

void fake_model_free(fake_model *m)
{
    if (!m) return;
    if (current == m) current = NULL;
    while (m->allocations) {
        allocation *a = m->allocations;
        m->allocations = a->next;
        free(a);
    }
    free(m->graph.nodes);
    free(m->graph.inputs);
    free(m->graph.outputs);
    for (size_t i = 0; i < m->num_blocks; i++)
        free(m->blocks[i]);
    free(m->blocks);
    free(m->fused);
    free(m);
}

const OrtGraph *fake_model_graph(const fake_model *m)
{
    return &m->graph;
}

void fake_model_fail_at(fake_model *m, uint64_t call)
{
    m->fail_at = call;
    m->calls = 0;
    m->injected = NULL;
}

const char *fake_model_injected(const fake_model *m)
{
    return m->injected;
}

OrtEpGraphSupportInfo *fake_model_support(fake_model *m)
{
    free(m->fused);
    m->fused = calloc(m->graph.num_nodes + 1, 1);
    if (!m->fused) abort();
    m->fused_count = 0;
    m->calls = 0; /* the same injected failure again, now inside GetCapability */
    m->injected = NULL;
    current = m;
    return &m->support;
}

size_t fake_model_fused_nodes(const fake_model *m)
{
    return m->fused_count;
}

void fake_model_opset(fake_model *m, const char *domain, int64_t version)
{
    if (m->num_opsets == sizeof m->domains / sizeof *m->domains) return;
    m->domains[m->num_opsets] = domain ? fake_strdup(m, domain, strlen(domain)) : "";
    m->versions[m->num_opsets++] = version;
}

static void set_shape(fake_model *m, fake_shape *shape, int elem, size_t rank, const int64_t *dims,
                      const char *const *symbols)
{
    memset(shape, 0, sizeof *shape);
    shape->elem = elem;
    shape->rank = rank < FAKE_MAX_DIMS ? rank : FAKE_MAX_DIMS;
    for (size_t d = 0; d < shape->rank; d++) {
        shape->dims[d] = dims ? dims[d] : 1;
        if (symbols && symbols[d])
            shape->symbols[d] = fake_strdup(m, symbols[d], strlen(symbols[d]));
    }
}

OrtValueInfo *fake_value(fake_model *m, const char *name, int elem, size_t rank,
                         const int64_t *dims, const char *const *symbols)
{
    OrtValueInfo *v = fake_alloc(m, sizeof *v);
    v->name = name ? fake_strdup(m, name, strlen(name)) : NULL;
    v->type.is_tensor = elem >= 0;
    set_shape(m, &v->type.tensor.shape, elem < 0 ? 0 : elem, rank, dims, symbols);
    return v;
}

static void set_tensor(fake_model *m, OrtValue *t, const void *data, size_t bytes)
{
    t->data = malloc(bytes ? bytes : 1);
    if (!t->data) abort();
    grow((void **)&m->blocks, &m->cap_blocks, m->num_blocks + 1, sizeof *m->blocks);
    m->blocks[m->num_blocks++] = t->data;
    if (bytes && data)
        memcpy(t->data, data, bytes);
    else if (bytes)
        memset(t->data, 0, bytes);
    t->bytes = bytes;
}

void fake_value_set_initializer(fake_model *m, OrtValueInfo *value, const void *data, size_t bytes)
{
    OrtValue *t = fake_alloc(m, sizeof *t);
    t->shape = value->type.tensor.shape;
    set_tensor(m, t, data, bytes);
    value->initializer = t;
}

void fake_graph_input(fake_model *m, OrtValueInfo *value)
{
    grow((void **)&m->graph.inputs, &m->graph.cap_inputs, m->graph.num_inputs + 1,
         sizeof *m->graph.inputs);
    m->graph.inputs[m->graph.num_inputs++] = value;
}

void fake_graph_output(fake_model *m, OrtValueInfo *value)
{
    grow((void **)&m->graph.outputs, &m->graph.cap_outputs, m->graph.num_outputs + 1,
         sizeof *m->graph.outputs);
    m->graph.outputs[m->graph.num_outputs++] = value;
}

OrtNode *fake_node(fake_model *m, const char *name, const char *op_type, const char *domain,
                   int since_version, OrtValueInfo *const *inputs, size_t num_inputs,
                   OrtValueInfo *const *outputs, size_t num_outputs)
{
    OrtNode *n = fake_alloc(m, sizeof *n);
    n->model = m;
    n->name = name ? fake_strdup(m, name, strlen(name)) : NULL;
    n->op_type = op_type ? fake_strdup(m, op_type, strlen(op_type)) : NULL;
    n->domain = domain ? fake_strdup(m, domain, strlen(domain)) : NULL;
    n->since = since_version;
    n->inputs = fake_alloc(m, (num_inputs + 1) * sizeof *n->inputs);
    n->outputs = fake_alloc(m, (num_outputs + 1) * sizeof *n->outputs);
    for (size_t i = 0; i < num_inputs; i++)
        n->inputs[i] = inputs[i];
    for (size_t i = 0; i < num_outputs; i++)
        n->outputs[i] = outputs[i];
    n->num_inputs = num_inputs;
    n->num_outputs = num_outputs;
    n->position = m->graph.num_nodes;
    grow((void **)&m->graph.nodes, &m->graph.cap_nodes, m->graph.num_nodes + 1,
         sizeof *m->graph.nodes);
    m->graph.nodes[m->graph.num_nodes++] = n;
    return n;
}

static OrtOpAttr *add_attr(fake_model *m, OrtNode *node, const char *name, OrtOpAttrType type)
{
    OrtOpAttr *a = fake_alloc(m, sizeof *a);
    a->name = name ? fake_strdup(m, name, strlen(name)) : NULL;
    a->type = type;
    OrtOpAttr **attrs = fake_alloc(m, (node->num_attrs + 1) * sizeof *attrs);
    for (size_t i = 0; i < node->num_attrs; i++)
        attrs[i] = node->attrs[i];
    attrs[node->num_attrs++] = a;
    node->attrs = attrs;
    return a;
}

static void set_array(fake_model *m, OrtOpAttr *a, const void *data, size_t bytes)
{
    a->array = fake_alloc(m, bytes);
    if (bytes) memcpy(a->array, data, bytes);
    a->array_bytes = bytes;
}

void fake_attr_int(fake_model *m, OrtNode *node, const char *name, int64_t value)
{
    add_attr(m, node, name, ORT_OP_ATTR_INT)->i = value;
}

void fake_attr_float(fake_model *m, OrtNode *node, const char *name, float value)
{
    add_attr(m, node, name, ORT_OP_ATTR_FLOAT)->f = value;
}

void fake_attr_ints(fake_model *m, OrtNode *node, const char *name, const int64_t *values,
                    size_t count)
{
    set_array(m, add_attr(m, node, name, ORT_OP_ATTR_INTS), values, count * sizeof *values);
}

void fake_attr_floats(fake_model *m, OrtNode *node, const char *name, const float *values,
                      size_t count)
{
    set_array(m, add_attr(m, node, name, ORT_OP_ATTR_FLOATS), values, count * sizeof *values);
}

void fake_attr_string(fake_model *m, OrtNode *node, const char *name, const char *value)
{
    set_array(m, add_attr(m, node, name, ORT_OP_ATTR_STRING), value, strlen(value));
}

void fake_attr_tensor(fake_model *m, OrtNode *node, const char *name, int elem, size_t rank,
                      const int64_t *dims, const void *data, size_t bytes)
{
    OrtOpAttr *a = add_attr(m, node, name, ORT_OP_ATTR_TENSOR);
    set_shape(m, &a->tensor.shape, elem, rank, dims, NULL);
    set_tensor(m, &a->tensor, data, bytes);
}

void fake_attr_other(fake_model *m, OrtNode *node, const char *name, OrtOpAttrType type)
{
    add_attr(m, node, name, type);
}

/* ---- decoding fuzz bytes ----
 *
 * Every field is read from the bytes in turn; past their end every read gives 0, so any bytes
 * make a graph. u8/u16 are little-endian; a string is a u8 length (mod 48) and its bytes.
 *   header   u16 fail_at (0: no injected failure), u8 ir_version, string graph name,
 *            u8 opsets (mod 5) x {u8 domain (see domain()), u8 version}
 *   values   u8 count (mod 40) x value: string name (empty: a generated "vN"), u8 kind
 *            (bit 0: not a tensor, bit 1: initializer, bit 2: its data from the bytes),
 *            shape (u8 element type, u8 rank (mod 11), rank x dim(), rank x u8 symbol index),
 *            then, for an initializer: u16 byte count and that many bytes when bit 2 is set,
 *            else exactly the bytes its shape says (zeros; capped at 1 MiB, else none)
 *   inputs   u8 count (mod 8) x u8 value index; outputs likewise, after the nodes
 *   nodes    u8 count x node: string name, u8 op (see op()), u8 domain, u8 since version,
 *            u8 inputs (mod 6) x u8 value index (0xff: omitted), u8 outputs (mod 4) x index,
 *            u8 attributes (mod 7) x {u8 name (see attr_name()), u8 type (mod 9), payload}
 * A value index is taken mod the number of values. dim() is a u8: 0xff a raw i64 follows,
 * 0xfe -1, 0xfd INT64_MAX, 0xfc INT64_MIN, 0xfb 2^40, 0xfa 2^31, else the byte itself. */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static unsigned u8(reader *r)
{
    return r->p < r->end ? *r->p++ : 0;
}

static unsigned u16(reader *r)
{
    unsigned lo = u8(r);
    return lo | u8(r) << 8;
}

static int64_t dim(reader *r)
{
    unsigned c = u8(r);
    switch (c) {
    case 0xff: {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v |= (uint64_t)u8(r) << (8 * i);
        return (int64_t)v;
    }
    case 0xfe:
        return -1;
    case 0xfd:
        return INT64_MAX;
    case 0xfc:
        return INT64_MIN;
    case 0xfb:
        return (int64_t)1 << 40;
    case 0xfa:
        return (int64_t)1 << 31;
    default:
        return c;
    }
}

static const char *string(fake_model *m, reader *r)
{
    size_t len = u8(r) % 48, avail = (size_t)(r->end - r->p);
    if (len > avail) len = avail;
    const char *s = fake_strdup(m, (const char *)r->p, len);
    r->p += len;
    return s;
}

static const char *pick(fake_model *m, reader *r, const char *const *table, size_t count)
{
    unsigned i = u8(r);
    return i < count ? table[i] : string(m, r);
}

static const char *const op_names[] = {"Conv",
                                       "Relu",
                                       "MaxPool",
                                       "AveragePool",
                                       "Gemm",
                                       "MatMul",
                                       "Add",
                                       "Mul",
                                       "Sub",
                                       "Div",
                                       "Reshape",
                                       "Flatten",
                                       "Softmax",
                                       "Constant",
                                       "Pad",
                                       "Slice",
                                       "Clip",
                                       "Transpose",
                                       "Concat",
                                       "Identity",
                                       "Dropout",
                                       "Squeeze",
                                       "Unsqueeze",
                                       "Gather",
                                       "Shape",
                                       "Cast",
                                       "Sigmoid",
                                       "Tanh",
                                       "LeakyRelu",
                                       "PRelu",
                                       "LogSoftmax",
                                       "BatchNormalization",
                                       "GlobalAveragePool",
                                       "GlobalMaxPool",
                                       "FusedConv",
                                       "FusedGemm",
                                       "View",
                                       "If",
                                       "Abs"};
static const char *const domain_names[] = {"", "ai.onnx", "com.microsoft", "ai.onnx.ml"};
static const char *const attr_names[] = {"kernel_shape",
                                         "strides",
                                         "pads",
                                         "dilations",
                                         "group",
                                         "auto_pad",
                                         "ceil_mode",
                                         "axis",
                                         "axes",
                                         "perm",
                                         "alpha",
                                         "beta",
                                         "transA",
                                         "transB",
                                         "value",
                                         "min",
                                         "max",
                                         "mode",
                                         "allowzero",
                                         "starts",
                                         "ends",
                                         "steps",
                                         "epsilon",
                                         "to",
                                         "shape",
                                         "count_include_pad",
                                         "storage_order",
                                         "value_float",
                                         "value_floats",
                                         "value_int",
                                         "value_ints",
                                         "momentum",
                                         "training_mode",
                                         "activation",
                                         "activation_params",
                                         "keepdims",
                                         "split"};
static const char *const symbols[] = {"N", "batch", "", "W", "H"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static size_t shape_bytes(const fake_shape *s)
{
    static const size_t sizes[] = {0, 4, 1, 1, 2, 2, 4, 8, 0, 1, 2, 8, 4, 8, 8, 16, 2};
    size_t bytes = (unsigned)s->elem < COUNT(sizes) ? sizes[s->elem] : 0;
    for (size_t d = 0; d < s->rank; d++) {
        if (s->dims[d] < 0 || (s->dims[d] && bytes > ((size_t)1 << 20) / (uint64_t)s->dims[d]))
            return 0;
        bytes *= (size_t)s->dims[d];
    }
    return bytes <= ((size_t)1 << 20) ? bytes : 0;
}

static void read_shape(fake_model *m, reader *r, fake_shape *s)
{
    memset(s, 0, sizeof *s);
    s->elem = (int)u8(r);
    s->rank = u8(r) % 11;
    for (size_t d = 0; d < s->rank; d++)
        s->dims[d] = dim(r);
    for (size_t d = 0; d < s->rank; d++) {
        unsigned k = u8(r);
        s->symbols[d] = k && k <= COUNT(symbols)
                            ? fake_strdup(m, symbols[k - 1], strlen(symbols[k - 1]))
                            : NULL;
    }
}

/* Tensor data: from the bytes, or the size the shape says (as ONNX Runtime would hold). */
static void read_data(fake_model *m, reader *r, OrtValue *t, int from_bytes)
{
    if (!from_bytes) {
        set_tensor(m, t, NULL, shape_bytes(&t->shape));
        return;
    }
    size_t bytes = u16(r), avail = (size_t)(r->end - r->p);
    if (bytes > avail) bytes = avail;
    set_tensor(m, t, r->p, bytes);
    r->p += bytes;
}

static OrtValueInfo *value_at(reader *r, OrtValueInfo **values, size_t count)
{
    unsigned i = u8(r);
    return i == 0xff || !count ? NULL : values[i % count];
}

static void read_attr(fake_model *m, reader *r, OrtNode *node)
{
    const char *name = pick(m, r, attr_names, COUNT(attr_names));
    OrtOpAttrType type = (OrtOpAttrType)(u8(r) % 9);
    switch (type) {
    case ORT_OP_ATTR_INT:
        fake_attr_int(m, node, name, dim(r));
        break;
    case ORT_OP_ATTR_FLOAT: {
        uint32_t bits = u16(r) | (uint32_t)u16(r) << 16;
        float f;
        memcpy(&f, &bits, sizeof f);
        fake_attr_float(m, node, name, f);
        break;
    }
    case ORT_OP_ATTR_INTS: {
        int64_t v[32];
        size_t n = u8(r) % 33;
        for (size_t i = 0; i < n; i++)
            v[i] = dim(r);
        fake_attr_ints(m, node, name, v, n);
        break;
    }
    case ORT_OP_ATTR_FLOATS: {
        float v[32];
        size_t n = u8(r) % 33;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits = u16(r) | (uint32_t)u16(r) << 16;
            memcpy(&v[i], &bits, sizeof bits);
        }
        fake_attr_floats(m, node, name, v, n);
        break;
    }
    case ORT_OP_ATTR_STRING:
        fake_attr_string(m, node, name, string(m, r));
        break;
    case ORT_OP_ATTR_TENSOR: {
        OrtOpAttr *a = add_attr(m, node, name, ORT_OP_ATTR_TENSOR);
        read_shape(m, r, &a->tensor.shape);
        read_data(m, r, &a->tensor, u8(r) & 1);
        break;
    }
    default:
        fake_attr_other(m, node, name, type);
    }
}

fake_model *fake_model_decode(const uint8_t *data, size_t size)
{
    if (size < 4) return NULL;
    reader r = {data, data + size};
    unsigned fail_at = u16(&r);
    unsigned ir_version = u8(&r);
    fake_model *m = fake_model_create(NULL, (int64_t)ir_version);
    m->name = string(m, &r);
    size_t num_opsets = u8(&r) % 5;
    for (size_t i = 0; i < num_opsets; i++) {
        const char *domain = pick(m, &r, domain_names, COUNT(domain_names));
        fake_model_opset(m, domain, (int64_t)u8(&r));
    }
    OrtValueInfo *values[40];
    size_t num_values = u8(&r) % 40;
    for (size_t i = 0; i < num_values; i++) {
        const char *name = string(m, &r);
        char generated[16];
        if (!*name) {
            snprintf(generated, sizeof generated, "v%zu", i);
            name = generated;
        }
        unsigned kind = u8(&r);
        OrtValueInfo *v = fake_value(m, name, 0, 0, NULL, NULL);
        read_shape(m, &r, &v->type.tensor.shape);
        v->type.is_tensor = !(kind & 1);
        if (kind & 2) {
            OrtValue *t = fake_alloc(m, sizeof *t);
            t->shape = v->type.tensor.shape;
            read_data(m, &r, t, (kind & 4) != 0);
            v->initializer = t;
        }
        values[i] = v;
    }
    size_t num_inputs = u8(&r) % 8;
    for (size_t i = 0; i < num_inputs; i++) {
        OrtValueInfo *v = value_at(&r, values, num_values);
        if (v) fake_graph_input(m, v);
    }
    size_t num_nodes = u8(&r);
    for (size_t i = 0; i < num_nodes; i++) {
        const char *name = string(m, &r);
        const char *op = pick(m, &r, op_names, COUNT(op_names));
        const char *domain = pick(m, &r, domain_names, COUNT(domain_names));
        int since = (int)u8(&r);
        OrtValueInfo *ins[6], *outs[4];
        size_t n_in = u8(&r) % 6, n_out;
        for (size_t k = 0; k < n_in; k++)
            ins[k] = value_at(&r, values, num_values);
        n_out = u8(&r) % 4;
        for (size_t k = 0; k < n_out; k++)
            outs[k] = value_at(&r, values, num_values);
        OrtNode *node = fake_node(m, NULL, NULL, NULL, since, ins, n_in, outs, n_out);
        node->name = name;
        node->op_type = op;
        node->domain = domain;
        size_t n_attrs = u8(&r) % 7;
        for (size_t a = 0; a < n_attrs; a++)
            read_attr(m, &r, node);
    }
    size_t num_outputs = u8(&r) % 8;
    for (size_t i = 0; i < num_outputs; i++) {
        OrtValueInfo *v = value_at(&r, values, num_values);
        if (v) fake_graph_output(m, v);
    }
    fake_model_fail_at(m, fail_at);
    return m;
}
