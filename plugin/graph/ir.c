/* The graph IR: growable arrays of tensors and nodes, referring to each other by index. */
#include "ir.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "blob.h"
#include "model_info.h"
#include "name_index.h"
#include "reader_index.h"

static char *dup_string(const char *s)
{
    if (!s) return NULL;
    size_t len = strlen(s);
    char *copy = lo_malloc(len + 1);
    if (copy) memcpy(copy, s, len + 1);
    return copy;
}

/* Copy of count elements of size bytes; NULL (and success) when count is 0. */
static bool dup_array(const void *src, size_t count, size_t size, void **out)
{
    *out = NULL;
    if (count == 0) return true;
    if (!src || count > SIZE_MAX / size) return false;
    *out = lo_malloc(count * size);
    if (!*out) return false;
    memcpy(*out, src, count * size);
    return true;
}

static void attr_clear(lo_attr *attr)
{
    lo_free(attr->name);
    lo_free(attr->s);
    lo_free(attr->floats);
    lo_free(attr->ints);
    if (attr->strings)
        for (size_t i = 0; i < attr->count; i++)
            lo_free(attr->strings[i]);
    lo_free(attr->strings);
    memset(attr, 0, sizeof *attr);
    attr->tensor = -1;
}

static void node_clear(lo_node *node)
{
    lo_free(node->name);
    lo_free(node->op_type);
    lo_free(node->domain);
    lo_free(node->inputs);
    lo_free(node->outputs);
    for (int i = 0; i < node->num_attrs; i++)
        attr_clear(&node->attrs[i]);
    lo_free(node->attrs);
    memset(node, 0, sizeof *node);
}

static void tensor_clear(lo_tensor *tensor)
{
    lo_free(tensor->name);
    for (int i = 0; i < LO_MAX_RANK; i++)
        lo_free(tensor->dim_params[i]);
    lo_blob_release(tensor->data);
    memset(tensor, 0, sizeof *tensor);
}

bool lo_domain_is_default(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

void lo_attr_clear(lo_attr *attr)
{
    if (attr) attr_clear(attr);
}

/* Deep copy of an attribute. Only the fields the type uses are kept, so callers that
 * zero-initialise an lo_attr need not set `tensor` to -1 for non-tensor attributes. */
static lo_status attr_copy(const lo_attr *src, lo_attr *dst, lo_error *err)
{
    lo_status status = LO_OK;
    memset(dst, 0, sizeof *dst);
    dst->tensor = -1;
    dst->type = src->type;
    dst->f = src->f;
    dst->i = src->i;
    dst->name = dup_string(src->name ? src->name : "");
    if (!dst->name) goto no_memory;
    switch (src->type) {
    case LO_ATTR_STRING:
        dst->s = dup_string(src->s ? src->s : "");
        if (!dst->s) goto no_memory;
        break;
    case LO_ATTR_FLOATS:
        if (!dup_array(src->floats, src->count, sizeof(float), (void **)&dst->floats))
            goto no_memory;
        dst->count = src->count;
        break;
    case LO_ATTR_INTS:
        if (!dup_array(src->ints, src->count, sizeof(int64_t), (void **)&dst->ints)) goto no_memory;
        dst->count = src->count;
        break;
    case LO_ATTR_STRINGS:
        if (src->count > 0) {
            if (!src->strings || src->count > SIZE_MAX / sizeof(char *)) goto no_memory;
            dst->strings = lo_calloc(src->count, sizeof(char *));
            if (!dst->strings) goto no_memory;
            dst->count = src->count;
            for (size_t i = 0; i < src->count; i++) {
                dst->strings[i] = dup_string(src->strings[i] ? src->strings[i] : "");
                if (!dst->strings[i]) goto no_memory;
            }
        }
        break;
    case LO_ATTR_TENSOR:
        dst->tensor = src->tensor;
        break;
    default:
        break;
    }
    goto done;
no_memory:
    attr_clear(dst);
    status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory copying attribute '%s'",
                     src->name ? src->name : "");
done:
    return status;
}

static lo_status tensor_copy(const lo_tensor *src, lo_tensor *dst, lo_error *err)
{
    lo_status status = LO_OK;
    *dst = *src;
    dst->name = NULL;
    dst->data = NULL;
    for (int i = 0; i < LO_MAX_RANK; i++)
        dst->dim_params[i] = NULL;
    dst->name = dup_string(src->name);
    if (!dst->name) goto no_memory;
    for (int i = 0; i < LO_MAX_RANK; i++) {
        if (src->dim_params[i]) {
            dst->dim_params[i] = dup_string(src->dim_params[i]);
            if (!dst->dim_params[i]) goto no_memory;
        }
    }
    dst->data = lo_blob_retain(src->data); /* constants are immutable: shared, not copied */
    goto done;
no_memory:
    tensor_clear(dst);
    status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory copying tensor '%s'",
                     src->name ? src->name : "");
done:
    return status;
}

/* Grows *array (of `elem` bytes each) so that it holds at least num + 1 elements. */
static lo_status grow(void **array, int num, int *cap, size_t elem, const char *what, lo_error *err)
{
    lo_status status = LO_OK;
    if (num < *cap) goto done;
    if (*cap > INT_MAX / 2) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "too many %s in one graph", what);
        goto done;
    }
    int new_cap = *cap ? *cap * 2 : 16;
    void *grown = lo_realloc(*array, (size_t)new_cap * elem);
    if (!grown) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory growing the graph's %s", what);
        goto done;
    }
    /* Zero the new slots so a half-built entry is always safe to clear. */
    memset((char *)grown + (size_t)*cap * elem, 0, (size_t)(new_cap - *cap) * elem);
    *array = grown;
    *cap = new_cap;
done:
    return status;
}

/* Appends tensor to a list of graph inputs or outputs (short lists: grown one by one). */
static lo_status append_index(int **list, int *count, int value, lo_error *err)
{
    lo_status status = LO_OK;
    if (*count == INT_MAX) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "too many graph inputs or outputs");
        goto done;
    }
    int *grown = lo_realloc(*list, ((size_t)*count + 1) * sizeof(int));
    if (!grown) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory adding a graph input or output");
        goto done;
    }
    grown[*count] = value;
    *list = grown;
    (*count)++;
done:
    return status;
}

/* ---- graph ---- */

lo_status lo_graph_create(const char *source, lo_graph **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_graph *graph = NULL;
    if (!out) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_create: out is NULL");
        goto done;
    }
    *out = NULL;
    graph = lo_calloc(1, sizeof *graph);
    if (!graph) goto no_memory;
    graph->limits = lo_limits_default();
    graph->source = dup_string(source ? source : "<memory>");
    graph->name = dup_string("");
    graph->tensor_index = lo_name_index_create();
    graph->readers = lo_reader_index_create();
    if (!graph->source || !graph->name || !graph->tensor_index || !graph->readers) goto no_memory;
    *out = graph;
    graph = NULL;
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory creating a graph",
                     source ? source : "<memory>");
done:
    lo_graph_free(graph);
    return status;
}

void lo_graph_free(lo_graph *graph)
{
    if (!graph) return;
    for (int i = 0; i < graph->num_tensors; i++)
        tensor_clear(&graph->tensors[i]);
    for (int i = 0; i < graph->num_nodes; i++)
        node_clear(&graph->nodes[i]);
    lo_free(graph->tensors);
    lo_free(graph->nodes);
    lo_free(graph->inputs);
    lo_free(graph->outputs);
    lo_free(graph->source);
    lo_free(graph->name);
    lo_model_info_free(graph->info);
    lo_name_index_free(graph->tensor_index);
    lo_reader_index_free(graph->readers);
    lo_free(graph);
}

static lo_status node_copy(const lo_node *src, lo_node *dst, lo_error *err)
{
    lo_status status = LO_OK;
    memset(dst, 0, sizeof *dst);
    dst->opset = src->opset;
    dst->removed = src->removed;
    dst->name = dup_string(src->name ? src->name : "");
    dst->op_type = dup_string(src->op_type ? src->op_type : "");
    dst->domain = dup_string(src->domain ? src->domain : "");
    if (!dst->name || !dst->op_type || !dst->domain) goto no_memory;
    if (src->num_inputs > 0) {
        if (!dup_array(src->inputs, (size_t)src->num_inputs, sizeof(int), (void **)&dst->inputs))
            goto no_memory;
        dst->num_inputs = src->num_inputs;
    }
    if (src->num_outputs > 0) {
        if (!dup_array(src->outputs, (size_t)src->num_outputs, sizeof(int), (void **)&dst->outputs))
            goto no_memory;
        dst->num_outputs = src->num_outputs;
    }
    if (src->num_attrs > 0) {
        dst->attrs = lo_calloc((size_t)src->num_attrs, sizeof(lo_attr));
        if (!dst->attrs) goto no_memory;
        for (int i = 0; i < src->num_attrs; i++) {
            status = attr_copy(&src->attrs[i], &dst->attrs[i], err);
            if (status != LO_OK) goto fail;
            dst->num_attrs = i + 1;
        }
    }
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory copying node '%s'",
                     src->name ? src->name : "");
fail:
    node_clear(dst);
done:
    return status;
}

lo_status lo_graph_clone(const lo_graph *graph, lo_graph **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_graph *copy = NULL;
    if (!graph || !out) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_clone: graph or out is NULL");
        goto done;
    }
    *out = NULL;
    status = lo_graph_create(graph->source, &copy, err);
    if (status != LO_OK) goto done;
    lo_free(copy->name);
    copy->name = dup_string(graph->name ? graph->name : "");
    if (!copy->name) goto no_memory;
    copy->ir_version = graph->ir_version;
    copy->opset = graph->opset;
    copy->limits = graph->limits;
    copy->constant_bytes = graph->constant_bytes;
    if (graph->num_tensors > 0) {
        copy->tensors = lo_calloc((size_t)graph->num_tensors, sizeof(lo_tensor));
        if (!copy->tensors) goto no_memory;
        copy->cap_tensors = graph->num_tensors;
        for (int i = 0; i < graph->num_tensors; i++) {
            status = tensor_copy(&graph->tensors[i], &copy->tensors[i], err);
            if (status != LO_OK) goto done;
            copy->num_tensors = i + 1;
            if (!lo_name_index_put(copy->tensor_index, copy->tensors[i].name, i)) goto no_memory;
        }
    }
    if (graph->num_nodes > 0) {
        copy->nodes = lo_calloc((size_t)graph->num_nodes, sizeof(lo_node));
        if (!copy->nodes) goto no_memory;
        copy->cap_nodes = graph->num_nodes;
        for (int i = 0; i < graph->num_nodes; i++) {
            status = node_copy(&graph->nodes[i], &copy->nodes[i], err);
            if (status != LO_OK) goto done;
            copy->num_nodes = i + 1;
        }
    }
    if (!dup_array(graph->inputs, (size_t)(graph->num_inputs > 0 ? graph->num_inputs : 0),
                   sizeof(int), (void **)&copy->inputs))
        goto no_memory;
    copy->num_inputs = graph->num_inputs > 0 ? graph->num_inputs : 0;
    if (!dup_array(graph->outputs, (size_t)(graph->num_outputs > 0 ? graph->num_outputs : 0),
                   sizeof(int), (void **)&copy->outputs))
        goto no_memory;
    copy->num_outputs = graph->num_outputs > 0 ? graph->num_outputs : 0;
    *out = copy;
    copy = NULL;
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory copying the graph", graph->source);
done:
    lo_graph_free(copy);
    return status;
}

lo_status lo_check_shape_limits(const lo_graph *graph, const char *name, const lo_shape *shape,
                                lo_error *err)
{
    if ((uint32_t)shape->rank > graph->limits.rank)
        return lo_fail(err, LO_ERR_LIMIT, "%s: tensor '%s' has rank %d, more than max_rank (%u)",
                       graph->source, name, shape->rank, graph->limits.rank);
    uint64_t elements = 1;
    bool over = false, empty = false;
    for (int d = 0; d < shape->rank; d++) {
        empty = empty || shape->dims[d] == 0;
        if (shape->dims[d] > 0)
            over = over || __builtin_mul_overflow(elements, (uint64_t)shape->dims[d], &elements);
    }
    /* Dims are multiplied in part everywhere (strides, outer and inner sizes), an empty
     * tensor's too: its other dims must have a product int64 holds. */
    if (empty && (over || elements > (uint64_t)INT64_MAX)) {
        char dims[128];
        return lo_fail(err, LO_ERR_LIMIT,
                       "%s: tensor '%s' of shape %s is empty, but its other dims multiply past "
                       "64 bits",
                       graph->source, name, lo_shape_format(shape, dims, sizeof dims));
    }
    if (empty) return LO_OK;
    /* Element counts are int64 everywhere: INT64_MAX bounds any limit a host sets. */
    if (over || elements > graph->limits.tensor_elements || elements > (uint64_t)INT64_MAX) {
        char dims[128];
        return lo_fail(err, LO_ERR_LIMIT,
                       "%s: tensor '%s' of shape %s has more elements than max_tensor_elements "
                       "(%llu)",
                       graph->source, name, lo_shape_format(shape, dims, sizeof dims),
                       (unsigned long long)graph->limits.tensor_elements);
    }
    return LO_OK;
}

lo_status lo_graph_account_constant(lo_graph *graph, int index, size_t new_bytes, lo_error *err)
{
    const lo_tensor *tensor = &graph->tensors[index];
    const uint64_t others = graph->constant_bytes - tensor->data_bytes;
    if (new_bytes > graph->limits.weight_bytes || others > graph->limits.weight_bytes - new_bytes)
        return lo_fail(err, LO_ERR_LIMIT,
                       "%s: constant '%s' (%zu bytes) takes the model's constants past "
                       "max_weight_bytes (%llu)",
                       graph->source, tensor->name, new_bytes,
                       (unsigned long long)graph->limits.weight_bytes);
    graph->constant_bytes = others + new_bytes;
    return LO_OK;
}

int lo_graph_find_tensor(const lo_graph *graph, const char *name)
{
    if (!graph || !name) return -1;
    return lo_name_index_get(graph->tensor_index, name);
}

static int find_node(const lo_graph *graph, const char *name)
{
    for (int i = 0; i < graph->num_nodes; i++)
        if (graph->nodes[i].name && strcmp(graph->nodes[i].name, name) == 0) return i;
    return -1;
}

lo_status lo_graph_add_tensor(lo_graph *graph, const char *name, lo_dtype dtype,
                              const lo_shape *shape, lo_tensor_role role, int *index, lo_error *err)
{
    lo_status status = LO_OK;
    char generated[32];
    if (!graph) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_add_tensor: graph is NULL");
        goto done;
    }
    if (shape && (shape->rank < 0 || shape->rank > LO_MAX_RANK)) {
        status =
            lo_fail(err, LO_ERR_UNSUPPORTED, "%s: tensor '%s' has rank %d; at most %d is supported",
                    graph->source, name ? name : "", shape->rank, LO_MAX_RANK);
        goto done;
    }
    if (shape && (status = lo_check_shape_limits(graph, name ? name : "", shape, err)) != LO_OK)
        goto done;
    if (name) {
        if (lo_graph_find_tensor(graph, name) >= 0) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: tensor '%s' is defined more than once",
                             graph->source, name);
            goto done;
        }
    } else {
        /* Counting from the tensor count keeps the search short in the usual case. */
        for (long long n = graph->num_tensors;; n++) {
            snprintf(generated, sizeof generated, "_lo_tensor_%lld", n);
            if (lo_graph_find_tensor(graph, generated) < 0) break;
        }
        name = generated;
    }
    status = grow((void **)&graph->tensors, graph->num_tensors, &graph->cap_tensors,
                  sizeof(lo_tensor), "tensors", err);
    if (status != LO_OK) goto done;
    lo_tensor *tensor = &graph->tensors[graph->num_tensors];
    memset(tensor, 0, sizeof *tensor);
    tensor->name = dup_string(name);
    if (!tensor->name) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory adding tensor '%s'",
                         graph->source, name);
        goto done;
    }
    if (!lo_name_index_put(graph->tensor_index, tensor->name, graph->num_tensors)) {
        lo_free(tensor->name);
        tensor->name = NULL;
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory adding tensor '%s'",
                         graph->source, name);
        goto done;
    }
    tensor->dtype = dtype;
    if (shape) tensor->shape = *shape; /* NULL: rank 0 until shapes are inferred */
    tensor->role = role;
    tensor->producer = -1;
    tensor->view_of = -1;
    if (index) *index = graph->num_tensors;
    graph->num_tensors++;
done:
    return status;
}

lo_status lo_tensor_set_data(lo_graph *graph, int index, const void *bytes, size_t size,
                             lo_error *err)
{
    lo_status status = LO_OK;
    if (!graph || index < 0 || index >= graph->num_tensors) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_tensor_set_data: no tensor %d", index);
        goto done;
    }
    lo_tensor *tensor = &graph->tensors[index];
    int64_t numel = lo_shape_numel(&tensor->shape);
    size_t elem = lo_dtype_size(tensor->dtype);
    if (numel < 0 || elem == 0 || (uint64_t)numel > SIZE_MAX / elem ||
        (size_t)numel * elem != size || (size > 0 && !bytes)) {
        char dims[128];
        status =
            lo_fail(err, LO_ERR_ARGUMENT, "%s: tensor '%s' (%s %s) cannot hold %zu bytes of data",
                    graph->source, tensor->name, lo_dtype_name(tensor->dtype),
                    lo_shape_format(&tensor->shape, dims, sizeof dims), size);
        goto done;
    }
    if ((status = lo_graph_account_constant(graph, index, size, err)) != LO_OK) goto done;
    void *copy = lo_blob_alloc(size);
    if (!copy) {
        graph->constant_bytes -= size; /* undo the accounting: nothing changed */
        graph->constant_bytes += tensor->data_bytes;
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory holding %zu bytes for '%s'",
                         graph->source, size, tensor->name);
        goto done;
    }
    if (size) memcpy(copy, bytes, size);
    lo_blob_release(tensor->data);
    tensor->data = copy;
    tensor->data_bytes = size;
    tensor->role = LO_TENSOR_CONSTANT;
    tensor->producer = -1;
done:
    return status;
}

lo_status lo_graph_add_node(lo_graph *graph, const char *name, const char *op_type,
                            const char *domain, int opset, const int *inputs, int num_inputs,
                            const int *outputs, int num_outputs, const lo_attr *attrs,
                            int num_attrs, int *index, lo_error *err)
{
    lo_status status = LO_OK;
    lo_node node;
    char *generated = NULL;
    memset(&node, 0, sizeof node);
    if (!graph || !op_type || num_inputs < 0 || num_outputs < 0 || num_attrs < 0 ||
        (num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs) || (num_attrs > 0 && !attrs)) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_add_node: invalid arguments");
        goto done;
    }
    for (int i = 0; i < num_inputs + num_outputs; i++) {
        int t = i < num_inputs ? inputs[i] : outputs[i - num_inputs];
        if (t < -1 || t >= graph->num_tensors) {
            status = lo_fail(err, LO_ERR_ARGUMENT, "%s: node '%s' (%s): no tensor %d",
                             graph->source, name ? name : "", op_type, t);
            goto done;
        }
    }
    if (!name || !*name) {
        size_t len = strlen(op_type) + 48;
        generated = lo_malloc(len);
        if (!generated) goto no_memory;
        for (long long n = graph->num_nodes;; n++) {
            snprintf(generated, len, "%s_%lld", op_type, n);
            if (find_node(graph, generated) < 0) break;
        }
        name = generated;
    }
    status = grow((void **)&graph->nodes, graph->num_nodes, &graph->cap_nodes, sizeof(lo_node),
                  "nodes", err);
    if (status != LO_OK) goto done;
    lo_node src = {
        .name = (char *)name,
        .op_type = (char *)op_type,
        .domain = (char *)(domain ? domain : ""),
        .opset = opset,
        .inputs = (int *)inputs,
        .num_inputs = num_inputs,
        .outputs = (int *)outputs,
        .num_outputs = num_outputs,
        .attrs = (lo_attr *)attrs,
        .num_attrs = num_attrs,
    };
    status = node_copy(&src, &node, err);
    if (status != LO_OK) goto done;
    for (int i = 0; i < node.num_attrs; i++) {
        int t = node.attrs[i].tensor;
        if (node.attrs[i].type == LO_ATTR_TENSOR && (t < 0 || t >= graph->num_tensors)) {
            status = lo_fail(err, LO_ERR_ARGUMENT,
                             "%s: node '%s' (%s): attribute '%s' refers to no tensor (%d)",
                             graph->source, name, op_type, node.attrs[i].name, t);
            goto done;
        }
    }
    int at = graph->num_nodes;
    graph->nodes[at] = node;
    memset(&node, 0, sizeof node);
    graph->num_nodes++;
    for (int i = 0; i < num_inputs; i++)
        lo_reader_index_note(graph->readers, inputs[i], at);
    for (int i = 0; i < num_outputs; i++)
        if (outputs[i] >= 0) graph->tensors[outputs[i]].producer = at;
    if (index) *index = at;
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory adding a %s node", graph->source,
                     op_type);
done:
    node_clear(&node);
    lo_free(generated);
    return status;
}

lo_status lo_graph_add_input(lo_graph *graph, int tensor, lo_error *err)
{
    lo_status status = LO_OK;
    if (!graph || tensor < 0 || tensor >= graph->num_tensors) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_add_input: no tensor %d", tensor);
        goto done;
    }
    status = append_index(&graph->inputs, &graph->num_inputs, tensor, err);
    if (status != LO_OK) goto done;
    graph->tensors[tensor].role = LO_TENSOR_GRAPH_INPUT;
done:
    return status;
}

lo_status lo_graph_add_output(lo_graph *graph, int tensor, lo_error *err)
{
    lo_status status = LO_OK;
    if (!graph || tensor < 0 || tensor >= graph->num_tensors) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "lo_graph_add_output: no tensor %d", tensor);
        goto done;
    }
    status = append_index(&graph->outputs, &graph->num_outputs, tensor, err);
    if (status != LO_OK) goto done;
    graph->tensors[tensor].is_graph_output = true;
done:
    return status;
}

/* ---- attributes ---- */

lo_status lo_node_set_attr(lo_graph *graph, int node_index, const lo_attr *attr, lo_error *err)
{
    lo_node *node = &graph->nodes[node_index];
    lo_attr copy;
    lo_status status = attr_copy(attr, &copy, err);
    if (status != LO_OK) return status;
    for (int i = 0; i < node->num_attrs; i++) {
        if (strcmp(node->attrs[i].name, attr->name) == 0) {
            attr_clear(&node->attrs[i]);
            node->attrs[i] = copy;
            return LO_OK;
        }
    }
    lo_attr *grown = lo_realloc(node->attrs, (size_t)(node->num_attrs + 1) * sizeof *grown);
    if (!grown) {
        attr_clear(&copy);
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory setting attribute '%s'",
                       graph->source, attr->name);
    }
    node->attrs = grown;
    node->attrs[node->num_attrs++] = copy;
    return LO_OK;
}

lo_status lo_node_set_op(lo_graph *graph, int node_index, const char *op_type, const char *domain,
                         int opset, lo_error *err)
{
    lo_node *node = &graph->nodes[node_index];
    char *new_op = dup_string(op_type), *new_domain = dup_string(domain);
    if (!new_op || !new_domain) {
        lo_free(new_op);
        lo_free(new_domain);
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory renaming node '%s'", graph->source,
                       node->name);
    }
    lo_free(node->op_type);
    lo_free(node->domain);
    node->op_type = new_op;
    node->domain = new_domain;
    node->opset = opset;
    return LO_OK;
}

lo_status lo_node_set_inputs(lo_graph *graph, int node_index, const int *inputs, int num_inputs,
                             lo_error *err)
{
    lo_node *node = &graph->nodes[node_index];
    int *copy = NULL;
    if (!dup_array(inputs, (size_t)num_inputs, sizeof *inputs, (void **)&copy))
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory rewiring node '%s'", graph->source,
                       node->name);
    lo_free(node->inputs);
    node->inputs = copy;
    node->num_inputs = num_inputs;
    for (int i = 0; i < num_inputs; i++)
        lo_reader_index_note(graph->readers, inputs[i], node_index);
    return LO_OK;
}

void lo_node_rewire_input(lo_graph *graph, int node_index, int i, int tensor)
{
    graph->nodes[node_index].inputs[i] = tensor;
    lo_reader_index_note(graph->readers, tensor, node_index);
}

int lo_graph_use_count(const lo_graph *graph, int index)
{
    if (!graph || index < 0 || index >= graph->num_tensors) return 0;
    int uses = lo_reader_index_count(graph->readers, graph, index, NULL);
    if (uses >= 0) return uses + (graph->tensors[index].is_graph_output ? 1 : 0);
    uses = 0; /* no memory for the index: scan */
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        for (int i = 0; i < node->num_inputs; i++) {
            if (node->inputs[i] == index) {
                uses++;
                break; /* a node reading a tensor twice is still one reader */
            }
        }
    }
    if (graph->tensors[index].is_graph_output) uses++;
    return uses;
}
