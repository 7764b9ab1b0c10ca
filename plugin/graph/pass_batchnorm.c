/* BatchNormalization in inference is a per-channel scale and shift, y = s * x + t with
 *   s = scale / sqrt(var + epsilon),  t = B - mean * s,
 * which folds into a neighbouring Conv's weights and bias on the host:
 *   - right after a Conv: W' = W * s (per output channel), b' = b * s + t;
 *   - before a MaxPool (an activation, then BatchNorm, then a pool: MNIST-style CNNs), when
 *     every s >= 0: the pool commutes with it (max(s*x + t) = s*max(x) + t, exactly, as float
 *     rounding is monotone), so the two swap: the BatchNorm runs on the pooled tensor and the
 *     pool can fuse into the Conv before it;
 *   - right before a Conv without padding (its zero padding would not be scaled):
 *     W' = W * s (per input channel), b'[m] = b[m] + sum over the window of W * t.
 * Only when every operand is a constant and the tensor between the two nodes feeds nothing
 * else. */
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

/* BatchNorm node bn's per-channel s and t (m channels, out of m * 2 doubles: s then t); false
 * when an operand is not a constant of m floats. */
static bool bn_affine(const lo_graph *graph, const lo_node *bn, int64_t m, double *st,
                      lo_status *status, lo_error *err)
{
    lo_step step;
    int reads[LO_STEP_MAX_INPUTS];
    const lo_op_def *row = lo_op_lookup(bn->domain, bn->op_type, bn->opset);
    *status = lo_op_lower(graph, bn, row, &step, reads, err);
    if (*status != LO_OK || bn->num_outputs > 1) return false;
    const float *scale = const_floats(graph, bn, 1, m), *shift = const_floats(graph, bn, 2, m),
                *mean = const_floats(graph, bn, 3, m), *var = const_floats(graph, bn, 4, m);
    if (!scale || !shift || !mean || !var || step.params.batchnorm.channels != m) return false;
    for (int64_t c = 0; c < m; c++) {
        st[c] = scale[c] / sqrt((double)var[c] + step.params.batchnorm.epsilon);
        st[m + c] = shift[c] - mean[c] * st[c];
    }
    return true;
}

/* Conv node `conv`'s weights and bias as constants (bias NULL when absent); false if not. */
static bool conv_constants(const lo_graph *graph, const lo_node *conv, const float **weights,
                           const float **bias)
{
    const lo_tensor *w = lo_node_input(graph, conv, 1);
    const int64_t m = w ? w->shape.dims[0] : 0;
    *weights =
        w && w->shape.rank == 4 ? const_floats(graph, conv, 1, lo_shape_numel(&w->shape)) : NULL;
    *bias = lo_node_input(graph, conv, 2) ? const_floats(graph, conv, 2, m) : NULL;
    return *weights && (*bias || !lo_node_input(graph, conv, 2));
}

/* Gives Conv `conv_index` the weights new_w (its W's shape) and bias new_b ([M]) as new
 * constants, reading `input`. */
static lo_status replace_conv_constants(lo_graph *graph, int conv_index, int input,
                                        const float *new_w, const float *new_b, lo_error *err)
{
    lo_shape w_shape = lo_node_input(graph, &graph->nodes[conv_index], 1)->shape;
    lo_shape b_shape = {1, {w_shape.dims[0]}};
    int w_index, b_index;
    lo_status st = add_constant(graph, &w_shape, new_w, &w_index, err);
    if (st == LO_OK) st = add_constant(graph, &b_shape, new_b, &b_index, err);
    if (st != LO_OK) return st;
    int inputs[3] = {input, w_index, b_index};
    return lo_node_set_inputs(graph, conv_index, inputs, 3, err);
}

/* W' = W * s per output channel, b' = b * s + t; the Conv takes over the BatchNorm's output. */
static lo_status fold_after_conv(lo_graph *graph, int conv_index, int bn_index, lo_error *err)
{
    const lo_node *conv = &graph->nodes[conv_index];
    const lo_node *bn = &graph->nodes[bn_index];
    const float *weights, *bias;
    if (!conv_constants(graph, conv, &weights, &bias)) return LO_OK;
    const lo_tensor *w = lo_node_input(graph, conv, 1);
    const int64_t m = w->shape.dims[0], per_channel = lo_shape_numel(&w->shape) / m;
    lo_status st = LO_OK;
    double *affine = lo_malloc((size_t)(2 * m) * sizeof *affine);
    float *new_w = lo_malloc((size_t)(m * per_channel) * sizeof *new_w);
    float *new_b = lo_malloc((size_t)m * sizeof *new_b);
    if (!affine || !new_w || !new_b) {
        st = lo_node_fail(graph, bn, LO_ERR_NO_MEMORY, err, "out of memory folding into '%s'",
                          conv->name);
        goto done;
    }
    if (!bn_affine(graph, bn, m, affine, &st, err)) goto done; /* it runs on its own */
    for (int64_t c = 0; c < m; c++) {
        for (int64_t k = 0; k < per_channel; k++)
            new_w[c * per_channel + k] = (float)(weights[c * per_channel + k] * affine[c]);
        new_b[c] = (float)((bias ? bias[c] : 0.0) * affine[c] + affine[m + c]);
    }
    st = replace_conv_constants(graph, conv_index, graph->nodes[conv_index].inputs[0], new_w, new_b,
                                err);
    if (st != LO_OK) goto done;
    graph->nodes[conv_index].outputs[0] = graph->nodes[bn_index].outputs[0];
    graph->tensors[graph->nodes[conv_index].outputs[0]].producer = conv_index;
    graph->nodes[bn_index].removed = true;
done:
    lo_free(affine);
    lo_free(new_w);
    lo_free(new_b);
    return st;
}

/* True when the Conv node pads nothing (lowered, its window resolved). */
static bool conv_unpadded(const lo_graph *graph, const lo_node *conv)
{
    lo_step step;
    int reads[LO_STEP_MAX_INPUTS];
    lo_error ignored;
    const lo_op_def *row = lo_op_lookup(conv->domain, conv->op_type, conv->opset);
    if (lo_op_lower(graph, conv, row, &step, reads, &ignored) != LO_OK) return false;
    const lo_conv_params *p = &step.params.conv;
    return p->pad_begin[0] == 0 && p->pad_begin[1] == 0 && p->pad_end[0] == 0 && p->pad_end[1] == 0;
}

/* W'[m, c] = W[m, c] * s[c] over input channels c, b'[m] = b[m] + sum of W[m, c, ...] * t[c];
 * the Conv reads the BatchNorm's input. */
static lo_status fold_before_conv(lo_graph *graph, int bn_index, int conv_index, lo_error *err)
{
    const lo_node *conv = &graph->nodes[conv_index];
    const lo_node *bn = &graph->nodes[bn_index];
    const float *weights, *bias;
    const lo_tensor *x = lo_node_input(graph, bn, 0);
    if (!x || x->shape.rank != 4 || !conv_constants(graph, conv, &weights, &bias) ||
        !conv_unpadded(graph, conv))
        return LO_OK;
    const lo_tensor *w = lo_node_input(graph, conv, 1);
    const int64_t m = w->shape.dims[0], cg = w->shape.dims[1];
    const int64_t taps = w->shape.dims[2] * w->shape.dims[3], c = x->shape.dims[1];
    if (cg <= 0 || c % cg != 0 || m % (c / cg) != 0) return LO_OK; /* the Conv reports it */
    const int64_t mg = m / (c / cg);
    lo_status st = LO_OK;
    double *affine = lo_malloc((size_t)(2 * c) * sizeof *affine);
    float *new_w = lo_malloc((size_t)(m * cg * taps) * sizeof *new_w);
    float *new_b = lo_malloc((size_t)m * sizeof *new_b);
    if (!affine || !new_w || !new_b) {
        st = lo_node_fail(graph, bn, LO_ERR_NO_MEMORY, err, "out of memory folding into '%s'",
                          conv->name);
        goto done;
    }
    if (!bn_affine(graph, bn, c, affine, &st, err)) goto done;
    for (int64_t o = 0; o < m; o++) {
        double b = bias ? bias[o] : 0.0;
        for (int64_t i = 0; i < cg; i++) {
            const int64_t channel = o / mg * cg + i; /* the input channel of group o / mg */
            for (int64_t k = 0; k < taps; k++) {
                const int64_t at = (o * cg + i) * taps + k;
                new_w[at] = (float)(weights[at] * affine[channel]);
                b += weights[at] * affine[c + channel];
            }
        }
        new_b[o] = (float)b;
    }
    st = replace_conv_constants(graph, conv_index, graph->nodes[bn_index].inputs[0], new_w, new_b,
                                err);
    if (st == LO_OK) graph->nodes[bn_index].removed = true;
done:
    lo_free(affine);
    lo_free(new_w);
    lo_free(new_b);
    return st;
}

/* BatchNorm bn, then MaxPool pool reading only it: when every s >= 0, the pool reads the
 * BatchNorm's input into a new tensor of its output's shape, and the BatchNorm maps that to
 * the pool's old output. */
static lo_status swap_with_pool(lo_graph *graph, int bn_index, int pool_index, lo_error *err)
{
    const lo_node *bn = &graph->nodes[bn_index], *pool = &graph->nodes[pool_index];
    const lo_tensor *x = lo_node_input(graph, bn, 0);
    /* BatchNormalization's 5 inputs, all but X constants (bn_affine checks). */
    if (!x || bn->num_inputs != 5 || x->shape.rank < 2 || x->dtype != LO_DTYPE_FLOAT ||
        (pool->num_outputs > 1 && pool->outputs[1] >= 0)) /* Indices: of the scaled values */
        return LO_OK;
    const int64_t c = x->shape.dims[1];
    lo_status st = LO_OK;
    double *affine = lo_malloc((size_t)(2 * (c > 0 ? c : 1)) * sizeof *affine);
    if (!affine)
        return lo_node_fail(graph, bn, LO_ERR_NO_MEMORY, err, "out of memory reading its scale");
    bool nonnegative = bn_affine(graph, bn, c, affine, &st, err);
    for (int64_t i = 0; i < c && nonnegative; i++)
        nonnegative = affine[i] >= 0.0;
    lo_free(affine);
    if (st != LO_OK || !nonnegative) return st;
    const lo_tensor *out = lo_node_output(graph, pool, 0);
    const lo_shape pooled = out->shape;
    const lo_dtype dtype = out->dtype;
    int between = -1;
    if ((st = lo_graph_add_tensor(graph, NULL, dtype, &pooled, LO_TENSOR_ACTIVATION, &between,
                                  err)) != LO_OK)
        return st;
    /* The two nodes trade places (node order is run order; the reader index knows nodes by
     * position, so nothing else moves): the pool at bn_index, the BatchNorm at pool_index. */
    const lo_node pool_node = graph->nodes[pool_index];
    graph->nodes[pool_index] = graph->nodes[bn_index];
    graph->nodes[bn_index] = pool_node;
    const int input = graph->nodes[pool_index].inputs[0], output = pool_node.outputs[0];
    int bn_inputs[5];
    const int bn_count = 5;
    memcpy(bn_inputs, graph->nodes[pool_index].inputs, sizeof bn_inputs);
    bn_inputs[0] = between;
    if ((st = lo_node_set_inputs(graph, bn_index, &input, 1, err)) != LO_OK ||
        (st = lo_node_set_inputs(graph, pool_index, bn_inputs, bn_count, err)) != LO_OK)
        return st;
    graph->nodes[bn_index].outputs[0] = between;
    graph->tensors[between].producer = bn_index;
    graph->nodes[pool_index].outputs[0] = output;
    graph->tensors[output].producer = pool_index;
    return LO_OK;
}

lo_status lo_fold_batchnorm_into_conv(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (node->num_outputs < 1 || node->outputs[0] < 0) continue;
        int next = lo_sole_consumer(graph, node->outputs[0]);
        if (next < 0 || graph->nodes[next].inputs[0] != node->outputs[0]) continue;
        const lo_node *after = &graph->nodes[next];
        lo_status st = LO_OK;
        if (lo_node_is(node, "Conv") && lo_node_is(after, "BatchNormalization")) {
            st = fold_after_conv(graph, n, next, err);
        } else if (lo_node_is(node, "BatchNormalization") && lo_node_is(after, "MaxPool")) {
            /* The BatchNorm, now at `next`, is looked at when the loop gets there (it may fold
             * into a Conv after the pool). */
            st = swap_with_pool(graph, n, next, err);
        } else if (lo_node_is(node, "BatchNormalization") && lo_node_is(after, "Conv")) {
            st = fold_before_conv(graph, n, next, err);
        }
        if (st != LO_OK) return st;
    }
    return LO_OK;
}
