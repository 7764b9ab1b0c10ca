/* ONNX ModelProto → IR: decoding, validation, and the graph's tensors and nodes in
 * topological order. Which ops are supported is the op table's business, not this file's. */
#include "onnx_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "name_index.h"
#include "node_order.h"
#include "onnx.pb-c.h"
#include "onnx_attr.h"
#include "onnx_external.h"
#include "onnx_metadata.h"
#include "onnx_tensor.h"
#include "proto_depth.h"

/* What the loader learns about the model's nodes before it builds the IR nodes, indexed by
 * the node's position in the model. Inputs and outputs are kept flat: node n's inputs are
 * in_index[in_start[n] .. in_start[n + 1]). */
#define LO_MAX_OPSET_IMPORTS 256

typedef struct loader {
    const char *source;
    const char *external_base; /* the folder external data resolves in; NULL: refused */
    const Onnx__ModelProto *model;
    const Onnx__GraphProto *proto;
    lo_graph *graph;
    int num_nodes;
    char **names;   /* given or generated, unique */
    int *opsets;    /* the opset of each node's domain */
    int *in_start;  /* num_nodes + 1 */
    int *in_index;  /* tensor index, -1 for an omitted optional input */
    int *out_start; /* num_nodes + 1 */
    int *out_index;
    int *producer; /* per tensor index (node outputs included): model node, or -1 */
    int num_producer;
    int *order; /* model node indices in execution order */
} loader;

static bool same_domain(const char *a, const char *b)
{
    if (lo_domain_is_default(a) || lo_domain_is_default(b))
        return lo_domain_is_default(a) && lo_domain_is_default(b);
    return strcmp(a, b) == 0;
}

/* A node stand-in for lo_node_fail() before the IR node exists. */
static lo_node node_ref(const loader *ld, int n)
{
    lo_node ref;
    memset(&ref, 0, sizeof ref);
    const Onnx__NodeProto *np = ld->proto->node[n];
    ref.name = ld->names && ld->names[n] ? ld->names[n] : (np->name ? np->name : "");
    ref.op_type = np->op_type ? np->op_type : "";
    return ref;
}

static lo_status check_model(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    const Onnx__ModelProto *model = ld->model;
    if (!model->has_ir_version) {
        status = lo_fail(err, LO_ERR_MODEL,
                         "%s: the model has no ir_version (is this an ONNX model?)", ld->source);
        goto done;
    }
    if (model->ir_version < 3) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: ir_version %lld is not supported; it must be 3 or newer", ld->source,
                         (long long)model->ir_version);
        goto done;
    }
    if (!model->graph) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: the model has no graph", ld->source);
        goto done;
    }
    bool have_default = false;
    /* Each node looks its domain up in this list: keep that linear in the nodes. */
    if (model->n_opset_import > LO_MAX_OPSET_IMPORTS) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: the model lists %zu opset imports; at most %d are supported",
                         ld->source, model->n_opset_import, LO_MAX_OPSET_IMPORTS);
        goto done;
    }
    for (size_t i = 0; i < model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *entry = model->opset_import[i];
        const char *domain = entry->domain ? entry->domain : "";
        if (!entry->has_version || entry->version < 1 || entry->version > INT_MAX) {
            status =
                lo_fail(err, LO_ERR_MODEL, "%s: opset_import for domain '%s' has no valid version",
                        ld->source, domain);
            goto done;
        }
        for (size_t j = 0; j < i; j++) {
            if (same_domain(model->opset_import[j]->domain, domain)) {
                status =
                    lo_fail(err, LO_ERR_MODEL, "%s: opset_import lists domain '%s' more than once",
                            ld->source, domain);
                goto done;
            }
        }
        if (lo_domain_is_default(domain)) {
            have_default = true;
            ld->graph->opset = (int)entry->version;
        }
    }
    if (!have_default && model->n_opset_import == 0) {
        status =
            lo_fail(err, LO_ERR_MODEL,
                    "%s: the model has no opset_import for the default ONNX domain", ld->source);
        goto done;
    }
    if (!have_default) {
        /* Valid ONNX (training-only domains, say), but nothing this runtime can run. */
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: the model has no opset_import for the default ONNX domain (only "
                         "for '%s'), which is not supported",
                         ld->source, model->opset_import[0]->domain);
        goto done;
    }
    ld->graph->ir_version = model->ir_version;
    if (model->graph->name && *model->graph->name) {
        char *name = lo_strdup(model->graph->name);
        if (!name) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
            goto done;
        }
        lo_free(ld->graph->name);
        ld->graph->name = name;
    }
done:
    return status;
}

/* The opset version the model imports for `domain`; false when it imports none. */
static bool find_opset(const Onnx__ModelProto *model, const char *domain, int *version)
{
    for (size_t i = 0; i < model->n_opset_import; i++) {
        if (same_domain(model->opset_import[i]->domain, domain)) {
            *version = (int)model->opset_import[i]->version;
            return true;
        }
    }
    return false;
}

static const char *type_kind_name(Onnx__TypeProto__ValueCase value_case)
{
    switch (value_case) {
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        return "a sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        return "a map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        return "an optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
        return "a sparse tensor";
    default:
        return "of no known type";
    }
}

/* The declared type of a graph input or output (`kind`). Dim names are borrowed from the
 * proto. *has_shape is false when the declaration gives no shape. */
static lo_status read_value_type(const loader *ld, const Onnx__ValueInfoProto *vi, const char *kind,
                                 lo_dtype *dtype, lo_shape *shape, const char *params[LO_MAX_RANK],
                                 bool *has_shape, lo_error *err)
{
    lo_status status = LO_OK;
    memset(shape, 0, sizeof *shape);
    for (int i = 0; i < LO_MAX_RANK; i++)
        params[i] = NULL;
    *has_shape = false;
    if (!vi->type) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s '%s' has no type", ld->source, kind, vi->name);
        goto done;
    }
    if (vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: %s '%s' is %s, not a tensor, which is not supported", ld->source,
                         kind, vi->name, type_kind_name(vi->type->value_case));
        goto done;
    }
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    if (!tt->has_elem_type || tt->elem_type == 0) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s '%s' has no element type", ld->source, kind,
                         vi->name);
        goto done;
    }
    if (tt->elem_type < 0 || tt->elem_type > LO_DTYPE_UINT64 ||
        lo_dtype_size((lo_dtype)tt->elem_type) == 0) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: %s '%s' has element type %d (%s), which is not supported", ld->source,
                         kind, vi->name, (int)tt->elem_type, lo_onnx_dtype_name(tt->elem_type));
        goto done;
    }
    *dtype = (lo_dtype)tt->elem_type;
    if (!tt->shape) goto done;
    if (tt->shape->n_dim > LO_MAX_RANK) {
        status =
            lo_fail(err, LO_ERR_UNSUPPORTED, "%s: %s '%s' has rank %zu; at most %d is supported",
                    ld->source, kind, vi->name, tt->shape->n_dim, LO_MAX_RANK);
        goto done;
    }
    shape->rank = (int)tt->shape->n_dim;
    for (int i = 0; i < shape->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[i];
        shape->dims[i] = -1; /* no value, or a named one: dynamic */
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (dim->dim_value < 0) {
                status = lo_fail(err, LO_ERR_MODEL, "%s: %s '%s' has a negative dimension (%lld)",
                                 ld->source, kind, vi->name, (long long)dim->dim_value);
                goto done;
            }
            shape->dims[i] = dim->dim_value;
        } else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param && *dim->dim_param) {
            params[i] = dim->dim_param;
        }
    }
    *has_shape = true;
done:
    return status;
}

static lo_status set_dim_params(loader *ld, int t, const char *const params[LO_MAX_RANK],
                                lo_error *err)
{
    lo_status status = LO_OK;
    lo_tensor *tensor = &ld->graph->tensors[t];
    for (int i = 0; i < LO_MAX_RANK; i++) {
        lo_free(tensor->dim_params[i]);
        tensor->dim_params[i] = NULL;
        if (!params[i]) continue;
        tensor->dim_params[i] = lo_strdup(params[i]);
        if (!tensor->dim_params[i]) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
            goto done;
        }
    }
done:
    return status;
}

static lo_status load_initializers(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    char *what = NULL;
    const Onnx__GraphProto *proto = ld->proto;
    if (proto->n_sparse_initializer > 0) {
        const Onnx__SparseTensorProto *sparse = proto->sparse_initializer[0];
        const char *name = sparse->values && sparse->values->name ? sparse->values->name : "";
        status = lo_fail(err, LO_ERR_UNSUPPORTED, "%s: sparse initializer '%s' is not supported",
                         ld->source, name);
        goto done;
    }
    for (size_t i = 0; i < proto->n_initializer; i++) {
        const Onnx__TensorProto *init = proto->initializer[i];
        if (!init->name || !*init->name) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: initializer #%zu has no name", ld->source, i);
            goto done;
        }
        if (lo_graph_find_tensor(ld->graph, init->name) >= 0) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: initializer '%s' is defined more than once",
                             ld->source, init->name);
            goto done;
        }
        size_t len = strlen(init->name) + 32;
        what = lo_malloc(len);
        if (!what) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
            goto done;
        }
        snprintf(what, len, "initializer '%s'", init->name);
        Onnx__TensorProto resolved = *init;
        lo_external_map map = {0};
        if (lo_onnx_is_external(init))
            status = lo_onnx_external_resolve(init, ld->external_base, ld->source, what, &resolved,
                                              &map, err);
        if (status == LO_OK)
            status = lo_onnx_add_constant(ld->graph, &resolved, init->name, what, NULL, err);
        lo_onnx_external_unmap(&map);
        if (status != LO_OK) goto done;
        lo_free(what);
        what = NULL;
    }
done:
    lo_free(what);
    return status;
}

/* Inputs that an initializer also defines (ir_version < 4 lists weights as inputs) stay
 * constants and are not fed at run time. */
static lo_status load_inputs(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    lo_graph *graph = ld->graph;
    for (size_t i = 0; i < ld->proto->n_input; i++) {
        const Onnx__ValueInfoProto *vi = ld->proto->input[i];
        if (!vi->name || !*vi->name) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: graph input #%zu has no name", ld->source, i);
            goto done;
        }
        int t = lo_graph_find_tensor(graph, vi->name);
        if (t >= 0 && graph->tensors[t].role == LO_TENSOR_CONSTANT) continue;
        if (t >= 0) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: input '%s' is listed more than once",
                             ld->source, vi->name);
            goto done;
        }
        lo_dtype dtype = LO_DTYPE_UNDEFINED;
        lo_shape shape;
        const char *params[LO_MAX_RANK];
        bool has_shape = false;
        status = read_value_type(ld, vi, "input", &dtype, &shape, params, &has_shape, err);
        if (status != LO_OK) goto done;
        if (!has_shape) {
            status = lo_fail(err, LO_ERR_UNSUPPORTED, "%s: input '%s' has no shape", ld->source,
                             vi->name);
            goto done;
        }
        status =
            lo_graph_add_tensor(graph, vi->name, dtype, &shape, LO_TENSOR_GRAPH_INPUT, &t, err);
        if (status != LO_OK) goto done;
        status = set_dim_params(ld, t, params, err);
        if (status != LO_OK) goto done;
        status = lo_graph_add_input(graph, t, err);
        if (status != LO_OK) goto done;
    }
done:
    return status;
}

/* Unnamed nodes become "<op_type>_<index>", made unique against every other node name. */
static lo_status name_nodes(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    char *name = NULL;
    /* Every name given or generated so far, so a generated one never repeats another. */
    lo_name_index *taken = lo_name_index_create();
    if (!taken) goto no_memory;
    for (int n = 0; n < ld->num_nodes; n++) {
        const Onnx__NodeProto *np = ld->proto->node[n];
        if (!np->op_type || !*np->op_type) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: node #%d ('%s') has no op_type", ld->source, n,
                             np->name ? np->name : "");
            goto done;
        }
        if (np->name && *np->name) {
            ld->names[n] = lo_strdup(np->name);
            if (!ld->names[n] || !lo_name_index_put(taken, ld->names[n], n)) goto no_memory;
        }
    }
    for (int n = 0; n < ld->num_nodes; n++) {
        if (ld->names[n]) continue;
        const char *op = ld->proto->node[n]->op_type;
        size_t len = strlen(op) + 48;
        name = lo_malloc(len);
        if (!name) goto no_memory;
        snprintf(name, len, "%s_%d", op, n);
        for (long long k = 1; lo_name_index_get(taken, name) >= 0; k++)
            snprintf(name, len, "%s_%d_%lld", op, n, k);
        ld->names[n] = name;
        name = NULL;
        if (!lo_name_index_put(taken, ld->names[n], n)) goto no_memory;
    }
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory naming nodes", ld->source);
done:
    lo_name_index_free(taken);
    lo_free(name);
    return status;
}

static lo_status resolve_domains(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    for (int n = 0; n < ld->num_nodes; n++) {
        const char *domain = ld->proto->node[n]->domain;
        if (!find_opset(ld->model, domain, &ld->opsets[n])) {
            lo_node ref = node_ref(ld, n);
            status =
                lo_node_fail(ld->graph, &ref, LO_ERR_UNSUPPORTED, err,
                             "domain '%s' is not imported by the model (no opset_import)", domain);
            goto done;
        }
    }
done:
    return status;
}

/* Every node's inputs (or outputs) as one flat array of tensor slots: start[n] is node n's
 * first slot, start[num_nodes] the total. */
static lo_status flat_slots(loader *ld, bool outputs, int *start, int **index, size_t *total,
                            lo_error *err)
{
    *total = 0;
    for (int n = 0; n < ld->num_nodes; n++) {
        start[n] = (int)*total;
        *total += outputs ? ld->proto->node[n]->n_output : ld->proto->node[n]->n_input;
        if (*total > INT_MAX / 4)
            return lo_fail(err, LO_ERR_UNSUPPORTED, "%s: too many node %s", ld->source,
                           outputs ? "outputs" : "inputs");
    }
    start[ld->num_nodes] = (int)*total;
    if (*total && !(*index = lo_malloc(*total * sizeof(int))))
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
    return LO_OK;
}

/* Adds a tensor for every node output, so inputs may be resolved whatever the node order. */
static lo_status declare_outputs(loader *ld, lo_error *err)
{
    lo_graph *graph = ld->graph;
    size_t total = 0;
    lo_status status = flat_slots(ld, true, ld->out_start, &ld->out_index, &total, err);
    if (status != LO_OK) goto done;
    ld->num_producer = graph->num_tensors + (int)total;
    ld->producer = lo_malloc((size_t)(ld->num_producer ? ld->num_producer : 1) * sizeof(int));
    if (!ld->producer) goto no_memory;
    for (int t = 0; t < ld->num_producer; t++)
        ld->producer[t] = -1;
    for (int n = 0; n < ld->num_nodes; n++) {
        const Onnx__NodeProto *np = ld->proto->node[n];
        for (size_t j = 0; j < np->n_output; j++) {
            const char *name = np->output[j];
            int *slot = &ld->out_index[ld->out_start[n] + (int)j];
            *slot = -1;
            if (!name || !*name) continue;
            int t = lo_graph_find_tensor(graph, name);
            if (t >= 0) {
                lo_node ref = node_ref(ld, n);
                const char *other = graph->tensors[t].role == LO_TENSOR_CONSTANT ? "an initializer"
                                    : graph->tensors[t].role == LO_TENSOR_GRAPH_INPUT
                                        ? "a graph input"
                                        : "another node's output";
                if (graph->tensors[t].role == LO_TENSOR_ACTIVATION && ld->producer[t] >= 0) {
                    status = lo_node_fail(graph, &ref, LO_ERR_MODEL, err,
                                          "output '%s' is also an output of node '%s'", name,
                                          ld->names[ld->producer[t]]);
                } else {
                    status = lo_node_fail(graph, &ref, LO_ERR_MODEL, err, "output '%s' is also %s",
                                          name, other);
                }
                goto done;
            }
            status = lo_graph_add_tensor(graph, name, LO_DTYPE_UNDEFINED, NULL,
                                         LO_TENSOR_ACTIVATION, &t, err);
            if (status != LO_OK) goto done;
            *slot = t;
            ld->producer[t] = n;
        }
    }
    goto done;
no_memory:
    status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
done:
    return status;
}

static lo_status resolve_inputs(loader *ld, lo_error *err)
{
    size_t total = 0;
    lo_status status = flat_slots(ld, false, ld->in_start, &ld->in_index, &total, err);
    if (status != LO_OK) goto done;
    for (int n = 0; n < ld->num_nodes; n++) {
        const Onnx__NodeProto *np = ld->proto->node[n];
        for (size_t j = 0; j < np->n_input; j++) {
            const char *name = np->input[j];
            int t = -1; /* "" is an omitted optional input */
            if (name && *name) {
                t = lo_graph_find_tensor(ld->graph, name);
                if (t < 0) {
                    lo_node ref = node_ref(ld, n);
                    status = lo_node_fail(
                        ld->graph, &ref, LO_ERR_MODEL, err,
                        "input '%s' is not defined by any node, graph input or initializer", name);
                    goto done;
                }
            }
            ld->in_index[ld->in_start[n] + (int)j] = t;
        }
    }
done:
    return status;
}

/* The model node producing input slot k, or -1 (graph inputs, constants, omitted). */
static int slot_producer(const loader *ld, int k)
{
    int t = ld->in_index[k];
    return t >= 0 && t < ld->num_producer ? ld->producer[t] : -1;
}

/* Execution order (node_order.h): each node after the nodes producing its inputs. */
static lo_status sort_nodes(loader *ld, lo_error *err)
{
    int n = ld->num_nodes, slots = ld->in_start[n];
    int *deps = lo_malloc(((size_t)slots + 1) * sizeof *deps);
    ld->order = lo_malloc(((size_t)n + 1) * sizeof *ld->order);
    if (!deps || !ld->order) {
        lo_free(deps);
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory sorting nodes", ld->source);
    }
    for (int k = 0; k < slots; k++)
        deps[k] = slot_producer(ld, k);
    int cycle_node = -1;
    lo_status status = lo_node_order(n, ld->in_start, deps, ld->order, &cycle_node);
    lo_free(deps);
    if (status == LO_ERR_NO_MEMORY)
        return lo_fail(err, status, "%s: out of memory sorting nodes", ld->source);
    if (status != LO_OK) {
        lo_node ref = node_ref(ld, cycle_node);
        return lo_node_fail(ld->graph, &ref, LO_ERR_MODEL, err,
                            "is part of a cycle: its inputs depend on its own outputs");
    }
    return LO_OK;
}

static lo_status build_node(loader *ld, int n, lo_error *err)
{
    lo_status status = LO_OK;
    const Onnx__NodeProto *np = ld->proto->node[n];
    lo_node ref = node_ref(ld, n);
    lo_attr *attrs = NULL;
    int num_attrs = 0;
    if (np->n_attribute > INT_MAX / 4) {
        status = lo_node_fail(ld->graph, &ref, LO_ERR_UNSUPPORTED, err, "too many attributes");
        goto done;
    }
    if (np->n_attribute) {
        attrs = lo_calloc(np->n_attribute, sizeof(lo_attr));
        if (!attrs) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
            goto done;
        }
    }
    for (size_t a = 0; a < np->n_attribute; a++) {
        status = lo_onnx_convert_attr(ld->graph, &ref, np->attribute[a], &attrs[a], err);
        if (status != LO_OK) goto done;
        num_attrs = (int)a + 1;
        for (size_t b = 0; b < a; b++) {
            if (strcmp(attrs[b].name, attrs[a].name) == 0) {
                status = lo_node_fail(ld->graph, &ref, LO_ERR_MODEL, err,
                                      "attribute '%s' is given more than once", attrs[a].name);
                goto done;
            }
        }
    }
    int in_count = ld->in_start[n + 1] - ld->in_start[n];
    int out_count = ld->out_start[n + 1] - ld->out_start[n];
    const char *domain = lo_domain_is_default(np->domain) ? "" : np->domain;
    status = lo_graph_add_node(ld->graph, ld->names[n], np->op_type, domain, ld->opsets[n],
                               in_count ? ld->in_index + ld->in_start[n] : NULL, in_count,
                               out_count ? ld->out_index + ld->out_start[n] : NULL, out_count,
                               attrs, num_attrs, NULL, err);
done:
    for (int a = 0; a < num_attrs; a++)
        lo_attr_clear(&attrs[a]);
    lo_free(attrs);
    return status;
}

static lo_status load_nodes(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    if (ld->proto->n_node > ld->graph->limits.nodes || ld->proto->n_node > INT_MAX / 4) {
        status = lo_fail(
            err, LO_ERR_LIMIT, "%s: the graph has %zu nodes, more than max_nodes (%llu)",
            ld->source, ld->proto->n_node,
            (unsigned long long)(ld->graph->limits.nodes < INT_MAX / 4 ? ld->graph->limits.nodes
                                                                       : INT_MAX / 4));
        goto done;
    }
    int n = ld->num_nodes = (int)ld->proto->n_node;
    ld->names = lo_calloc((size_t)n + 1, sizeof(char *));
    ld->opsets = lo_calloc((size_t)n + 1, sizeof(int));
    ld->in_start = lo_calloc((size_t)n + 1, sizeof(int));
    ld->out_start = lo_calloc((size_t)n + 1, sizeof(int));
    if (!ld->names || !ld->opsets || !ld->in_start || !ld->out_start) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", ld->source);
        goto done;
    }
    status = name_nodes(ld, err);
    if (status != LO_OK) goto done;
    status = resolve_domains(ld, err);
    if (status != LO_OK) goto done;
    status = declare_outputs(ld, err);
    if (status != LO_OK) goto done;
    status = resolve_inputs(ld, err);
    if (status != LO_OK) goto done;
    status = sort_nodes(ld, err);
    if (status != LO_OK) goto done;
    for (int k = 0; k < n; k++) {
        status = build_node(ld, ld->order[k], err);
        if (status != LO_OK) goto done;
    }
done:
    return status;
}

static lo_status load_outputs(loader *ld, lo_error *err)
{
    lo_status status = LO_OK;
    lo_graph *graph = ld->graph;
    if (ld->proto->n_output == 0) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: the graph has no outputs", ld->source);
        goto done;
    }
    for (size_t i = 0; i < ld->proto->n_output; i++) {
        const Onnx__ValueInfoProto *vi = ld->proto->output[i];
        if (!vi->name || !*vi->name) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: graph output #%zu has no name", ld->source, i);
            goto done;
        }
        int t = lo_graph_find_tensor(graph, vi->name);
        if (t < 0) {
            status = lo_fail(err, LO_ERR_MODEL,
                             "%s: output '%s' is not produced by any node, graph input or "
                             "initializer",
                             ld->source, vi->name);
            goto done;
        }
        if (graph->tensors[t].is_graph_output) {
            status = lo_fail(err, LO_ERR_UNSUPPORTED, "%s: output '%s' is listed more than once",
                             ld->source, vi->name);
            goto done;
        }
        lo_dtype dtype = LO_DTYPE_UNDEFINED;
        lo_shape shape;
        const char *params[LO_MAX_RANK];
        bool has_shape = false;
        status = read_value_type(ld, vi, "output", &dtype, &shape, params, &has_shape, err);
        if (status != LO_OK) goto done;
        lo_tensor *tensor = &graph->tensors[t];
        if (tensor->role == LO_TENSOR_ACTIVATION) {
            /* The declaration is all that is known until shapes are inferred. */
            tensor->dtype = dtype;
            if (has_shape) {
                tensor->shape = shape;
                status = set_dim_params(ld, t, params, err);
                if (status != LO_OK) goto done;
            }
        } else if (tensor->dtype != dtype) {
            status =
                lo_fail(err, LO_ERR_MODEL, "%s: output '%s' is declared %s but holds %s",
                        ld->source, vi->name, lo_dtype_name(dtype), lo_dtype_name(tensor->dtype));
            goto done;
        }
        status = lo_graph_add_output(graph, t, err);
        if (status != LO_OK) goto done;
    }
done:
    return status;
}

static void loader_release(loader *ld)
{
    if (ld->names)
        for (int n = 0; n < ld->num_nodes; n++)
            lo_free(ld->names[n]);
    lo_free(ld->names);
    lo_free(ld->opsets);
    lo_free(ld->in_start);
    lo_free(ld->in_index);
    lo_free(ld->out_start);
    lo_free(ld->out_index);
    lo_free(ld->producer);
    lo_free(ld->order);
}

/* protobuf-c allocates through the library's allocator too; a failed allocation is told apart
 * from malformed bytes, since unpack returns NULL for both. */
typedef struct {
    bool failed;
} unpack_state;

static void *unpack_alloc(void *data, size_t size)
{
    void *p = lo_malloc(size);
    if (!p) ((unpack_state *)data)->failed = true;
    return p;
}

static void unpack_free(void *data, void *ptr)
{
    (void)data;
    lo_free(ptr);
}

lo_status lo_onnx_load_bytes(const void *data, size_t size, const char *source, lo_graph **out,
                             lo_error *err)
{
    return lo_onnx_load(data, size, source, NULL, NULL, out, err);
}

lo_status lo_onnx_load(const void *data, size_t size, const char *source, const char *external_base,
                       const lo_limits *limits, lo_graph **out, lo_error *err)
{
    const lo_limits bounds = limits ? *limits : lo_limits_default();
    unpack_state unpack = {false};
    ProtobufCAllocator allocator = {unpack_alloc, unpack_free, &unpack};
    lo_status status = LO_OK;
    Onnx__ModelProto *model = NULL;
    loader ld;
    memset(&ld, 0, sizeof ld);
    ld.source = source ? source : "<memory>";
    ld.external_base = external_base;
    if (!out || (!data && size > 0)) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "%s: lo_onnx_load_bytes: no data or no output",
                         ld.source);
        goto done;
    }
    *out = NULL;
    if (size == 0) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: no bytes, not an ONNX model", ld.source);
        goto done;
    }
    if (size > bounds.model_bytes) {
        status = lo_fail(err, LO_ERR_LIMIT,
                         "%s: the model has %zu bytes, more than max_model_bytes (%llu)", ld.source,
                         size, (unsigned long long)bounds.model_bytes);
        goto done;
    }
    /* protobuf-c recurses once per nested message: bound the depth before it starts. */
    status = lo_proto_check_depth(&onnx__model_proto__descriptor, data, size, bounds.nesting_depth,
                                  ld.source, err);
    if (status != LO_OK) goto done;
    model = onnx__model_proto__unpack(&allocator, size, data);
    if (!model && unpack.failed) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory decoding the model", ld.source);
        goto done;
    }
    if (!model) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: not an ONNX model (protobuf decoding failed)",
                         ld.source);
        goto done;
    }
    ld.model = model;
    status = lo_graph_create(ld.source, &ld.graph, err);
    if (status != LO_OK) goto done;
    ld.graph->limits = bounds;
    status = check_model(&ld, err);
    if (status == LO_OK) status = lo_onnx_read_metadata(model, ld.source, &ld.graph->info, err);
    if (status != LO_OK) goto done;
    ld.proto = model->graph;
    status = load_initializers(&ld, err);
    if (status != LO_OK) goto done;
    status = load_inputs(&ld, err);
    if (status != LO_OK) goto done;
    status = load_nodes(&ld, err);
    if (status != LO_OK) goto done;
    status = load_outputs(&ld, err);
    if (status != LO_OK) goto done;
    lo_log(LENET_ONNX_LOG_INFO,
           "%s: loaded graph '%s': ir_version %lld, opset %d, %d nodes, %d tensors", ld.source,
           ld.graph->name, (long long)ld.graph->ir_version, ld.graph->opset, ld.graph->num_nodes,
           ld.graph->num_tensors);
    *out = ld.graph;
    ld.graph = NULL;
done:
    lo_graph_free(ld.graph);
    loader_release(&ld);
    if (model) onnx__model_proto__free_unpacked(model, &allocator);
    return status;
}
