#include "passes.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "reader_index.h"
#include "op_table.h"
#include "op_util.h"
#include "ops.h"

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
            /* The batch multiplies the input: it is held to the limits as a declared shape. */
            lo_status st = lo_check_shape_limits(graph, t->name, &t->shape, err);
            if (st != LO_OK) return st;
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
        /* Every op's first output is required; folds and passes write and follow it. */
        if (node->num_outputs < 1 || node->outputs[0] < 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "has no first output");
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

int lo_sole_consumer(const lo_graph *graph, int index)
{
    if (graph->tensors[index].is_graph_output) return -1;
    int first = -1, readers = lo_reader_index_count(graph->readers, graph, index, &first);
    if (readers >= 0) return readers == 1 ? first : -1;
    if (lo_graph_use_count(graph, index) != 1) return -1; /* no memory for the index: scan */
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        for (int i = 0; i < node->num_inputs; i++)
            if (node->inputs[i] == index) return n;
    }
    return -1;
}

/* Turns `node` into the internal fused op `fused_op` with an "activation" attribute (and the
 * activation's parameters as "activation_alpha", "activation_min", "activation_max"), taking
 * over the activation node's output. */
static lo_status fuse(lo_graph *graph, int node_index, lo_node *activation,
                      const lo_unary_params *params, const char *fused_op, lo_error *err)
{
    const lo_attr attrs[] = {
        {.name = "activation", .type = LO_ATTR_STRING, .s = activation->op_type, .tensor = -1},
        {.name = "activation_alpha", .type = LO_ATTR_FLOAT, .f = params->alpha, .tensor = -1},
        {.name = "activation_min", .type = LO_ATTR_FLOAT, .f = params->min, .tensor = -1},
        {.name = "activation_max", .type = LO_ATTR_FLOAT, .f = params->max, .tensor = -1},
    };
    lo_status st = LO_OK;
    for (size_t a = 0; a < sizeof attrs / sizeof attrs[0] && st == LO_OK; a++)
        st = lo_node_set_attr(graph, node_index, &attrs[a], err);
    /* The node keeps its opset: Gemm's inputs depend on it (C optional from version 11). */
    if (st == LO_OK)
        st = lo_node_set_op(graph, node_index, fused_op, LO_INTERNAL_DOMAIN,
                            graph->nodes[node_index].opset, err);
    if (st != LO_OK) return st;
    lo_node *node = &graph->nodes[node_index];
    node->outputs[0] = activation->outputs[0];
    graph->tensors[node->outputs[0]].producer = node_index;
    activation->removed = true;
    return LO_OK;
}

lo_status lo_fuse_activations(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        lo_node *node = &graph->nodes[n];
        if (node->removed || node->num_outputs < 1 || node->outputs[0] < 0) continue;
        const char *fused_op = NULL;
        if (lo_node_is(node, "Conv"))
            fused_op = "FusedConv";
        else if (lo_node_is(node, "Gemm"))
            fused_op = "FusedGemm";
        if (!fused_op) continue;
        int next = lo_sole_consumer(graph, node->outputs[0]);
        if (next < 0) continue;
        lo_node *activation = &graph->nodes[next];
        /* An activation op of the default domain (lo_unary_params_of knows them all and fails
         * for any other op) reading the conv's output as its input 0 (Clip's bounds are inputs
         * too), its parameters valid (else its own step reports them) and constant: a step
         * carries values only. */
        lo_unary_params params;
        lo_error ignored;
        if (!lo_domain_is_default(activation->domain) || activation->num_inputs < 1 ||
            activation->inputs[0] != node->outputs[0] ||
            lo_unary_params_of(graph, activation, &params, &ignored) != LO_OK || params.min_input ||
            params.max_input)
            continue;
        lo_status st = fuse(graph, n, activation, &params, fused_op, err);
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

bool lo_node_is(const lo_node *node, const char *op_type)
{
    return !node->removed && lo_domain_is_default(node->domain) &&
           strcmp(node->op_type, op_type) == 0;
}

/* Readers of each tensor among live nodes and the host for graph outputs, as
 * lo_graph_use_count counts them, or NULL when out of memory. */
static int *count_readers(const lo_graph *graph)
{
    int *readers = lo_calloc((size_t)graph->num_tensors + 1, sizeof *readers);
    if (!readers) return NULL;
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        for (int i = 0; i < node->num_inputs; i++) {
            bool repeat = false;
            for (int j = 0; j < i && !repeat; j++)
                repeat = node->inputs[j] == node->inputs[i];
            if (node->inputs[i] >= 0 && !repeat) readers[node->inputs[i]]++;
        }
    }
    for (int t = 0; t < graph->num_tensors; t++)
        if (graph->tensors[t].is_graph_output) readers[t]++;
    return readers;
}

void lo_drop_dead_nodes(lo_graph *graph)
{
    /* Counted once up front, so the sweep stays linear in the graph's size. Without memory
     * for the counts nothing is dropped: dead nodes cost time, never a wrong result. */
    int *readers = count_readers(graph);
    if (!readers) return;
    /* In reverse topological order one sweep reaches whole dead chains. */
    for (int n = graph->num_nodes - 1; n >= 0; n--) {
        lo_node *node = &graph->nodes[n];
        if (node->removed) continue;
        bool used = false;
        for (int o = 0; o < node->num_outputs && !used; o++)
            used = node->outputs[o] >= 0 && readers[node->outputs[o]] > 0;
        if (used) continue;
        node->removed = true;
        for (int i = 0; i < node->num_inputs; i++) {
            bool repeat = false;
            for (int j = 0; j < i && !repeat; j++)
                repeat = node->inputs[j] == node->inputs[i];
            if (node->inputs[i] >= 0 && !repeat) readers[node->inputs[i]]--;
        }
    }
    lo_free(readers);
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
    if ((st = lo_fold_batchnorm_into_conv(graph, err)) != LO_OK) return st;
    if ((st = lo_fuse_matmul_add(graph, err)) != LO_OK) return st;
    if ((st = lo_fold_pad_into_window(graph, err)) != LO_OK) return st;
    if ((st = lo_simplify_transposes(graph, err)) != LO_OK) return st;
    lo_drop_dead_nodes(graph);
    if ((st = lo_fuse_activations(graph, err)) != LO_OK) return st;
    lo_mark_views(graph);
    return LO_OK;
}
