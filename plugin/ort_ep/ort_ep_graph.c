/* ONNX Runtime's OrtGraph → our IR, read through OrtApi's graph accessors: the same tensors,
 * nodes, attributes and initializers the ONNX loader builds from a ModelProto, without protobuf.
 * Which ops are supported is the op table's business, not this file's. */
#include "ort_ep.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    const OrtApi *api;
    const OrtGraph *ort;
    lo_graph *graph;
    size_t num_opsets;
    const char **domains;
    int64_t *versions;
} builder;

static lo_status check(const builder *b, OrtStatus *s, lo_error *err, const char *what)
{
    if (lo_ort_check(b->api, s, LO_ERR_MODEL, err, what) == LO_OK) return LO_OK;
    return lo_fail_prefix(err, "%s: ", b->graph->source);
}

static lo_status value_name(const builder *b, const OrtValueInfo *value, const char **name,
                            lo_error *err)
{
    lo_status st = check(b, b->api->GetValueInfoName(value, name), err, "value name");
    if (st == LO_OK && !*name) *name = "";
    return st;
}

/* dtype, shape (-1 for unknown dims) and dim names of a tensor value. */
static lo_status read_value_type(const builder *b, const OrtValueInfo *value, const char *name,
                                 lo_dtype *dtype, lo_shape *shape, const char **params,
                                 lo_error *err)
{
    const OrtApi *api = b->api;
    const OrtTypeInfo *type = NULL;
    const OrtTensorTypeAndShapeInfo *tensor = NULL;
    lo_status st = check(b, api->GetValueInfoTypeInfo(value, &type), err, "value type");
    if (st == LO_OK && type) st = check(b, api->CastTypeInfoToTensorInfo(type, &tensor), err, name);
    if (st != LO_OK) return st;
    if (!tensor)
        return lo_fail(err, LO_ERR_UNSUPPORTED, "%s: value '%s' is not a tensor", b->graph->source,
                       name);
    ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t rank = 0;
    if ((st = check(b, api->GetTensorElementType(tensor, &elem), err, name)) != LO_OK ||
        (st = check(b, api->GetDimensionsCount(tensor, &rank), err, name)) != LO_OK)
        return st;
    if (rank > LO_MAX_RANK)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "%s: value '%s' has rank %zu; at most %d is supported", b->graph->source,
                       name, rank, LO_MAX_RANK);
    memset(shape, 0, sizeof *shape);
    shape->rank = (int)rank;
    for (int d = 0; d < LO_MAX_RANK; d++)
        params[d] = NULL;
    if (rank &&
        ((st = check(b, api->GetDimensions(tensor, shape->dims, rank), err, name)) != LO_OK ||
         (st = check(b, api->GetSymbolicDimensions(tensor, params, rank), err, name)) != LO_OK))
        return st;
    for (size_t d = 0; d < rank; d++) {
        if (shape->dims[d] < 0) shape->dims[d] = -1;
        if (params[d] && !*params[d]) params[d] = NULL;
    }
    *dtype = (lo_dtype)elem; /* ONNX Runtime's element types are TensorProto's */
    if (lo_dtype_size(*dtype) == 0)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "%s: value '%s' has element type %d, which is not supported",
                       b->graph->source, name, (int)elem);
    return LO_OK;
}

static lo_status add_graph_input(builder *b, const OrtValueInfo *value, const char *name,
                                 lo_error *err)
{
    lo_dtype dtype = LO_DTYPE_UNDEFINED;
    lo_shape shape;
    const char *params[LO_MAX_RANK];
    int t = -1;
    lo_status st = read_value_type(b, value, name, &dtype, &shape, params, err);
    if (st == LO_OK)
        st = lo_graph_add_tensor(b->graph, name, dtype, &shape, LO_TENSOR_GRAPH_INPUT, &t, err);
    for (int d = 0; st == LO_OK && d < shape.rank; d++) {
        if (!params[d]) continue;
        b->graph->tensors[t].dim_params[d] = lo_strdup(params[d]);
        if (!b->graph->tensors[t].dim_params[d])
            st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    }
    if (st == LO_OK) st = lo_graph_add_input(b->graph, t, err);
    return st;
}

/* A constant tensor holding a copy of an OrtValue (an initializer or a TENSOR attribute). */
static lo_status add_constant(builder *b, const char *name, const OrtValue *value, int *index,
                              lo_error *err)
{
    const OrtApi *api = b->api;
    OrtTensorTypeAndShapeInfo *info = NULL;
    ONNXTensorElementDataType elem = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t rank = 0;
    lo_shape shape;
    memset(&shape, 0, sizeof shape);
    const void *data = NULL;
    /* A TENSOR attribute whose generated name is taken comes unnamed: the IR names it. */
    const char *what = name ? name : "unnamed tensor attribute";
    lo_status st = check(b, api->GetTensorTypeAndShape(value, &info), err, what);
    if (st == LO_OK) st = check(b, api->GetTensorElementType(info, &elem), err, what);
    if (st == LO_OK) st = check(b, api->GetDimensionsCount(info, &rank), err, what);
    if (st == LO_OK && rank > LO_MAX_RANK)
        st = lo_fail(err, LO_ERR_UNSUPPORTED,
                     "%s: initializer '%s' has rank %zu; at most %d is supported", b->graph->source,
                     what, rank, LO_MAX_RANK);
    if (st == LO_OK && rank) st = check(b, api->GetDimensions(info, shape.dims, rank), err, what);
    shape.rank = (int)rank;
    lo_dtype dtype = (lo_dtype)elem;
    if (st == LO_OK && lo_dtype_size(dtype) == 0)
        st = lo_fail(err, LO_ERR_UNSUPPORTED,
                     "%s: initializer '%s' has element type %d, which is not supported",
                     b->graph->source, what, (int)elem);
    /* The bytes ONNX Runtime holds, not the shape's product, bound what is copied: the two
     * must agree, which lo_tensor_set_data checks (with the element limits). */
    size_t bytes = 0;
    if (st == LO_OK) st = check(b, api->GetTensorSizeInBytes(value, &bytes), err, what);
    if (st == LO_OK && bytes > 0) st = check(b, api->GetTensorData(value, &data), err, what);
    if (st == LO_OK)
        st = lo_graph_add_tensor(b->graph, name, dtype, &shape, LO_TENSOR_CONSTANT, index, err);
    if (st == LO_OK) st = lo_tensor_set_data(b->graph, *index, data, bytes, err);
    if (info) api->ReleaseTensorTypeAndShapeInfo(info);
    return st;
}

/* The tensor a node reads: one already known, or an initializer met for the first time. */
static lo_status input_tensor(builder *b, const OrtValueInfo *value, int *index, lo_error *err)
{
    const char *name;
    lo_status st = value_name(b, value, &name, err);
    if (st != LO_OK) return st;
    if ((*index = lo_graph_find_tensor(b->graph, name)) >= 0) return LO_OK;
    const OrtValue *init = NULL;
    if ((st = check(b, b->api->ValueInfo_GetInitializerValue(value, &init), err, name)) != LO_OK)
        return st;
    if (!init)
        return lo_fail(err, LO_ERR_MODEL,
                       "%s: value '%s' is neither a graph input, an initializer nor an earlier "
                       "node's output",
                       b->graph->source, name);
    return add_constant(b, name, init, index, err);
}

/* Reads an attribute's array: ONNX Runtime says how many bytes it needs when given none. */
static lo_status read_array(const builder *b, const OrtOpAttr *attr, OrtOpAttrType type,
                            size_t elem_size, void **out, size_t *count, lo_error *err)
{
    size_t bytes = 0;
    OrtStatus *s = b->api->ReadOpAttr(attr, type, NULL, 0, &bytes);
    /* The size query of a non-empty value "fails" with its size; one without a size is a real
     * failure, not an empty array. */
    if (s && bytes == 0) return check(b, s, err, "attribute");
    if (s) b->api->ReleaseStatus(s);
    *count = bytes / elem_size;
    *out = lo_calloc(*count + 1, elem_size);
    if (!*out) return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    if (!bytes) return LO_OK;
    return check(b, b->api->ReadOpAttr(attr, type, *out, bytes, &bytes), err, "attribute");
}

static lo_status convert_attr(builder *b, const lo_node *ref, const OrtOpAttr *attr, lo_attr *out,
                              lo_error *err)
{
    const OrtApi *api = b->api;
    const char *name = NULL;
    OrtOpAttrType type = ORT_OP_ATTR_UNDEFINED;
    lo_status st = check(b, api->OpAttr_GetName(attr, &name), err, "attribute name");
    if (st == LO_OK) st = check(b, api->OpAttr_GetType(attr, &type), err, "attribute type");
    if (st != LO_OK) return st;
    memset(out, 0, sizeof *out);
    out->tensor = -1;
    out->name = lo_strdup(name ? name : "");
    if (!out->name) return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    size_t bytes = 0;
    void *array = NULL;
    switch (type) {
    case ORT_OP_ATTR_INT:
        out->type = LO_ATTR_INT;
        return check(b, api->ReadOpAttr(attr, type, &out->i, sizeof out->i, &bytes), err, name);
    case ORT_OP_ATTR_FLOAT:
        out->type = LO_ATTR_FLOAT;
        return check(b, api->ReadOpAttr(attr, type, &out->f, sizeof out->f, &bytes), err, name);
    case ORT_OP_ATTR_INTS:
        out->type = LO_ATTR_INTS;
        st = read_array(b, attr, type, sizeof(int64_t), &array, &out->count, err);
        out->ints = array;
        return st;
    case ORT_OP_ATTR_FLOATS:
        out->type = LO_ATTR_FLOATS;
        st = read_array(b, attr, type, sizeof(float), &array, &out->count, err);
        out->floats = array;
        return st;
    case ORT_OP_ATTR_STRING:
        out->type = LO_ATTR_STRING;
        st = read_array(b, attr, type, 1, &array, &bytes, err);
        out->s = array; /* calloc'd one byte longer: NUL-terminated */
        return st;
    case ORT_OP_ATTR_TENSOR: {
        OrtValue *value = NULL;
        out->type = LO_ATTR_TENSOR;
        st = check(b, api->OpAttr_GetTensorAttributeAsOrtValue(attr, &value), err, name);
        if (st == LO_OK) {
            char tensor_name[512];
            snprintf(tensor_name, sizeof tensor_name, "%s:%s", ref->name, name);
            st = add_constant(b,
                              lo_graph_find_tensor(b->graph, tensor_name) < 0 ? tensor_name : NULL,
                              value, &out->tensor, err);
        }
        if (value) api->ReleaseValue(value);
        return st;
    }
    default:
        return lo_node_fail(b->graph, ref, LO_ERR_UNSUPPORTED, err,
                            "attribute '%s' is of a type the IR cannot hold (%d)", name, (int)type);
    }
}

static int node_opset(const builder *b, const char *domain, int since_version)
{
    for (size_t i = 0; i < b->num_opsets; i++)
        if (lo_domain_is_default(b->domains[i]) == lo_domain_is_default(domain) &&
            (lo_domain_is_default(domain) || strcmp(b->domains[i], domain) == 0))
            return (int)b->versions[i];
    return since_version;
}

static lo_status add_node(builder *b, const OrtNode *node, size_t position, lo_error *err)
{
    const OrtApi *api = b->api;
    const char *name = NULL, *op_type = NULL, *domain = NULL;
    int since = 0;
    size_t num_in = 0, num_out = 0, num_attrs = 0;
    const OrtValueInfo **in = NULL, **outs = NULL;
    const OrtOpAttr **attrs = NULL;
    int *in_idx = NULL, *out_idx = NULL;
    lo_attr *converted = NULL;
    size_t num_converted = 0;
    char generated[256];
    lo_status st = check(b, api->Node_GetName(node, &name), err, "node name");
    if (st == LO_OK) st = check(b, api->Node_GetOperatorType(node, &op_type), err, "op type");
    if (st == LO_OK) st = check(b, api->Node_GetDomain(node, &domain), err, "node domain");
    if (st == LO_OK) st = check(b, api->Node_GetSinceVersion(node, &since), err, "node version");
    if (st == LO_OK) st = check(b, api->Node_GetNumInputs(node, &num_in), err, "node inputs");
    if (st == LO_OK) st = check(b, api->Node_GetNumOutputs(node, &num_out), err, "node outputs");
    if (st == LO_OK) st = check(b, api->Node_GetNumAttributes(node, &num_attrs), err, "attributes");
    if (st != LO_OK) goto done;
    if (!name || !*name) {
        snprintf(generated, sizeof generated, "%s_%zu", op_type, position);
        name = generated;
    }
    lo_node ref;
    memset(&ref, 0, sizeof ref);
    ref.name = (char *)name;
    ref.op_type = (char *)op_type;
    in = lo_calloc(num_in + 1, sizeof *in);
    outs = lo_calloc(num_out + 1, sizeof *outs);
    attrs = lo_calloc(num_attrs + 1, sizeof *attrs);
    in_idx = lo_calloc(num_in + 1, sizeof *in_idx);
    out_idx = lo_calloc(num_out + 1, sizeof *out_idx);
    converted = lo_calloc(num_attrs + 1, sizeof *converted);
    if (!in || !outs || !attrs || !in_idx || !out_idx || !converted) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
        goto done;
    }
    if ((num_in && (st = check(b, api->Node_GetInputs(node, in, num_in), err, name)) != LO_OK) ||
        (num_out &&
         (st = check(b, api->Node_GetOutputs(node, outs, num_out), err, name)) != LO_OK) ||
        (num_attrs &&
         (st = check(b, api->Node_GetAttributes(node, attrs, num_attrs), err, name)) != LO_OK))
        goto done;
    for (size_t i = 0; i < num_in; i++) {
        in_idx[i] = -1; /* an omitted optional input has no value info */
        if (in[i] && (st = input_tensor(b, in[i], &in_idx[i], err)) != LO_OK) goto done;
    }
    for (size_t a = 0; a < num_attrs; a++) {
        num_converted = a + 1;
        if ((st = convert_attr(b, &ref, attrs[a], &converted[a], err)) != LO_OK) goto done;
    }
    for (size_t i = 0; i < num_out; i++) {
        out_idx[i] = -1;
        const char *out_name = NULL;
        if (!outs[i]) continue;
        if ((st = value_name(b, outs[i], &out_name, err)) != LO_OK) goto done;
        if (!*out_name) continue;
        st = lo_graph_add_tensor(b->graph, out_name, LO_DTYPE_UNDEFINED, NULL, LO_TENSOR_ACTIVATION,
                                 &out_idx[i], err);
        if (st != LO_OK) goto done;
    }
    st = lo_graph_add_node(b->graph, name, op_type, lo_domain_is_default(domain) ? "" : domain,
                           node_opset(b, domain, since), in_idx, (int)num_in, out_idx, (int)num_out,
                           converted, (int)num_attrs, NULL, err);
done:
    for (size_t a = 0; a < num_converted; a++)
        lo_attr_clear(&converted[a]);
    lo_free(converted);
    lo_free(in);
    lo_free(outs);
    lo_free(attrs);
    lo_free(in_idx);
    lo_free(out_idx);
    return st;
}

static lo_status read_opsets(builder *b, lo_error *err)
{
    lo_status st =
        check(b, b->api->Graph_GetNumOperatorSets(b->ort, &b->num_opsets), err, "opsets");
    if (st != LO_OK) return st;
    b->domains = lo_calloc(b->num_opsets + 1, sizeof *b->domains);
    b->versions = lo_calloc(b->num_opsets + 1, sizeof *b->versions);
    if (!b->domains || !b->versions)
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    if (!b->num_opsets) return LO_OK;
    st = check(b, b->api->Graph_GetOperatorSets(b->ort, b->domains, b->versions, b->num_opsets),
               err, "opsets");
    for (size_t i = 0; st == LO_OK && i < b->num_opsets; i++)
        if (lo_domain_is_default(b->domains[i])) b->graph->opset = (int)b->versions[i];
    return st;
}

/* Graph inputs fed at run time: initializers listed as inputs (old exporters) are constants. */
static lo_status read_inputs(builder *b, lo_error *err)
{
    const OrtApi *api = b->api;
    size_t count = 0;
    lo_status st = check(b, api->Graph_GetNumInputs(b->ort, &count), err, "graph inputs");
    const OrtValueInfo **values = lo_calloc(count + 1, sizeof *values);
    if (st == LO_OK && !values)
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    if (st == LO_OK && count)
        st = check(b, api->Graph_GetInputs(b->ort, values, count), err, "graph inputs");
    for (size_t i = 0; st == LO_OK && i < count; i++) {
        const char *name;
        const OrtValue *init = NULL;
        if ((st = value_name(b, values[i], &name, err)) != LO_OK) break;
        if ((st = check(b, api->ValueInfo_GetInitializerValue(values[i], &init), err, name)) !=
            LO_OK)
            break;
        if (!init) st = add_graph_input(b, values[i], name, err);
    }
    lo_free(values);
    return st;
}

static lo_status read_nodes(builder *b, lo_error *err)
{
    size_t count = 0;
    lo_status st = check(b, b->api->Graph_GetNumNodes(b->ort, &count), err, "nodes");
    const OrtNode **nodes = lo_calloc(count + 1, sizeof *nodes);
    if (st == LO_OK && !nodes)
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    if (st == LO_OK && count)
        st = check(b, b->api->Graph_GetNodes(b->ort, nodes, count), err, "nodes");
    for (size_t n = 0; st == LO_OK && n < count; n++)
        st = add_node(b, nodes[n], n, err);
    lo_free(nodes);
    return st;
}

static lo_status read_outputs(builder *b, lo_error *err)
{
    size_t count = 0;
    lo_status st = check(b, b->api->Graph_GetNumOutputs(b->ort, &count), err, "graph outputs");
    const OrtValueInfo **values = lo_calloc(count + 1, sizeof *values);
    if (st == LO_OK && !values)
        st = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", b->graph->source);
    if (st == LO_OK && count)
        st = check(b, b->api->Graph_GetOutputs(b->ort, values, count), err, "graph outputs");
    for (size_t i = 0; st == LO_OK && i < count; i++) {
        const char *name;
        if ((st = value_name(b, values[i], &name, err)) != LO_OK) break;
        int t = lo_graph_find_tensor(b->graph, name);
        if (t < 0)
            st = lo_fail(err, LO_ERR_MODEL, "%s: output '%s' is not produced by the graph",
                         b->graph->source, name);
        else
            st = lo_graph_add_output(b->graph, t, err);
    }
    lo_free(values);
    return st;
}

lo_status lo_ort_graph_build(const OrtApi *api, const OrtGraph *graph, lo_graph **out,
                             lo_error *err)
{
    builder b = {.api = api, .ort = graph};
    const char *graph_name = NULL;
    int64_t ir_version = 0;
    char source[256];
    OrtStatus *s = api->Graph_GetName(graph, &graph_name);
    if (s) api->ReleaseStatus(s);
    snprintf(source, sizeof source, "onnxruntime graph '%s'", graph_name ? graph_name : "");
    *out = NULL;
    lo_status st = lo_graph_create(source, &b.graph, err);
    if (st != LO_OK) return st;
    st = check(&b, api->Graph_GetOnnxIRVersion(graph, &ir_version), err, "ir_version");
    b.graph->ir_version = ir_version;
    if (st == LO_OK) st = read_opsets(&b, err);
    if (st == LO_OK) st = read_inputs(&b, err);
    if (st == LO_OK) st = read_nodes(&b, err);
    if (st == LO_OK) st = read_outputs(&b, err);
    lo_free(b.domains);
    lo_free(b.versions);
    if (st != LO_OK) {
        lo_graph_free(b.graph);
        return st;
    }
    *out = b.graph;
    return LO_OK;
}
