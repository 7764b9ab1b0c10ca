/* MaxPool: 2-D max pooling over NCHW input with pads, strides, dilations, ceil_mode and
 * auto_pad. Only the values output is computed; Indices is rejected when used. */
#include "ops.h"

#include "op_util.h"

static lo_status maxpool_window(const lo_graph *graph, const lo_node *node, lo_window *window,
                                lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 0, 4, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if (x->dtype != LO_DTYPE_FLOAT && x->dtype != LO_DTYPE_UINT8)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input '%s' is %s; float and uint8 are supported", x->name,
                            lo_dtype_name(x->dtype));
    if ((st = lo_check_output_unused(graph, node, 1, "Indices", err)) != LO_OK) return st;
    int64_t storage_order = 0;
    if ((st = lo_attr_get_int(graph, node, "storage_order", 0, &storage_order, err)) != LO_OK)
        return st;
    size_t count = 0;
    int64_t kernel[2];
    if ((st = lo_attr_get_ints(graph, node, "kernel_shape", kernel, 2, &count, err)) != LO_OK)
        return st;
    if (count != 2 || kernel[0] < 1 || kernel[1] < 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'kernel_shape' must hold 2 positive values for 2-D");
    if ((st = lo_window_resolve(graph, node, &x->shape, kernel, true, window, err)) != LO_OK)
        return st;
    /* A window lying wholly in padding would have no maximum; ONNX requires pads below the
     * kernel's reach so that none does. */
    for (int a = 0; a < 2; a++) {
        int64_t span = (window->kernel[a] - 1) * window->dilation[a] + 1;
        if (window->pad_begin[a] >= span || window->pad_end[a] >= span)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "attribute 'pads' (%lld, %lld on axis %d) must be smaller than "
                                "the kernel's reach %lld",
                                (long long)window->pad_begin[a], (long long)window->pad_end[a],
                                2 + a, (long long)span);
    }
    return LO_OK;
}

lo_status lo_maxpool_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_window window;
    lo_status st = maxpool_window(graph, node, &window, err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_shape y = {4, {x->shape.dims[0], x->shape.dims[1], window.out[0], window.out[1]}};
    return lo_set_output(graph, node, 0, x->dtype, &y, err);
}

lo_status lo_maxpool_lower(const lo_graph *graph, const lo_node *node, lo_step *step, lo_error *err)
{
    lo_window window;
    lo_status st = maxpool_window(graph, node, &window, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_MAXPOOL;
    lo_window_to_pool(&window, &step->params.pool);
    lo_step_label(step, "MaxPool", LO_ACT_NONE);
    return LO_OK;
}
