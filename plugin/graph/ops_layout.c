/* Ops that move data without arithmetic: Pad (constant mode) and Transpose (folded on the
 * host when its input is a constant, as exporters' shape subgraphs need). Concat lives
 * beside its fold in ops_fold.c. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checked_math.h"
#include "op_util.h"

/* ---- Pad ---- */

/* The mode attribute: only "constant" has a kernel. */
static lo_status pad_mode(const lo_graph *graph, const lo_node *node, lo_error *err)
{
    const char *mode = NULL;
    lo_status st = lo_attr_get_string(graph, node, "mode", "constant", &mode, err);
    if (st != LO_OK) return st;
    if (strcmp(mode, "constant") == 0) return LO_OK;
    if (strcmp(mode, "reflect") == 0 || strcmp(mode, "edge") == 0 || strcmp(mode, "wrap") == 0)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "attribute 'mode' = '%s' is not supported; only 'constant' is", mode);
    return lo_node_fail(graph, node, LO_ERR_MODEL, err, "attribute 'mode' has unknown value '%s'",
                        mode);
}

/* The padding value: attribute 'value' before opset 11, optional scalar input 2 after. */
static lo_status pad_value(const lo_graph *graph, const lo_node *node, float *value, lo_error *err)
{
    if (node->opset < 11) return lo_attr_get_float(graph, node, "value", 0.0f, value, err);
    *value = 0.0f;
    const lo_tensor *t = lo_node_input(graph, node, 2);
    if (!t) return LO_OK;
    if (t->role != LO_TENSOR_CONSTANT)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input 'constant_value' ('%s') is only known at run time; it must be "
                            "a constant",
                            t->name);
    if (t->dtype != LO_DTYPE_FLOAT || lo_shape_numel(&t->shape) != 1 || t->data_bytes < 4)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "input 'constant_value' ('%s') must be one float", t->name);
    memcpy(value, t->data, sizeof *value);
    return LO_OK;
}

/* Reads and checks everything Pad needs into p (begin and end pads per axis of X). */
static lo_status pad_params(const lo_graph *graph, const lo_node *node, lo_pad_params *p,
                            lo_error *err)
{
    lo_status st;
    memset(p, 0, sizeof *p);
    const int max_inputs = node->opset < 11 ? 1 : node->opset < 18 ? 3 : 4;
    if ((st = lo_check_input_count(graph, node, node->opset < 11 ? 1 : 2, max_inputs, err)) !=
        LO_OK)
        return st;
    if ((st = lo_check_input_dtype(graph, node, 0, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    if ((st = pad_mode(graph, node, err)) != LO_OK) return st;
    if ((st = pad_value(graph, node, &p->value, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const int rank = x->shape.rank;

    /* Axes the pads refer to: all, or (from opset 18) those of the optional input 3. */
    int64_t axes_in[LO_MAX_RANK];
    size_t num_axes = (size_t)rank;
    for (int d = 0; d < rank; d++)
        axes_in[d] = d;
    if (lo_node_input(graph, node, 3) &&
        (st = lo_const_input_ints(graph, node, 3, axes_in, LO_MAX_RANK, &num_axes, err)) != LO_OK)
        return st;

    int64_t pads[2 * LO_MAX_RANK];
    size_t count = 0;
    const char *what = node->opset < 2 ? "attribute 'paddings'" : "attribute 'pads'";
    if (node->opset < 11) {
        if (!lo_node_attr(node, node->opset < 2 ? "paddings" : "pads"))
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "%s is required", what);
        st = lo_attr_get_ints(graph, node, node->opset < 2 ? "paddings" : "pads", pads,
                              2 * LO_MAX_RANK, &count, err);
    } else {
        what = "input 'pads'";
        st = lo_const_input_ints(graph, node, 1, pads, 2 * LO_MAX_RANK, &count, err);
    }
    if (st != LO_OK) return st;
    if (count != 2 * num_axes)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "%s has %zu values; %zu are needed for %zu axes", what, count,
                            2 * num_axes, num_axes);
    bool seen[LO_MAX_RANK] = {false};
    for (size_t i = 0; i < num_axes; i++) {
        int axis;
        if ((st = lo_normalize_axis(graph, node, "input 'axes'", axes_in[i], rank, false, &axis,
                                    err)) != LO_OK)
            return st;
        if (seen[axis])
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "axis %d is given twice", axis);
        seen[axis] = true;
        p->pad_begin[axis] = pads[i];
        p->pad_end[axis] = pads[i + num_axes];
        int64_t padded;
        if (!lo_add_i64(x->shape.dims[axis], pads[i], &padded) ||
            !lo_add_i64(padded, pads[i + num_axes], &padded))
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "%s overflows 64-bit sizes on axis %d", what, axis);
        if (padded < 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "%s crops more than axis %d's size %lld", what, axis,
                                (long long)x->shape.dims[axis]);
    }
    return LO_OK;
}

lo_status lo_pad_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_pad_params p;
    lo_status st = pad_params(graph, node, &p, err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_shape y = x->shape;
    for (int d = 0; d < y.rank; d++) /* pad_params checked these sums, in this order */
        y.dims[d] = y.dims[d] + p.pad_begin[d] + p.pad_end[d];
    return lo_set_output(graph, node, 0, x->dtype, &y, err);
}

lo_status lo_pad_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                       lo_error *err)
{
    (void)reads;
    lo_status st = pad_params(graph, node, &step->params.pad, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_PAD;
    step->num_inputs = 1; /* reads[0], the data: pads, value and axes are in the params */
    lo_step_label(step, "Pad", LO_ACT_NONE);
    return LO_OK;
}

/* ---- Transpose ---- */

static lo_status transpose_perm(const lo_graph *graph, const lo_node *node, int perm[LO_MAX_RANK],
                                lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const int rank = x->shape.rank;
    int64_t values[LO_MAX_RANK];
    size_t count = 0;
    if ((st = lo_attr_get_ints(graph, node, "perm", values, LO_MAX_RANK, &count, err)) != LO_OK)
        return st;
    if (count == 0) { /* default: reverse the dims */
        for (int d = 0; d < rank; d++)
            values[d] = rank - 1 - d;
        count = (size_t)rank;
    }
    if (count != (size_t)rank)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'perm' has %zu values for an input of rank %d", count, rank);
    bool seen[LO_MAX_RANK] = {false};
    for (int d = 0; d < rank; d++) {
        if (values[d] < 0 || values[d] >= rank || seen[values[d]])
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "attribute 'perm' is not a permutation of 0..%d", rank - 1);
        seen[values[d]] = true;
        perm[d] = (int)values[d];
    }
    return LO_OK;
}

lo_status lo_transpose_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    int perm[LO_MAX_RANK];
    lo_status st = transpose_perm(graph, node, perm, err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    lo_shape y = x->shape;
    for (int d = 0; d < y.rank; d++)
        y.dims[d] = x->shape.dims[perm[d]];
    return lo_set_output(graph, node, 0, x->dtype, &y, err);
}

lo_status lo_transpose_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                             lo_error *err)
{
    (void)reads; /* reads every present input */
    lo_status st = lo_check_input_dtype(graph, node, 0, LO_DTYPE_FLOAT, err);
    if (st == LO_OK) st = transpose_perm(graph, node, step->params.transpose.perm, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_TRANSPOSE;
    lo_step_label(step, "Transpose", LO_ACT_NONE);
    return LO_OK;
}

lo_status lo_transpose_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    int perm[LO_MAX_RANK];
    lo_status st = transpose_perm(graph, node, perm, err);
    if (st != LO_OK) return st;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const lo_tensor *y = lo_node_output(graph, node, 0);
    const size_t elem = lo_dtype_size(x->dtype);
    const int64_t n = lo_shape_numel(&x->shape);
    const int rank = x->shape.rank;
    unsigned char *out = lo_malloc((size_t)n * elem + 1);
    if (!out) return lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory");
    /* Input strides, then each output element's source by walking its index. */
    int64_t in_stride[LO_MAX_RANK], stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        in_stride[d] = stride;
        stride *= x->shape.dims[d];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t rest = i, src = 0;
        for (int d = rank - 1; d >= 0; d--) {
            src += (rest % y->shape.dims[d]) * in_stride[perm[d]];
            rest /= y->shape.dims[d];
        }
        memcpy(out + (size_t)i * elem, (const unsigned char *)x->data + (size_t)src * elem, elem);
    }
    st = lo_tensor_set_data(graph, node->outputs[0], out, (size_t)n * elem, err);
    lo_free(out);
    return st;
}
