/* Reading a node's attributes as the op table's rows need them: typed, with a fallback when
 * absent, and messages naming the source, node, op and attribute; and node failures. */
#include "ir.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const lo_attr *lo_node_attr(const lo_node *node, const char *name)
{
    if (!node || !name) return NULL;
    for (int i = 0; i < node->num_attrs; i++)
        if (node->attrs[i].name && strcmp(node->attrs[i].name, name) == 0) return &node->attrs[i];
    return NULL;
}

static const char *attr_type_name(lo_attr_type type)
{
    switch (type) {
    case LO_ATTR_UNDEFINED:
        return "undefined";
    case LO_ATTR_FLOAT:
        return "a float";
    case LO_ATTR_INT:
        return "an int";
    case LO_ATTR_STRING:
        return "a string";
    case LO_ATTR_TENSOR:
        return "a tensor";
    case LO_ATTR_GRAPH:
        return "a graph";
    case LO_ATTR_FLOATS:
        return "a list of floats";
    case LO_ATTR_INTS:
        return "a list of ints";
    case LO_ATTR_STRINGS:
        return "a list of strings";
    }
    return "of an unknown type";
}

/* Looks the attribute up and checks its type: *attr is NULL when absent. */
static lo_status typed_attr(const lo_graph *graph, const lo_node *node, const char *name,
                            lo_attr_type type, const lo_attr **attr, lo_error *err)
{
    lo_status status = LO_OK;
    *attr = NULL;
    if (!graph || !node || !name) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "attribute lookup: graph, node or name is NULL");
        goto done;
    }
    const lo_attr *found = lo_node_attr(node, name);
    if (found && found->type != type) {
        status = lo_node_fail(graph, node, LO_ERR_MODEL, err, "attribute '%s' must be %s, not %s",
                              name, attr_type_name(type), attr_type_name(found->type));
        goto done;
    }
    *attr = found;
done:
    return status;
}

lo_status lo_attr_get_int(const lo_graph *graph, const lo_node *node, const char *name,
                          int64_t fallback, int64_t *out, lo_error *err)
{
    const lo_attr *attr = NULL;
    lo_status status = typed_attr(graph, node, name, LO_ATTR_INT, &attr, err);
    if (out) *out = (status == LO_OK && attr) ? attr->i : fallback;
    return status;
}

lo_status lo_attr_get_float(const lo_graph *graph, const lo_node *node, const char *name,
                            float fallback, float *out, lo_error *err)
{
    const lo_attr *attr = NULL;
    lo_status status = typed_attr(graph, node, name, LO_ATTR_FLOAT, &attr, err);
    if (out) *out = (status == LO_OK && attr) ? attr->f : fallback;
    return status;
}

lo_status lo_attr_get_string(const lo_graph *graph, const lo_node *node, const char *name,
                             const char *fallback, const char **out, lo_error *err)
{
    const lo_attr *attr = NULL;
    lo_status status = typed_attr(graph, node, name, LO_ATTR_STRING, &attr, err);
    if (out) *out = (status == LO_OK && attr) ? attr->s : fallback;
    return status;
}

lo_status lo_attr_get_ints(const lo_graph *graph, const lo_node *node, const char *name,
                           int64_t *values, size_t capacity, size_t *count, lo_error *err)
{
    const lo_attr *attr = NULL;
    if (count) *count = 0;
    lo_status status = typed_attr(graph, node, name, LO_ATTR_INTS, &attr, err);
    if (status != LO_OK || !attr) goto done;
    if (attr->count > capacity) {
        status = lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                              "attribute '%s' has %zu values; at most %zu are supported", name,
                              attr->count, capacity);
        goto done;
    }
    if (attr->count > 0 && !values) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_attr_get_ints: values is NULL");
        goto done;
    }
    if (attr->count > 0) memcpy(values, attr->ints, attr->count * sizeof(int64_t));
    if (count) *count = attr->count;
done:
    return status;
}

lo_status lo_node_fail(const lo_graph *graph, const lo_node *node, lo_status status, lo_error *err,
                       const char *fmt, ...)
{
    char what[LENET_ONNX_MESSAGE_SIZE];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    return lo_fail(
        err, status, "%s: node '%s' (%s): %s", graph && graph->source ? graph->source : "<memory>",
        node && node->name ? node->name : "", node && node->op_type ? node->op_type : "", what);
}
