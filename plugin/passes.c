#include "passes.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "op_table.h"
#include "op_util.h"

lo_status lo_bind_batch(lo_graph *graph, int64_t batch, lo_error *err)
{
    bool any_dynamic = false;
    for (int i = 0; i < graph->num_inputs; i++) {
        lo_tensor *t = &graph->tensors[graph->inputs[i]];
        for (int d = 0; d < t->shape.rank; d++) {
            if (t->shape.dims[d] >= 0) continue;
            if (d != 0)
                return lo_fail(err, LO_ERR_UNSUPPORTED,
                               "%s: input '%s' has dynamic dimension %d ('%s'); only the batch "
                               "dimension (0) may be dynamic",
                               graph->source, t->name, d,
                               t->dim_params[d] ? t->dim_params[d] : "unnamed");
            any_dynamic = true;
        }
    }
    if (any_dynamic) {
        if (batch == 0) batch = 1;
        for (int i = 0; i < graph->num_inputs; i++) {
            lo_tensor *t = &graph->tensors[graph->inputs[i]];
            if (t->shape.rank > 0 && t->shape.dims[0] < 0) t->shape.dims[0] = batch;
        }
        return LO_OK;
    }
    /* A static model: its first input's leading dim is its batch, and only that one fits. */
    const lo_tensor *first = graph->num_inputs ? &graph->tensors[graph->inputs[0]] : NULL;
    if (batch != 0 && first && first->shape.rank > 0 && first->shape.dims[0] != batch)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "%s: input '%s' has a fixed batch of %lld; batch size %lld was asked for",
                       graph->source, first->name, (long long)first->shape.dims[0],
                       (long long)batch);
    return LO_OK;
}

lo_status lo_infer_and_fold(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        const lo_op_def *row = lo_op_lookup(node->domain, node->op_type, node->opset);
        if (!row)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "unsupported op '%s'",
                                node->op_type);
        lo_status st = row->infer(graph, node, err);
        if (st != LO_OK) return st;
        /* Shapes are static by now, so a fold that needs only shapes can always run. */
        if (row->fold && (row->fold_needs_only_shapes || lo_node_inputs_constant(graph, node))) {
            if ((st = row->fold(graph, node, err)) != LO_OK) return st;
            node->removed = true;
        } else if (row->op_class == LO_OP_CONSTANT) {
            for (int i = 0; i < node->num_inputs; i++) {
                const lo_tensor *t = lo_node_input(graph, node, i);
                if (t && t->role != LO_TENSOR_CONSTANT)
                    return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                        "input '%s' is only known at run time, and this op is "
                                        "supported only on values known at plan time",
                                        t->name);
            }
        }
    }
    return LO_OK;
}

/* The single node reading tensor `index`, or -1 when it has other readers or is an output. */
static int sole_consumer(const lo_graph *graph, int index)
{
    if (lo_graph_use_count(graph, index) != 1 || graph->tensors[index].is_graph_output) return -1;
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        for (int i = 0; i < node->num_inputs; i++)
            if (node->inputs[i] == index) return n;
    }
    return -1;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = lo_malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

/* Turns `node` into the internal fused op `fused_op` with an "activation" attribute, taking
 * over the activation node's output. */
static lo_status fuse(lo_graph *graph, lo_node *node, lo_node *activation, const char *fused_op,
                      lo_error *err)
{
    char *op = copy_string(fused_op);
    char *domain = copy_string(LO_INTERNAL_DOMAIN);
    char *attr_name = copy_string("activation");
    char *attr_value = copy_string(activation->op_type);
    lo_attr *attrs = lo_realloc(node->attrs, (size_t)(node->num_attrs + 1) * sizeof *attrs);
    if (!op || !domain || !attr_name || !attr_value || !attrs) {
        lo_free(op);
        lo_free(domain);
        lo_free(attr_name);
        lo_free(attr_value);
        if (attrs) node->attrs = attrs;
        return lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory while fusing");
    }
    node->attrs = attrs;
    lo_attr *a = &attrs[node->num_attrs++];
    memset(a, 0, sizeof *a);
    a->name = attr_name;
    a->type = LO_ATTR_STRING;
    a->s = attr_value;
    a->tensor = -1;
    lo_free(node->op_type);
    lo_free(node->domain);
    node->op_type = op;
    node->domain = domain;
    node->opset = 1;
    node->outputs[0] = activation->outputs[0];
    graph->tensors[node->outputs[0]].producer = (int)(node - graph->nodes);
    activation->removed = true;
    return LO_OK;
}

lo_status lo_fuse_activations(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        lo_node *node = &graph->nodes[n];
        if (node->removed || node->num_outputs < 1 || node->outputs[0] < 0) continue;
        const char *fused_op = NULL;
        if (strcmp(node->domain, "") == 0 && strcmp(node->op_type, "Conv") == 0)
            fused_op = "FusedConv";
        else if (strcmp(node->domain, "") == 0 && strcmp(node->op_type, "Gemm") == 0)
            fused_op = "FusedGemm";
        if (!fused_op) continue;
        int next = sole_consumer(graph, node->outputs[0]);
        if (next < 0) continue;
        lo_node *activation = &graph->nodes[next];
        if (strcmp(activation->domain, "") != 0 || strcmp(activation->op_type, "Relu") != 0)
            continue;
        lo_status st = fuse(graph, node, activation, fused_op, err);
        if (st != LO_OK) return st;
    }
    return LO_OK;
}

void lo_mark_views(lo_graph *graph)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        const lo_op_def *row = lo_op_lookup(node->domain, node->op_type, node->opset);
        if (!row || row->op_class != LO_OP_VIEW) continue;
        lo_tensor *out = lo_node_output(graph, node, 0);
        if (out) out->view_of = lo_storage_root(graph, node->inputs[0]);
    }
}

int lo_storage_root(const lo_graph *graph, int index)
{
    while (graph->tensors[index].view_of >= 0)
        index = graph->tensors[index].view_of;
    return index;
}

lo_status lo_run_passes(lo_graph *graph, int64_t batch, lo_error *err)
{
    lo_status st;
    if ((st = lo_bind_batch(graph, batch, err)) != LO_OK) return st;
    if ((st = lo_infer_and_fold(graph, err)) != LO_OK) return st;
    if ((st = lo_fuse_activations(graph, err)) != LO_OK) return st;
    lo_mark_views(graph);
    return LO_OK;
}
