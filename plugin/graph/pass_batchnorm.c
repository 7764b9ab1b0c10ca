/* BatchNormalization right after a Conv, in inference, is a per-channel scale and shift of
 * the Conv's output, so it folds into the Conv's weights and bias on the host:
 *   s = scale / sqrt(var + epsilon),  W' = W * s (per output channel),  b' = (b - mean) * s + B.
 * Only when every operand is a constant and the Conv output feeds nothing else. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "op_table.h"
#include "op_util.h"
#include "passes.h"

static const float *const_floats(const lo_graph *graph, const lo_node *node, int i, int64_t count)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t || t->role != LO_TENSOR_CONSTANT || t->dtype != LO_DTYPE_FLOAT ||
        lo_shape_numel(&t->shape) != count)
        return NULL;
    return t->data;
}

/* Adds a float constant of this shape holding `values`; sets *index. */
static lo_status add_constant(lo_graph *graph, const lo_shape *shape, const float *values,
                              int *index, lo_error *err)
{
    lo_status st =
        lo_graph_add_tensor(graph, NULL, LO_DTYPE_FLOAT, shape, LO_TENSOR_CONSTANT, index, err);
    if (st != LO_OK) return st;
    return lo_tensor_set_data(graph, *index, values, (size_t)lo_shape_numel(shape) * sizeof(float),
                              err);
}

static lo_status fold_one(lo_graph *graph, int conv_index, int bn_index, lo_error *err)
{
    const lo_node *conv = &graph->nodes[conv_index];
    const lo_node *bn = &graph->nodes[bn_index];
    const lo_tensor *w = lo_node_input(graph, conv, 1);
    const int64_t m = w->shape.dims[0], per_channel = lo_shape_numel(&w->shape) / m;

    lo_step step;
    int reads[LO_STEP_MAX_INPUTS];
    const lo_op_def *row = lo_op_lookup(bn->domain, bn->op_type, bn->opset);
    lo_status st = lo_op_lower(graph, bn, row, &step, reads, err);
    if (st != LO_OK) return st;
    const float *scale = const_floats(graph, bn, 1, m), *shift = const_floats(graph, bn, 2, m),
                *mean = const_floats(graph, bn, 3, m), *var = const_floats(graph, bn, 4, m);
    const float *weights = const_floats(graph, conv, 1, m * per_channel);
    const float *bias = lo_node_input(graph, conv, 2) ? const_floats(graph, conv, 2, m) : NULL;
    bool has_bias_input = lo_node_input(graph, conv, 2) != NULL;
    if (!scale || !shift || !mean || !var || !weights || (has_bias_input && !bias) ||
        step.params.batchnorm.channels != m)
        return LO_OK; /* not foldable: leave the BatchNormalization to run on its own */

    float *new_w = lo_malloc((size_t)(m * per_channel) * sizeof *new_w);
    float *new_b = lo_malloc((size_t)m * sizeof *new_b);
    if (!new_w || !new_b) {
        st = lo_node_fail(graph, bn, LO_ERR_NO_MEMORY, err, "out of memory folding into '%s'",
                          conv->name);
        goto done;
    }
    for (int64_t c = 0; c < m; c++) {
        double s = scale[c] / sqrt((double)var[c] + step.params.batchnorm.epsilon);
        for (int64_t k = 0; k < per_channel; k++)
            new_w[c * per_channel + k] = (float)(weights[c * per_channel + k] * s);
        new_b[c] = (float)(((bias ? bias[c] : 0.0) - mean[c]) * s + shift[c]);
    }
    int w_index, b_index;
    lo_shape b_shape = {1, {m}};
    lo_shape w_shape = w->shape; /* w may move when the tensor array grows */
    if ((st = add_constant(graph, &w_shape, new_w, &w_index, err)) != LO_OK) goto done;
    if ((st = add_constant(graph, &b_shape, new_b, &b_index, err)) != LO_OK) goto done;
    int inputs[3] = {graph->nodes[conv_index].inputs[0], w_index, b_index};
    if ((st = lo_node_set_inputs(graph, conv_index, inputs, 3, err)) != LO_OK) goto done;
    graph->nodes[conv_index].outputs[0] = graph->nodes[bn_index].outputs[0];
    graph->tensors[graph->nodes[conv_index].outputs[0]].producer = conv_index;
    graph->nodes[bn_index].removed = true;
done:
    lo_free(new_w);
    lo_free(new_b);
    return st;
}

lo_status lo_fold_batchnorm_into_conv(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *conv = &graph->nodes[n];
        if (!lo_node_is(conv, "Conv") || conv->num_outputs < 1 || conv->outputs[0] < 0) continue;
        int next = lo_sole_consumer(graph, conv->outputs[0]);
        if (next < 0 || !lo_node_is(&graph->nodes[next], "BatchNormalization") ||
            graph->nodes[next].inputs[0] != conv->outputs[0])
            continue;
        lo_status st = fold_one(graph, n, next, err);
        if (st != LO_OK) return st;
    }
    return LO_OK;
}
