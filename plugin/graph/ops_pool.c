/* Pooling over NCHW input: MaxPool and AveragePool (2-D, with pads, strides, dilations,
 * ceil_mode and auto_pad), and GlobalMaxPool and GlobalAveragePool as windows covering the
 * whole image. Only MaxPool's values output is computed; Indices is rejected when used. */
#include "ops.h"

#include <string.h>

#include "op_util.h"

/* Checks input X (float, or uint8 when allow_uint8) of rank 4. */
static lo_status pool_input(const lo_graph *graph, const lo_node *node, bool allow_uint8,
                            lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 0, 4, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if (x->dtype != LO_DTYPE_FLOAT && (!allow_uint8 || x->dtype != LO_DTYPE_UINT8))
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "input '%s' is %s; %s supported",
                            x->name, lo_dtype_name(x->dtype),
                            allow_uint8 ? "float and uint8 are" : "only float is");
    return LO_OK;
}

/* The window of MaxPool and AveragePool from their attributes. */
static lo_status pool_window(const lo_graph *graph, const lo_node *node, bool allow_uint8,
                             lo_window *window, lo_error *err)
{
    lo_status st;
    if ((st = pool_input(graph, node, allow_uint8, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    size_t count = 0;
    int64_t kernel[2];
    if ((st = lo_attr_get_ints(graph, node, "kernel_shape", kernel, 2, &count, err)) != LO_OK)
        return st;
    if (count != 2 || kernel[0] < 1 || kernel[1] < 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'kernel_shape' must hold 2 positive values for 2-D");
    if ((st = lo_window_resolve(graph, node, &x->shape, kernel, true, window, err)) != LO_OK)
        return st;
    /* A window lying wholly in padding would have no maximum (nor an input pixel to average).
     * Exporters emulating ceil_mode before opset 10 pad past the kernel's reach, so check
     * the windows themselves rather than the pads. */
    for (int a = 0; a < 2; a++) {
        int64_t empty = lo_window_first_empty(window, a, x->shape.dims[2 + a]);
        if (empty == LO_WINDOW_TOO_MANY)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "attribute 'dilations' (%lld) exceeds the input (%lld on axis %d) "
                                "with %lld windows to check; at most %lld are supported",
                                (long long)window->dilation[a], (long long)x->shape.dims[2 + a],
                                2 + a, (long long)window->out[a], (long long)LO_WINDOW_SCAN_LIMIT);
        if (empty >= 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "attribute 'pads' (%lld, %lld on axis %d) leaves output %lld "
                                "with a window wholly in the padding",
                                (long long)window->pad_begin[a], (long long)window->pad_end[a],
                                2 + a, (long long)empty);
    }
    return LO_OK;
}

static lo_status maxpool_window(const lo_graph *graph, const lo_node *node, lo_window *window,
                                lo_error *err)
{
    lo_status st;
    if ((st = lo_check_output_unused(graph, node, 1, "Indices", err)) != LO_OK) return st;
    int64_t storage_order = 0;
    if ((st = lo_attr_get_int(graph, node, "storage_order", 0, &storage_order, err)) != LO_OK)
        return st;
    return pool_window(graph, node, true, window, err);
}

static lo_status set_pool_output(lo_graph *graph, lo_node *node, const int64_t out[2],
                                 lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_shape y = {4, {x->shape.dims[0], x->shape.dims[1], out[0], out[1]}};
    return lo_set_output(graph, node, 0, x->dtype, &y, err);
}

lo_status lo_maxpool_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_window window;
    lo_status st = maxpool_window(graph, node, &window, err);
    if (st != LO_OK) return st;
    return set_pool_output(graph, node, window.out, err);
}

lo_status lo_maxpool_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_window window;
    lo_status st = maxpool_window(graph, node, &window, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_MAXPOOL;
    lo_window_to_pool(&window, &step->params.pool);
    lo_step_label(step, "MaxPool", LO_ACT_NONE);
    return LO_OK;
}

/* AveragePool: float only; count_include_pad from opset 7 (0 before). */
static lo_status avgpool_window(const lo_graph *graph, const lo_node *node, lo_window *window,
                                bool *count_include_pad, lo_error *err)
{
    int64_t include = 0;
    lo_status st = lo_attr_get_int(graph, node, "count_include_pad", 0, &include, err);
    if (st != LO_OK) return st;
    if (include != 0 && include != 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'count_include_pad' is %lld; 0 or 1 expected",
                            (long long)include);
    *count_include_pad = include != 0;
    return pool_window(graph, node, false, window, err);
}

lo_status lo_avgpool_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_window window;
    bool include;
    lo_status st = avgpool_window(graph, node, &window, &include, err);
    if (st != LO_OK) return st;
    return set_pool_output(graph, node, window.out, err);
}

lo_status lo_avgpool_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                           lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_window window;
    bool include;
    lo_status st = avgpool_window(graph, node, &window, &include, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_AVGPOOL;
    lo_window_to_pool(&window, &step->params.pool);
    step->params.pool.count_include_pad = include;
    lo_step_label(step, "AveragePool", LO_ACT_NONE);
    return LO_OK;
}

/* GlobalMaxPool (float or uint8) and GlobalAveragePool (float): one window over H x W. */
static bool is_global_max(const lo_node *node)
{
    return strcmp(node->op_type, "GlobalMaxPool") == 0;
}

lo_status lo_global_pool_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st = pool_input(graph, node, is_global_max(node), err);
    if (st != LO_OK) return st;
    const int64_t out[2] = {1, 1};
    return set_pool_output(graph, node, out, err);
}

lo_status lo_global_pool_lower(const lo_graph *graph, const lo_node *node, lo_step *step,
                               int *reads, lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_status st = pool_input(graph, node, is_global_max(node), err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_pool_params *p = &step->params.pool;
    memset(p, 0, sizeof *p);
    for (int a = 0; a < 2; a++) {
        p->kernel[a] = x->shape.dims[2 + a];
        p->stride[a] = 1;
        p->dilation[a] = 1;
    }
    step->kind = is_global_max(node) ? LO_STEP_MAXPOOL : LO_STEP_AVGPOOL;
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
