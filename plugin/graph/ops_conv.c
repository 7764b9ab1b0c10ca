/* Conv: 2-D convolution over NCHW input, with groups, strides, dilations, pads and auto_pad. */
#include "ops.h"

#include "op_util.h"

/* The kernel size: kernel_shape when given (it must match W), else W's last two dims. */
static lo_status conv_kernel(const lo_graph *graph, const lo_node *node, const lo_tensor *w,
                             int64_t kernel[2], lo_error *err)
{
    size_t count = 0;
    int64_t given[2];
    lo_status st = lo_attr_get_ints(graph, node, "kernel_shape", given, 2, &count, err);
    if (st != LO_OK) return st;
    kernel[0] = w->shape.dims[2];
    kernel[1] = w->shape.dims[3];
    if (count != 0 && (count != 2 || given[0] != kernel[0] || given[1] != kernel[1]))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'kernel_shape' does not match the weights '%s'", w->name);
    return LO_OK;
}

static lo_status conv_window(const lo_graph *graph, const lo_node *node, lo_window *window,
                             int64_t *group, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 2, 3, err)) != LO_OK) return st;
    for (int i = 0; i < 3; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 0, 4, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 1, 4, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const lo_tensor *w = lo_node_input(graph, node, 1);
    const lo_tensor *b = lo_node_input(graph, node, 2);
    if ((st = lo_attr_get_int(graph, node, "group", 1, group, err)) != LO_OK) return st;
    int64_t m = w->shape.dims[0];
    if (*group < 1 || x->shape.dims[1] % *group != 0 || m % *group != 0)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'group' = %lld does not divide the %lld input and %lld "
                            "output channels",
                            (long long)*group, (long long)x->shape.dims[1], (long long)m);
    if (w->shape.dims[1] * *group != x->shape.dims[1])
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "weights '%s' take %lld channels per group, input '%s' has %lld "
                            "channels in %lld groups",
                            w->name, (long long)w->shape.dims[1], x->name,
                            (long long)x->shape.dims[1], (long long)*group);
    if (b && (b->shape.rank != 1 || b->shape.dims[0] != m))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "bias '%s' must have shape [%lld]",
                            b->name, (long long)m);
    int64_t kernel[2];
    if ((st = conv_kernel(graph, node, w, kernel, err)) != LO_OK) return st;
    return lo_window_resolve(graph, node, &x->shape, kernel, false, window, err);
}

lo_status lo_conv_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_window window;
    int64_t group;
    lo_status st = conv_window(graph, node, &window, &group, err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const lo_tensor *w = lo_node_input(graph, node, 1);
    lo_shape y = {4, {x->shape.dims[0], w->shape.dims[0], window.out[0], window.out[1]}};
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &y, err);
}

lo_status lo_conv_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                        lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_window window;
    int64_t group;
    lo_status st = conv_window(graph, node, &window, &group, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_CONV;
    lo_window_to_conv(&window, &step->params.conv);
    step->params.conv.group = group;
    step->params.conv.has_bias = lo_node_input(graph, node, 2) != NULL;
    lo_conv_params *p = &step->params.conv;
    if ((st = lo_fused_activation(graph, node, &p->activation, &p->activation_args, err)) != LO_OK)
        return st;
    lo_step_label(step, "Conv", step->params.conv.activation);
    return LO_OK;
}
