/* Element-wise activations on float tensors. */
#include "ops.h"

#include <string.h>

#include "op_util.h"

lo_status lo_unary_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    if ((st = lo_check_input_dtype(graph, node, 0, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &x->shape, err);
}

lo_status lo_unary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, lo_error *err)
{
    step->kind = LO_STEP_UNARY;
    if (strcmp(node->op_type, "Relu") == 0) {
        step->params.unary.op = LO_ACT_RELU;
    } else {
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "no element-wise kernel for this op");
    }
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
