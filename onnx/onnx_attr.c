/* Node attributes: every plain kind is copied; kinds that carry subgraphs or types are
 * rejected here by name, so the planner never sees a half-converted node. */
#include "onnx_attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "onnx_tensor.h"

static char *copy_bytes(const ProtobufCBinaryData *bytes)
{
    char *s = lo_malloc(bytes->len + 1);
    if (!s) return NULL;
    if (bytes->len) memcpy(s, bytes->data, bytes->len);
    s[bytes->len] = '\0';
    return s;
}

/* Models from before IR version 0.0.2 leave `type` unset: tell it from the field in use. */
static int effective_type(const Onnx__AttributeProto *proto)
{
    if (proto->has_type && proto->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return (int)proto->type;
    if (proto->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (proto->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (proto->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    if (proto->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
    if (proto->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
    if (proto->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (proto->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (proto->sparse_tensor) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
    if (proto->tp) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO;
    if (proto->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (proto->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (proto->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* What the IR cannot hold, in words for the message; NULL when it can. */
static const char *unsupported_kind(int type)
{
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
        return "a graph";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
        return "a list of graphs";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
        return "a list of tensors";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
        return "a sparse tensor";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
        return "a list of sparse tensors";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO:
        return "a type";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
        return "a list of types";
    default:
        return NULL;
    }
}

/* The constant of a TENSOR attribute is named "<node>:<attribute>" when that name is free. */
static lo_status add_attr_tensor(lo_graph *graph, const lo_node *node,
                                 const Onnx__AttributeProto *proto, lo_attr *out, lo_error *err)
{
    lo_status status = LO_OK;
    char *name = NULL;
    char *what = NULL;
    if (!proto->t) {
        status = lo_node_fail(graph, node, LO_ERR_MODEL, err,
                              "attribute '%s' is of type TENSOR but holds no tensor", proto->name);
        goto done;
    }
    size_t name_len = strlen(node->name) + strlen(proto->name) + 2;
    size_t what_len = strlen(node->name) + strlen(node->op_type) + strlen(proto->name) + 32;
    name = lo_malloc(name_len);
    what = lo_malloc(what_len);
    if (!name || !what) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", graph->source);
        goto done;
    }
    snprintf(name, name_len, "%s:%s", node->name, proto->name);
    snprintf(what, what_len, "node '%s' (%s): attribute '%s'", node->name, node->op_type,
             proto->name);
    status =
        lo_onnx_add_constant(graph, proto->t, lo_graph_find_tensor(graph, name) < 0 ? name : NULL,
                             what, &out->tensor, err);
done:
    lo_free(name);
    lo_free(what);
    return status;
}

lo_status lo_onnx_convert_attr(lo_graph *graph, const lo_node *node,
                               const Onnx__AttributeProto *proto, lo_attr *out, lo_error *err)
{
    lo_status status = LO_OK;
    memset(out, 0, sizeof *out);
    out->tensor = -1;
    if (!proto->name || !*proto->name) {
        status = lo_node_fail(graph, node, LO_ERR_MODEL, err, "an attribute has no name");
        goto done;
    }
    if (proto->ref_attr_name && *proto->ref_attr_name) {
        status = lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                              "attribute '%s' refers to the function attribute '%s', which is "
                              "not supported",
                              proto->name, proto->ref_attr_name);
        goto done;
    }
    int type = effective_type(proto);
    const char *kind = unsupported_kind(type);
    if (kind) {
        status = lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                              "attribute '%s' is %s, which is not supported", proto->name, kind);
        goto done;
    }
    out->name = lo_strdup(proto->name);
    if (!out->name) goto no_memory;
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        out->type = LO_ATTR_FLOAT;
        out->f = proto->f;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        out->type = LO_ATTR_INT;
        out->i = proto->i;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        out->type = LO_ATTR_STRING;
        out->s = copy_bytes(&proto->s);
        if (!out->s) goto no_memory;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        out->type = LO_ATTR_FLOATS;
        if (proto->n_floats) {
            out->floats = lo_malloc(proto->n_floats * sizeof(float));
            if (!out->floats) goto no_memory;
            memcpy(out->floats, proto->floats, proto->n_floats * sizeof(float));
            out->count = proto->n_floats;
        }
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        out->type = LO_ATTR_INTS;
        if (proto->n_ints) {
            out->ints = lo_malloc(proto->n_ints * sizeof(int64_t));
            if (!out->ints) goto no_memory;
            memcpy(out->ints, proto->ints, proto->n_ints * sizeof(int64_t));
            out->count = proto->n_ints;
        }
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
        out->type = LO_ATTR_STRINGS;
        if (proto->n_strings) {
            out->strings = lo_calloc(proto->n_strings, sizeof(char *));
            if (!out->strings) goto no_memory;
            out->count = proto->n_strings;
            for (size_t i = 0; i < proto->n_strings; i++) {
                out->strings[i] = copy_bytes(&proto->strings[i]);
                if (!out->strings[i]) goto no_memory;
            }
        }
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        out->type = LO_ATTR_TENSOR;
        status = add_attr_tensor(graph, node, proto, out, err);
        if (status != LO_OK) goto fail;
        break;
    default:
        status =
            lo_node_fail(graph, node, LO_ERR_MODEL, err,
                         "attribute '%s' has no value or an unknown type (%d)", proto->name, type);
        goto fail;
    }
    goto done;
no_memory:
    status = lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err,
                          "out of memory copying attribute '%s'", proto->name);
fail:
    lo_attr_clear(out);
done:
    return status;
}
