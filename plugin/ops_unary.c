/* Element-wise activations on float tensors: Relu, Sigmoid, Tanh, LeakyRelu, Clip. Their
 * parameters (LeakyRelu's alpha, Clip's bounds) are resolved here, at plan time. */
#include "ops.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "op_util.h"

/* Reads the op's activation and its parameters from attributes and constant inputs. */
static lo_status unary_params(const lo_graph *graph, const lo_node *node, lo_unary_params *p,
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
            /* Optional scalar inputs, known at plan time; absent means unbounded. */
            p->min = -INFINITY;
            p->max = INFINITY;
            if (lo_node_input(graph, node, 1)) st = lo_const_input_float(graph, node, 1, &p->min, err);
            if (st == LO_OK && lo_node_input(graph, node, 2))
                st = lo_const_input_float(graph, node, 2, &p->max, err);
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
    if ((st = unary_params(graph, node, &params, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &x->shape, err);
}

lo_status lo_unary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, lo_error *err)
{
    step->kind = LO_STEP_UNARY;
    lo_status st = unary_params(graph, node, &step->params.unary, err);
    if (st != LO_OK) return st;
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
