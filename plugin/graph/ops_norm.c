/* BatchNormalization in inference form: per channel (dim 1) of X [N,C,...],
 * Y = (X - mean) / sqrt(var + epsilon) * scale + B. The statistics outputs of training are
 * not computed: training_mode=1 is rejected, and so is any use of the optional outputs. Before
 * version 9, spatial=0 gives every element of X's dims past 0 its own statistics. */
#include "ops.h"

#include "op_util.h"

static lo_status batchnorm_params(const lo_graph *graph, const lo_node *node,
                                  lo_batchnorm_params *p, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 5, 5, err)) != LO_OK) return st;
    for (int i = 0; i < 5; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    int64_t training = 0, spatial = 1;
    if ((st = lo_attr_get_int(graph, node, "training_mode", 0, &training, err)) != LO_OK) return st;
    if (training)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "attribute 'training_mode' = %lld: only inference is supported",
                            (long long)training);
    static const char *const extra[] = {"mean", "var", "saved_mean", "saved_var"};
    for (int i = 1; i <= 4; i++)
        if ((st = lo_check_output_unused(graph, node, i, extra[i - 1], err)) != LO_OK) return st;
    if ((st = lo_attr_get_float(graph, node, "epsilon", 1e-5f, &p->epsilon, err)) != LO_OK)
        return st;
    if (node->opset < 9 &&
        (st = lo_attr_get_int(graph, node, "spatial", 1, &spatial, err)) != LO_OK)
        return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if (x->shape.rank < 2) {
        char buf[128];
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "X '%s' %s has no channel dim 1",
                            x->name, lo_shape_format(&x->shape, buf, sizeof buf));
    }
    /* Per channel, or per element of [C, D1, ...] when not spatial. */
    p->channels = x->shape.dims[1];
    p->inner = 1;
    for (int d = 2; d < x->shape.rank; d++)
        *(spatial ? &p->inner : &p->channels) *= x->shape.dims[d];
    for (int i = 1; i < 5; i++) {
        const lo_tensor *t = lo_node_input(graph, node, i);
        if (lo_shape_numel(&t->shape) != p->channels) {
            char buf[128];
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "input '%s' %s does not hold %lld values, one per channel", t->name,
                                lo_shape_format(&t->shape, buf, sizeof buf),
                                (long long)p->channels);
        }
    }
    return LO_OK;
}

lo_status lo_batchnorm_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_batchnorm_params params;
    lo_status st = batchnorm_params(graph, node, &params, err);
    if (st != LO_OK) return st;
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &lo_node_input(graph, node, 0)->shape,
                         err);
}

lo_status lo_batchnorm_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                             lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_status st = batchnorm_params(graph, node, &step->params.batchnorm, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_BATCHNORM;
    lo_step_label(step, "BatchNormalization", LO_ACT_NONE);
    return LO_OK;
}
