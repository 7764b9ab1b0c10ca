/* Softmax and LogSoftmax. Before version 13 the input is coerced to 2-D at `axis` (default 1)
 * and normalised over the second dim; from 13 over the single axis `axis` (default -1). */
#include "ops.h"

#include <string.h>

#include "op_util.h"

static lo_status softmax_params(const lo_graph *graph, const lo_node *node, lo_softmax_params *p,
                                lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    if ((st = lo_check_input_dtype(graph, node, 0, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    const lo_shape *x = &lo_node_input(graph, node, 0)->shape;
    const bool coerce = node->opset < 13;
    int64_t axis_attr = 0;
    if ((st = lo_attr_get_int(graph, node, "axis", coerce ? 1 : -1, &axis_attr, err)) != LO_OK)
        return st;
    int axis = 0;
    /* The 2-D view may split after the last dim (a [N,1] matrix). */
    if ((st = lo_normalize_axis(graph, node, "attribute 'axis'", axis_attr, x->rank, coerce, &axis,
                                err)) != LO_OK)
        return st;
    memset(p, 0, sizeof *p);
    p->log = strcmp(node->op_type, "LogSoftmax") == 0;
    p->outer = p->axis_len = p->inner = 1;
    for (int d = 0; d < x->rank; d++) {
        if (d < axis)
            p->outer *= x->dims[d];
        else if (d == axis || coerce)
            p->axis_len *= x->dims[d];
        else
            p->inner *= x->dims[d];
    }
    return LO_OK;
}

lo_status lo_softmax_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_softmax_params params;
    lo_status st = softmax_params(graph, node, &params, err);
    if (st != LO_OK) return st;
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &lo_node_input(graph, node, 0)->shape,
                         err);
}

lo_status lo_softmax_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_status st = softmax_params(graph, node, &step->params.softmax, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_SOFTMAX;
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
