/* Element-wise activations on float tensors: Relu, Sigmoid, Tanh, LeakyRelu, Clip. Their
 * parameters (LeakyRelu's alpha, Clip's bounds) are resolved here, at plan time. */
#include "ops.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "op_util.h"

/* A Clip bound given as input i: its value when constant, else a mark (1) that it is read at
 * run time; lo_unary_lower turns marks into the step inputs holding the bounds. */
static lo_status clip_bound(const lo_graph *graph, const lo_node *node, int i, float *value,
                            int *step_input, lo_error *err)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t) return LO_OK;
    if (t->role == LO_TENSOR_CONSTANT) return lo_const_input_float(graph, node, i, value, err);
    if (t->dtype != LO_DTYPE_FLOAT || lo_shape_numel(&t->shape) != 1) {
        char buf[128];
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "input '%s' is %s of shape %s, not one float", t->name,
                            lo_dtype_name(t->dtype), lo_shape_format(&t->shape, buf, sizeof buf));
    }
    *step_input = 1;
    return LO_OK;
}

lo_status lo_unary_params_of(const lo_graph *graph, const lo_node *node, lo_unary_params *p,
                             lo_error *err)
{
    lo_status st = LO_OK;
    memset(p, 0, sizeof *p);
    const char *op = node->op_type;
    if (strcmp(op, "Relu") == 0) {
        p->op = LO_ACT_RELU;
    } else if (strcmp(op, "Sigmoid") == 0) {
        p->op = LO_ACT_SIGMOID;
    } else if (strcmp(op, "Tanh") == 0) {
        p->op = LO_ACT_TANH;
    } else if (strcmp(op, "LeakyRelu") == 0) {
        p->op = LO_ACT_LEAKY_RELU;
        st = lo_attr_get_float(graph, node, "alpha", 0.01f, &p->alpha, err);
    } else if (strcmp(op, "Clip") == 0) {
        p->op = LO_ACT_CLIP;
        if (node->opset < 11) {
            /* Attributes; version 6 defaults to the float range, version 1 to no bound. */
            const float low = node->opset < 6 ? -INFINITY : -FLT_MAX;
            const float high = node->opset < 6 ? INFINITY : FLT_MAX;
            st = lo_attr_get_float(graph, node, "min", low, &p->min, err);
            if (st == LO_OK) st = lo_attr_get_float(graph, node, "max", high, &p->max, err);
        } else {
            /* Optional one-element inputs; absent means unbounded. */
            p->min = -INFINITY;
            p->max = INFINITY;
            st = clip_bound(graph, node, 1, &p->min, &p->min_input, err);
            if (st == LO_OK) st = clip_bound(graph, node, 2, &p->max, &p->max_input, err);
        }
    } else {
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "no element-wise kernel for this op");
    }
    return st;
}

lo_status lo_unary_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    const int max_inputs = strcmp(node->op_type, "Clip") == 0 && node->opset >= 11 ? 3 : 1;
    if ((st = lo_check_input_count(graph, node, 1, max_inputs, err)) != LO_OK) return st;
    if ((st = lo_check_input_dtype(graph, node, 0, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    lo_unary_params params;
    if ((st = lo_unary_params_of(graph, node, &params, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &x->shape, err);
}

lo_status lo_unary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                         lo_error *err)
{
    step->kind = LO_STEP_UNARY;
    lo_unary_params *p = &step->params.unary;
    lo_status st = lo_unary_params_of(graph, node, p, err);
    if (st != LO_OK) return st;
    /* The step reads X, then each bound only known at run time; constant bounds are params. */
    int *bound_inputs[2] = {&p->min_input, &p->max_input};
    step->num_inputs = 1;
    reads[0] = node->inputs[0];
    for (int b = 0; b < 2; b++) {
        if (!*bound_inputs[b]) continue;
        reads[step->num_inputs] = node->inputs[1 + b];
        *bound_inputs[b] = step->num_inputs++;
    }
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
