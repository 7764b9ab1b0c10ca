/* Ops whose output is their input's data under another shape: Reshape, Flatten, Squeeze,
 * Unsqueeze, and Identity and Dropout (inference) which keep the shape. No kernel runs for
 * them: the scheduler makes the output a view of the input's storage, and on constants the
 * output is folded to a copy of the input. */
#include "ops.h"

#include <string.h>

#include "checked_math.h"
#include "op_util.h"

static lo_status set_view_output(lo_graph *graph, lo_node *node, const lo_shape *shape,
                                 lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if (lo_shape_numel(shape) != lo_shape_numel(&x->shape)) {
        char a[128], b[128];
        return lo_node_fail(
            graph, node, LO_ERR_MODEL, err, "cannot view input '%s' of shape %s as shape %s",
            x->name, lo_shape_format(&x->shape, a, sizeof a), lo_shape_format(shape, b, sizeof b));
    }
    return lo_set_output(graph, node, 0, x->dtype, shape, err);
}

lo_status lo_view_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    return lo_tensor_set_data(graph, node->outputs[0], x->data, x->data_bytes, err);
}

lo_status lo_reshape_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    int64_t target[LO_MAX_RANK];
    size_t count = 0;
    if (node->opset < 5) {
        if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
        if ((st = lo_attr_get_ints(graph, node, "shape", target, LO_MAX_RANK, &count, err)) !=
            LO_OK)
            return st;
    } else {
        if ((st = lo_check_input_count(graph, node, 2, 2, err)) != LO_OK) return st;
        if ((st = lo_const_input_ints(graph, node, 1, target, LO_MAX_RANK, &count, err)) != LO_OK)
            return st;
    }
    int64_t allow_zero = 0;
    if ((st = lo_attr_get_int(graph, node, "allowzero", 0, &allow_zero, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_shape shape = {(int)count, {0}};
    int infer_axis = -1;
    int64_t known = 1;
    for (size_t d = 0; d < count; d++) {
        int64_t v = target[d];
        if (v == 0 && !allow_zero) {
            if ((int)d >= x->shape.rank)
                return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                    "shape entry %zu is 0 (copy) but the input has rank %d", d,
                                    x->shape.rank);
            v = x->shape.dims[d];
        }
        if (v == -1) {
            if (infer_axis >= 0)
                return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                    "shape has more than one -1 entry");
            infer_axis = (int)d;
            v = 1;
        } else if (v < 0) {
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "shape entry %zu is %lld", d,
                                (long long)v);
        }
        shape.dims[d] = v;
        if (!lo_mul_i64(known, v, &known))
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "shape entries multiply past 64 bits at entry %zu (%lld)", d,
                                (long long)v);
    }
    if (infer_axis >= 0) {
        int64_t total = lo_shape_numel(&x->shape);
        if (known == 0 || total % known != 0) {
            char buf[128];
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "cannot infer the -1 entry: input '%s' of shape %s does not split "
                                "into blocks of %lld",
                                x->name, lo_shape_format(&x->shape, buf, sizeof buf),
                                (long long)known);
        }
        shape.dims[infer_axis] = total / known;
    }
    return set_view_output(graph, node, &shape, err);
}

lo_status lo_flatten_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    int64_t axis_attr = 1;
    if ((st = lo_attr_get_int(graph, node, "axis", 1, &axis_attr, err)) != LO_OK) return st;
    if (node->opset < 11 && axis_attr < 0)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'axis' is negative, which needs opset 11");
    int axis;
    if ((st = lo_normalize_axis(graph, node, "attribute 'axis'", axis_attr, x->shape.rank, true,
                                &axis, err)) != LO_OK)
        return st;
    lo_shape shape = {2, {1, 1}};
    for (int d = 0; d < x->shape.rank; d++)
        shape.dims[d < axis ? 0 : 1] *= x->shape.dims[d];
    return set_view_output(graph, node, &shape, err);
}

/* Squeeze and Unsqueeze take their axes from an attribute before opset 13, an input after. */
static lo_status read_axes(const lo_graph *graph, const lo_node *node, int64_t *axes, size_t *count,
                           lo_error *err)
{
    *count = 0;
    if (node->opset < 13) {
        lo_status st = lo_attr_get_ints(graph, node, "axes", axes, LO_MAX_RANK, count, err);
        /* Negative axes arrived with opset 11. */
        for (size_t i = 0; st == LO_OK && node->opset < 11 && i < *count; i++)
            if (axes[i] < 0)
                return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                    "attribute 'axes' has a negative value %lld, which needs "
                                    "opset 11",
                                    (long long)axes[i]);
        return st;
    }
    if (!lo_node_input(graph, node, 1)) return LO_OK;
    return lo_const_input_ints(graph, node, 1, axes, LO_MAX_RANK, count, err);
}

lo_status lo_squeeze_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, node->opset < 13 ? 1 : 2, err)) != LO_OK)
        return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    int64_t axes[LO_MAX_RANK];
    size_t count;
    if ((st = read_axes(graph, node, axes, &count, err)) != LO_OK) return st;
    bool drop[LO_MAX_RANK] = {false};
    for (size_t i = 0; i < count; i++) {
        int axis;
        if ((st = lo_normalize_axis(graph, node, "axes", axes[i], x->shape.rank, false, &axis,
                                    err)) != LO_OK)
            return st;
        if (x->shape.dims[axis] != 1)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "cannot squeeze axis %d of size %lld", axis,
                                (long long)x->shape.dims[axis]);
        drop[axis] = true;
    }
    lo_shape shape = {0, {0}};
    for (int d = 0; d < x->shape.rank; d++) {
        bool squeeze = count ? drop[d] : x->shape.dims[d] == 1;
        if (!squeeze) shape.dims[shape.rank++] = x->shape.dims[d];
    }
    return set_view_output(graph, node, &shape, err);
}

lo_status lo_unsqueeze_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, node->opset < 13 ? 1 : 2, err)) != LO_OK)
        return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    int64_t axes[LO_MAX_RANK];
    size_t count;
    if ((st = read_axes(graph, node, axes, &count, err)) != LO_OK) return st;
    int rank = x->shape.rank + (int)count;
    if (count == 0 || rank > LO_MAX_RANK)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "needs 1 to %d axes for an input of rank %d",
                            LO_MAX_RANK - x->shape.rank, x->shape.rank);
    bool insert[LO_MAX_RANK] = {false};
    for (size_t i = 0; i < count; i++) {
        int axis;
        if ((st = lo_normalize_axis(graph, node, "axes", axes[i], rank, false, &axis, err)) !=
            LO_OK)
            return st;
        if (insert[axis])
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "axis %d is given twice", axis);
        insert[axis] = true;
    }
    lo_shape shape = {rank, {0}};
    for (int d = 0, from = 0; d < rank; d++)
        shape.dims[d] = insert[d] ? 1 : x->shape.dims[from++];
    return set_view_output(graph, node, &shape, err);
}

lo_status lo_identity_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    return set_view_output(graph, node, &lo_node_input(graph, node, 0)->shape, err);
}

lo_status lo_dropout_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, node->opset < 12 ? 1 : 3, err)) != LO_OK)
        return st;
    if ((st = lo_check_output_unused(graph, node, 1, "mask", err)) != LO_OK) return st;
    /* From opset 12 training_mode is an input; inference needs it absent or false. */
    const lo_tensor *training = lo_node_input(graph, node, 2);
    if (training) {
        bool known_false = training->role == LO_TENSOR_CONSTANT && training->data_bytes >= 1 &&
                           ((const unsigned char *)training->data)[0] == 0;
        if (!known_false)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "input 'training_mode' ('%s') must be a constant false for "
                                "inference",
                                training->name);
    }
    return set_view_output(graph, node, &lo_node_input(graph, node, 0)->shape, err);
}

lo_status lo_internal_view_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st = lo_check_input_count(graph, node, 1, 1, err);
    if (st != LO_OK) return st;
    return set_view_output(graph, node, &lo_node_output(graph, node, 0)->shape, err);
}
