/* Ops evaluated on the host at plan time: Constant, and the shape arithmetic that exporters
 * emit around Reshape (Shape -> Gather -> Unsqueeze -> Concat, with Cast and Slice). Their
 * inputs must be constants, or, for Shape, have a static shape; they never reach a backend. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checked_math.h"
#include "op_util.h"

/* ---- Constant ---- */

lo_status lo_constant_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 0, 0, err)) != LO_OK) return st;
    if (node->num_attrs != 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "needs exactly one value attribute, has %d attributes",
                            node->num_attrs);
    const lo_attr *a = &node->attrs[0];
    lo_shape shape = {0, {0}};
    lo_dtype dtype;
    if (strcmp(a->name, "value") == 0 && a->type == LO_ATTR_TENSOR && a->tensor >= 0) {
        dtype = graph->tensors[a->tensor].dtype;
        shape = graph->tensors[a->tensor].shape;
    } else if (strcmp(a->name, "value_float") == 0 && a->type == LO_ATTR_FLOAT) {
        dtype = LO_DTYPE_FLOAT;
    } else if (strcmp(a->name, "value_int") == 0 && a->type == LO_ATTR_INT) {
        dtype = LO_DTYPE_INT64;
    } else if (strcmp(a->name, "value_floats") == 0 && a->type == LO_ATTR_FLOATS) {
        dtype = LO_DTYPE_FLOAT;
        shape = (lo_shape){1, {(int64_t)a->count}};
    } else if (strcmp(a->name, "value_ints") == 0 && a->type == LO_ATTR_INTS) {
        dtype = LO_DTYPE_INT64;
        shape = (lo_shape){1, {(int64_t)a->count}};
    } else {
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "attribute '%s' is not a supported constant value", a->name);
    }
    return lo_set_output(graph, node, 0, dtype, &shape, err);
}

lo_status lo_constant_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_attr *a = &node->attrs[0];
    const void *bytes;
    size_t size;
    if (a->type == LO_ATTR_TENSOR) {
        bytes = graph->tensors[a->tensor].data;
        size = graph->tensors[a->tensor].data_bytes;
    } else if (a->type == LO_ATTR_FLOAT) {
        bytes = &a->f;
        size = sizeof a->f;
    } else if (a->type == LO_ATTR_INT) {
        bytes = &a->i;
        size = sizeof a->i;
    } else if (a->type == LO_ATTR_FLOATS) {
        bytes = a->floats;
        size = a->count * sizeof(float);
    } else {
        bytes = a->ints;
        size = a->count * sizeof(int64_t);
    }
    return lo_tensor_set_data(graph, node->outputs[0], bytes, size, err);
}

/* ---- Shape ---- */

/* The [start, end) range of dims Shape returns (attributes from opset 15). */
static lo_status shape_range(const lo_graph *graph, const lo_node *node, int rank, int *start,
                             int *end, lo_error *err)
{
    int64_t s = 0, e = rank;
    lo_status st;
    if ((st = lo_attr_get_int(graph, node, "start", 0, &s, err)) != LO_OK) return st;
    if ((st = lo_attr_get_int(graph, node, "end", rank, &e, err)) != LO_OK) return st;
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = s < 0 ? 0 : s > rank ? rank : s;
    e = e < 0 ? 0 : e > rank ? rank : e;
    *start = (int)s;
    *end = (int)(e < s ? s : e);
    return LO_OK;
}

lo_status lo_shape_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    int start, end;
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if ((st = shape_range(graph, node, x->shape.rank, &start, &end, err)) != LO_OK) return st;
    lo_shape shape = {1, {end - start}};
    return lo_set_output(graph, node, 0, LO_DTYPE_INT64, &shape, err);
}

lo_status lo_shape_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    int start, end;
    lo_status st = shape_range(graph, node, x->shape.rank, &start, &end, err);
    if (st != LO_OK) return st;
    int64_t dims[LO_MAX_RANK];
    for (int d = start; d < end; d++)
        dims[d - start] = x->shape.dims[d];
    return lo_tensor_set_data(graph, node->outputs[0], dims, (size_t)(end - start) * 8, err);
}

/* ---- Gather ---- */

/* Splits a shape around `axis` into the product of the dims before and after it. */
static void split_at_axis(const lo_shape *shape, int axis, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= shape->dims[d];
    for (int d = axis + 1; d < shape->rank; d++)
        *inner *= shape->dims[d];
}

static lo_status gather_axis(const lo_graph *graph, const lo_node *node, int *axis, lo_error *err)
{
    int64_t attr = 0;
    lo_status st = lo_attr_get_int(graph, node, "axis", 0, &attr, err);
    if (st != LO_OK) return st;
    return lo_normalize_axis(graph, node, "attribute 'axis'", attr,
                             lo_node_input(graph, node, 0)->shape.rank, false, axis, err);
}

lo_status lo_gather_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 2, 2, err)) != LO_OK) return st;
    int axis;
    if ((st = gather_axis(graph, node, &axis, err)) != LO_OK) return st;
    const lo_tensor *data = lo_node_input(graph, node, 0);
    const lo_tensor *indices = lo_node_input(graph, node, 1);
    if (indices->dtype != LO_DTYPE_INT64 && indices->dtype != LO_DTYPE_INT32)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "indices '%s' are %s, not integers",
                            indices->name, lo_dtype_name(indices->dtype));
    lo_shape shape = {0, {0}};
    if (data->shape.rank - 1 + indices->shape.rank > LO_MAX_RANK)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "output rank exceeds %d",
                            LO_MAX_RANK);
    for (int d = 0; d < axis; d++)
        shape.dims[shape.rank++] = data->shape.dims[d];
    for (int d = 0; d < indices->shape.rank; d++)
        shape.dims[shape.rank++] = indices->shape.dims[d];
    for (int d = axis + 1; d < data->shape.rank; d++)
        shape.dims[shape.rank++] = data->shape.dims[d];
    return lo_set_output(graph, node, 0, data->dtype, &shape, err);
}

lo_status lo_gather_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *data = lo_node_input(graph, node, 0);
    const lo_tensor *out = lo_node_output(graph, node, 0);
    int axis;
    lo_status st = gather_axis(graph, node, &axis, err);
    if (st != LO_OK) return st;
    int64_t count = lo_shape_numel(&lo_node_input(graph, node, 1)->shape);
    int64_t *indices = lo_malloc(((size_t)count + 1) * sizeof *indices);
    unsigned char *result =
        lo_malloc((size_t)lo_shape_numel(&out->shape) * lo_dtype_size(out->dtype) + 1);
    size_t got = 0;
    if (!indices || !result) {
        st = lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory folding Gather");
        goto done;
    }
    if ((st = lo_const_input_ints(graph, node, 1, indices, (size_t)count, &got, err)) != LO_OK)
        goto done;
    int64_t outer, inner, axis_size = data->shape.dims[axis];
    split_at_axis(&data->shape, axis, &outer, &inner);
    size_t block = (size_t)inner * lo_dtype_size(data->dtype);
    unsigned char *dst = result;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < count; i++) {
            int64_t index = indices[i] < 0 ? indices[i] + axis_size : indices[i];
            if (index < 0 || index >= axis_size) {
                st = lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                  "index %lld is out of range for axis size %lld",
                                  (long long)indices[i], (long long)axis_size);
                goto done;
            }
            memcpy(dst,
                   (const unsigned char *)data->data + ((size_t)(o * axis_size + index)) * block,
                   block);
            dst += block;
        }
    }
    st = lo_tensor_set_data(graph, node->outputs[0], result, (size_t)(dst - result), err);
done:
    lo_free(indices);
    lo_free(result);
    return st;
}

/* ---- Concat ---- */

static lo_status concat_axis(const lo_graph *graph, const lo_node *node, int *axis, lo_error *err)
{
    int64_t attr = 1; /* opset 1 defaulted to 1; from opset 4 it is required */
    lo_status st;
    if (node->opset >= 4 && !lo_node_attr(node, "axis"))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "attribute 'axis' is required");
    if ((st = lo_attr_get_int(graph, node, "axis", 1, &attr, err)) != LO_OK) return st;
    return lo_normalize_axis(graph, node, "attribute 'axis'", attr,
                             lo_node_input(graph, node, 0)->shape.rank, false, axis, err);
}

lo_status lo_concat_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 1, node->num_inputs, err)) != LO_OK) return st;
    int axis;
    if ((st = concat_axis(graph, node, &axis, err)) != LO_OK) return st;
    const lo_tensor *first = lo_node_input(graph, node, 0);
    lo_shape shape = first->shape;
    shape.dims[axis] = 0;
    for (int i = 0; i < node->num_inputs; i++) {
        const lo_tensor *t = lo_node_input(graph, node, i);
        bool same = t && t->dtype == first->dtype && t->shape.rank == first->shape.rank;
        for (int d = 0; same && d < shape.rank; d++)
            same = d == axis || t->shape.dims[d] == first->shape.dims[d];
        if (!same)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "input %d does not match input 0 in type, rank or the dims off "
                                "axis %d",
                                i, axis);
        if (!lo_add_i64(shape.dims[axis], t->shape.dims[axis], &shape.dims[axis]))
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "the inputs' sizes on axis %d add up past 64 bits", axis);
    }
    return lo_set_output(graph, node, 0, first->dtype, &shape, err);
}

lo_status lo_concat_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *out = lo_node_output(graph, node, 0);
    int axis;
    lo_status st = concat_axis(graph, node, &axis, err);
    if (st != LO_OK) return st;
    size_t elem = lo_dtype_size(out->dtype);
    size_t total = (size_t)lo_shape_numel(&out->shape) * elem;
    unsigned char *result = lo_malloc(total + 1);
    if (!result) return lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory");
    int64_t outer, inner;
    split_at_axis(&out->shape, axis, &outer, &inner);
    unsigned char *dst = result;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < node->num_inputs; i++) {
            const lo_tensor *t = lo_node_input(graph, node, i);
            size_t block = (size_t)(t->shape.dims[axis] * inner) * elem;
            memcpy(dst, (const unsigned char *)t->data + (size_t)o * block, block);
            dst += block;
        }
    }
    st = lo_tensor_set_data(graph, node->outputs[0], result, total, err);
    lo_free(result);
    return st;
}

/* Concat of run-time tensors: one step reading every input (float only). */
lo_status lo_concat_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err)
{
    (void)reads; /* reads every present input */
    int axis;
    lo_status st = concat_axis(graph, node, &axis, err);
    if (st != LO_OK) return st;
    if (node->num_inputs > LO_STEP_MAX_INPUTS)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "has %d inputs; at most %d are supported when any is only known at "
                            "run time",
                            node->num_inputs, LO_STEP_MAX_INPUTS);
    for (int i = 0; i < node->num_inputs; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    step->kind = LO_STEP_CONCAT;
    step->params.concat.axis = axis;
    lo_step_label(step, "Concat", LO_ACT_NONE);
    return LO_OK;
}

/* ---- Cast ---- */

static lo_dtype dtype_from_name(const char *name)
{
    static const struct {
        const char *name;
        lo_dtype dtype;
    } names[] = {{"FLOAT", LO_DTYPE_FLOAT}, {"DOUBLE", LO_DTYPE_DOUBLE}, {"INT64", LO_DTYPE_INT64},
                 {"INT32", LO_DTYPE_INT32}, {"INT16", LO_DTYPE_INT16},   {"INT8", LO_DTYPE_INT8},
                 {"UINT8", LO_DTYPE_UINT8}, {"UINT16", LO_DTYPE_UINT16}, {"BOOL", LO_DTYPE_BOOL}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0) return names[i].dtype;
    return LO_DTYPE_UNDEFINED;
}

static bool castable(lo_dtype t)
{
    return t == LO_DTYPE_FLOAT || t == LO_DTYPE_DOUBLE || t == LO_DTYPE_INT64 ||
           t == LO_DTYPE_INT32 || t == LO_DTYPE_INT16 || t == LO_DTYPE_INT8 ||
           t == LO_DTYPE_UINT8 || t == LO_DTYPE_UINT16 || t == LO_DTYPE_BOOL;
}

static lo_status cast_target(const lo_graph *graph, const lo_node *node, lo_dtype *to,
                             lo_error *err)
{
    lo_status st;
    const lo_attr *attr = lo_node_attr(node, "to");
    if (!attr) return lo_node_fail(graph, node, LO_ERR_MODEL, err, "attribute 'to' is missing");
    if (attr->type == LO_ATTR_STRING) { /* opset 1 named the type */
        *to = dtype_from_name(attr->s);
    } else {
        int64_t value;
        if ((st = lo_attr_get_int(graph, node, "to", 0, &value, err)) != LO_OK) return st;
        *to = (lo_dtype)value;
    }
    const lo_tensor *x = lo_node_input(graph, node, 0);
    if (!castable(*to) || !castable(x->dtype))
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "attribute 'to': casting %s to %s is not supported",
                            lo_dtype_name(x->dtype), lo_dtype_name(*to));
    return LO_OK;
}

lo_status lo_cast_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    lo_dtype to = LO_DTYPE_UNDEFINED;
    if ((st = lo_check_input_count(graph, node, 1, 1, err)) != LO_OK) return st;
    if ((st = cast_target(graph, node, &to, err)) != LO_OK) return st;
    return lo_set_output(graph, node, 0, to, &lo_node_input(graph, node, 0)->shape, err);
}

static double load_number(lo_dtype t, const unsigned char *p)
{
    switch (t) {
    case LO_DTYPE_FLOAT: {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    case LO_DTYPE_DOUBLE: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    case LO_DTYPE_INT64: {
        int64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case LO_DTYPE_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case LO_DTYPE_INT16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case LO_DTYPE_UINT16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case LO_DTYPE_INT8:
        return (int8_t)p[0];
    default:
        return p[0]; /* uint8, bool */
    }
}

static void store_number(lo_dtype t, unsigned char *p, double v)
{
    switch (t) {
    case LO_DTYPE_FLOAT: {
        float x = (float)v;
        memcpy(p, &x, 4);
        break;
    }
    case LO_DTYPE_DOUBLE:
        memcpy(p, &v, 8);
        break;
    case LO_DTYPE_INT64: {
        int64_t x = (int64_t)v;
        memcpy(p, &x, 8);
        break;
    }
    case LO_DTYPE_INT32: {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    case LO_DTYPE_INT16: {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case LO_DTYPE_UINT16: {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case LO_DTYPE_INT8:
        p[0] = (unsigned char)(int8_t)v;
        break;
    case LO_DTYPE_BOOL:
        p[0] = v != 0;
        break;
    default:
        p[0] = (unsigned char)v;
        break;
    }
}

lo_status lo_cast_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    const lo_tensor *y = lo_node_output(graph, node, 0);
    int64_t n = lo_shape_numel(&x->shape);
    size_t in_size = lo_dtype_size(x->dtype), out_size = lo_dtype_size(y->dtype);
    unsigned char *result = lo_malloc((size_t)n * out_size + 1);
    if (!result) return lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *src = (const unsigned char *)x->data + (size_t)i * in_size;
        unsigned char *dst = result + (size_t)i * out_size;
        if (x->dtype == LO_DTYPE_INT64 && y->dtype == LO_DTYPE_INT64)
            memcpy(dst, src, 8); /* no detour through double: keep every bit */
        else
            store_number(y->dtype, dst, load_number(x->dtype, src));
    }
    lo_status st = lo_tensor_set_data(graph, node->outputs[0], result, (size_t)n * out_size, err);
    lo_free(result);
    return st;
}

/* ---- Slice ---- */

typedef struct slice_plan {
    int64_t start[LO_MAX_RANK], step[LO_MAX_RANK];
    lo_shape out;
} slice_plan;

static lo_status slice_resolve(const lo_graph *graph, const lo_node *node, slice_plan *plan,
                               lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    int64_t starts[LO_MAX_RANK], ends[LO_MAX_RANK], axes[LO_MAX_RANK], steps[LO_MAX_RANK];
    size_t n_starts = 0, n_ends = 0, n_axes = 0, n_steps = 0;
    lo_status st;
    if (node->opset < 10) {
        if ((st = lo_attr_get_ints(graph, node, "starts", starts, LO_MAX_RANK, &n_starts, err)) ||
            (st = lo_attr_get_ints(graph, node, "ends", ends, LO_MAX_RANK, &n_ends, err)) ||
            (st = lo_attr_get_ints(graph, node, "axes", axes, LO_MAX_RANK, &n_axes, err)))
            return st;
    } else {
        if ((st = lo_const_input_ints(graph, node, 1, starts, LO_MAX_RANK, &n_starts, err)) ||
            (st = lo_const_input_ints(graph, node, 2, ends, LO_MAX_RANK, &n_ends, err)))
            return st;
        if (lo_node_input(graph, node, 3) &&
            (st = lo_const_input_ints(graph, node, 3, axes, LO_MAX_RANK, &n_axes, err)))
            return st;
        if (lo_node_input(graph, node, 4) &&
            (st = lo_const_input_ints(graph, node, 4, steps, LO_MAX_RANK, &n_steps, err)))
            return st;
    }
    if (n_ends != n_starts || (n_axes && n_axes != n_starts) || (n_steps && n_steps != n_starts))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "starts, ends, axes and steps differ in length");
    plan->out = x->shape;
    for (int d = 0; d < x->shape.rank; d++) {
        plan->start[d] = 0;
        plan->step[d] = 1;
    }
    for (size_t i = 0; i < n_starts; i++) {
        int axis;
        if ((st = lo_normalize_axis(graph, node, "axes", n_axes ? axes[i] : (int64_t)i,
                                    x->shape.rank, false, &axis, err)) != LO_OK)
            return st;
        int64_t dim = x->shape.dims[axis], step = n_steps ? steps[i] : 1;
        if (step == 0) return lo_node_fail(graph, node, LO_ERR_MODEL, err, "a step is 0");
        int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
        int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
        /* Clamp as the spec does: [0, dim] going forward, [-1, dim-1] going backward. */
        int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
        s = s < 0 ? 0 : s > hi ? hi : s;
        e = e < lo ? lo : e > hi ? hi : e;
        /* Clamped, |e - s| <= dim + 1 fits; only the step's magnitude needs care (INT64_MIN has
         * no positive counterpart, and any step past dim takes one element). */
        const int64_t distance = step > 0 ? e - s : s - e;
        const int64_t stride = step > 0 ? step : step == INT64_MIN ? INT64_MAX : -step;
        int64_t len = distance > 0 ? lo_ceil_div_i64(distance, stride) : 0;
        plan->start[axis] = s;
        plan->step[axis] = step;
        plan->out.dims[axis] = len > 0 ? len : 0;
    }
    return LO_OK;
}

lo_status lo_slice_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, node->opset < 10 ? 1 : 3, node->opset < 10 ? 1 : 5,
                                   err)) != LO_OK)
        return st;
    slice_plan plan;
    if ((st = slice_resolve(graph, node, &plan, err)) != LO_OK) return st;
    return lo_set_output(graph, node, 0, lo_node_input(graph, node, 0)->dtype, &plan.out, err);
}

lo_status lo_slice_fold(lo_graph *graph, lo_node *node, lo_error *err)
{
    const lo_tensor *x = lo_node_input(graph, node, 0);
    slice_plan plan;
    lo_status st = slice_resolve(graph, node, &plan, err);
    if (st != LO_OK) return st;
    size_t elem = lo_dtype_size(x->dtype);
    int64_t n = lo_shape_numel(&plan.out);
    unsigned char *result = lo_malloc((size_t)n * elem + 1);
    if (!result) return lo_node_fail(graph, node, LO_ERR_NO_MEMORY, err, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        /* Walk the output index back to the input's flat index, axis by axis. */
        int64_t rest = i, src = 0, stride = 1;
        for (int d = plan.out.rank - 1; d >= 0; d--) {
            int64_t coord = rest % plan.out.dims[d];
            rest /= plan.out.dims[d];
            src += (plan.start[d] + coord * plan.step[d]) * stride;
            stride *= x->shape.dims[d];
        }
        memcpy(result + (size_t)i * elem, (const unsigned char *)x->data + (size_t)src * elem,
               elem);
    }
    st = lo_tensor_set_data(graph, node->outputs[0], result, (size_t)n * elem, err);
    lo_free(result);
    return st;
}
