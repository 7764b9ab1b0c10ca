#include "op_util.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

#include "checked_math.h"

lo_tensor *lo_node_input(const lo_graph *graph, const lo_node *node, int i)
{
    if (i < 0 || i >= node->num_inputs || node->inputs[i] < 0) return NULL;
    return &graph->tensors[node->inputs[i]];
}

lo_tensor *lo_node_output(const lo_graph *graph, const lo_node *node, int i)
{
    if (i < 0 || i >= node->num_outputs || node->outputs[i] < 0) return NULL;
    return &graph->tensors[node->outputs[i]];
}

lo_status lo_check_input_count(const lo_graph *graph, const lo_node *node, int min, int max,
                               lo_error *err)
{
    if (node->num_inputs < min || node->num_inputs > max) {
        if (min == max)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "has %d inputs, expected %d",
                                node->num_inputs, min);
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "has %d inputs, expected %d to %d",
                            node->num_inputs, min, max);
    }
    for (int i = 0; i < min; i++)
        if (node->inputs[i] < 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err, "required input %d is missing", i);
    return LO_OK;
}

lo_status lo_check_input_dtype(const lo_graph *graph, const lo_node *node, int i, lo_dtype dtype,
                               lo_error *err)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t || t->dtype == dtype) return LO_OK;
    return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                        "input '%s' is %s; only %s is supported", t->name, lo_dtype_name(t->dtype),
                        lo_dtype_name(dtype));
}

lo_status lo_check_input_rank(const lo_graph *graph, const lo_node *node, int i, int rank,
                              lo_error *err)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t) return lo_node_fail(graph, node, LO_ERR_MODEL, err, "input %d is missing", i);
    if (t->shape.rank != rank) {
        char buf[128];
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input '%s' has shape %s; rank %d is required", t->name,
                            lo_shape_format(&t->shape, buf, sizeof buf), rank);
    }
    return LO_OK;
}

lo_status lo_check_output_unused(const lo_graph *graph, const lo_node *node, int i,
                                 const char *what, lo_error *err)
{
    const lo_tensor *t = lo_node_output(graph, node, i);
    if (!t || lo_graph_use_count(graph, node->outputs[i]) == 0) return LO_OK;
    return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                        "output '%s' (%s) is used, and computing it is not supported", t->name,
                        what);
}

lo_status lo_set_output(lo_graph *graph, lo_node *node, int i, lo_dtype dtype,
                        const lo_shape *shape, lo_error *err)
{
    lo_tensor *t = lo_node_output(graph, node, i);
    if (!t) return LO_OK;
    for (int d = 0; d < shape->rank; d++)
        if (shape->dims[d] < 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "output '%s' would have a negative dimension %d", t->name, d);
    if (lo_shape_numel(shape) < 0)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "output '%s' is too large", t->name);
    lo_status st = lo_check_shape_limits(graph, t->name, shape, err);
    if (st != LO_OK) return st;
    t->dtype = dtype;
    t->shape = *shape;
    return LO_OK;
}

lo_status lo_normalize_axis(const lo_graph *graph, const lo_node *node, const char *what,
                            int64_t axis, int rank, bool allow_end, int *out, lo_error *err)
{
    /* Negative axes count from the end; allow_end admits `rank` itself (Flatten's range). */
    int64_t upper = allow_end ? rank : rank - 1;
    if (axis < -(int64_t)rank || axis > upper)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "%s %lld is out of range for rank %d",
                            what, (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return LO_OK;
}

lo_status lo_const_input_ints(const lo_graph *graph, const lo_node *node, int i, int64_t *values,
                              size_t capacity, size_t *count, lo_error *err)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t) return lo_node_fail(graph, node, LO_ERR_MODEL, err, "input %d is missing", i);
    if (t->role != LO_TENSOR_CONSTANT)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input '%s' is only known at run time; it must be a constant or "
                            "computable from shapes at plan time",
                            t->name);
    if (t->dtype != LO_DTYPE_INT64 && t->dtype != LO_DTYPE_INT32)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "input '%s' is %s, not an integer",
                            t->name, lo_dtype_name(t->dtype));
    int64_t n = lo_shape_numel(&t->shape);
    if (n < 0 || (size_t)n > capacity)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input '%s' holds %lld values, more than %zu", t->name, (long long)n,
                            capacity);
    for (int64_t k = 0; k < n; k++) {
        if (t->dtype == LO_DTYPE_INT64) {
            int64_t v;
            memcpy(&v, (const char *)t->data + k * 8, 8);
            values[k] = v;
        } else {
            int32_t v;
            memcpy(&v, (const char *)t->data + k * 4, 4);
            values[k] = v;
        }
    }
    *count = (size_t)n;
    return LO_OK;
}

lo_status lo_const_input_float(const lo_graph *graph, const lo_node *node, int i, float *value,
                               lo_error *err)
{
    const lo_tensor *t = lo_node_input(graph, node, i);
    if (!t) return lo_node_fail(graph, node, LO_ERR_MODEL, err, "input %d is missing", i);
    if (t->role != LO_TENSOR_CONSTANT)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "input '%s' is only known at run time; it must be a constant", t->name);
    if (t->dtype != LO_DTYPE_FLOAT || lo_shape_numel(&t->shape) != 1) {
        char buf[128];
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "input '%s' is %s of shape %s, not one float", t->name,
                            lo_dtype_name(t->dtype), lo_shape_format(&t->shape, buf, sizeof buf));
    }
    memcpy(value, t->data, sizeof *value);
    return LO_OK;
}

bool lo_shape_broadcast(const lo_shape *a, const lo_shape *b, lo_shape *out)
{
    const int rank = a->rank > b->rank ? a->rank : b->rank;
    memset(out, 0, sizeof *out);
    out->rank = rank;
    for (int d = 0; d < rank; d++) {
        /* Right-aligned: a missing leading dim counts as 1. */
        const int da = d - (rank - a->rank), db = d - (rank - b->rank);
        const int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
        if (x != y && x != 1 && y != 1) return false;
        out->dims[d] = x == 1 ? y : x;
    }
    return true;
}

void lo_broadcast_strides(const lo_shape *in, const lo_shape *out, int align_at,
                          int64_t strides[LO_MAX_RANK])
{
    int64_t step = 1;
    for (int d = LO_MAX_RANK - 1; d >= 0; d--)
        strides[d] = 0;
    for (int d = in->rank - 1; d >= 0; d--) {
        const int o = d + align_at;
        if (o >= 0 && o < out->rank && in->dims[d] != 1) strides[o] = step;
        step *= in->dims[d];
    }
}

bool lo_node_inputs_constant(const lo_graph *graph, const lo_node *node)
{
    for (int i = 0; i < node->num_inputs; i++) {
        const lo_tensor *t = lo_node_input(graph, node, i);
        if (t && t->role != LO_TENSOR_CONSTANT) return false;
    }
    return true;
}

/* Reads a 2-entry ints attribute (defaulting to `fallback` on both axes) and checks each
 * value is at least `min`. */
static lo_status read_pair(const lo_graph *graph, const lo_node *node, const char *name,
                           int64_t fallback, int64_t min, int64_t out[2], lo_error *err)
{
    size_t count = 0;
    int64_t values[2];
    lo_status st = lo_attr_get_ints(graph, node, name, values, 2, &count, err);
    if (st != LO_OK) return st;
    if (count == 0) {
        out[0] = out[1] = fallback;
        return LO_OK;
    }
    if (count != 2)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute '%s' has %zu values; 2 are needed for 2-D", name, count);
    for (int a = 0; a < 2; a++) {
        if (values[a] < min)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "attribute '%s' value %lld is below %lld", name,
                                (long long)values[a], (long long)min);
        out[a] = values[a];
    }
    return LO_OK;
}

/* Fails naming the attributes whose values do not fit 64-bit arithmetic on this axis. */
static lo_status window_overflow(const lo_graph *graph, const lo_node *node, int axis,
                                 lo_error *err)
{
    return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                        "attributes 'kernel_shape', 'strides', 'dilations' and 'pads' overflow "
                        "64-bit sizes on axis %d",
                        axis);
}

lo_status lo_window_resolve(const lo_graph *graph, const lo_node *node, const lo_shape *x,
                            const int64_t kernel[2], bool allow_ceil, lo_window *w, lo_error *err)
{
    memset(w, 0, sizeof *w);
    lo_status st;
    if ((st = read_pair(graph, node, "strides", 1, 1, w->stride, err)) != LO_OK) return st;
    if ((st = read_pair(graph, node, "dilations", 1, 1, w->dilation, err)) != LO_OK) return st;
    w->kernel[0] = kernel[0];
    w->kernel[1] = kernel[1];

    size_t pad_count = 0;
    int64_t pads[4] = {0, 0, 0, 0};
    if ((st = lo_attr_get_ints(graph, node, "pads", pads, 4, &pad_count, err)) != LO_OK) return st;
    if (pad_count != 0 && pad_count != 4)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'pads' has %zu values; 4 are needed for 2-D", pad_count);
    for (int a = 0; a < 4; a++)
        if (pads[a] < 0)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "attribute 'pads' has a negative value %lld", (long long)pads[a]);

    const char *auto_pad = NULL;
    if ((st = lo_attr_get_string(graph, node, "auto_pad", "NOTSET", &auto_pad, err)) != LO_OK)
        return st;
    int64_t ceil_mode = 0;
    if (allow_ceil && (st = lo_attr_get_int(graph, node, "ceil_mode", 0, &ceil_mode, err)) != LO_OK)
        return st;
    if (ceil_mode != 0 && ceil_mode != 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'ceil_mode' is %lld; 0 or 1 expected", (long long)ceil_mode);

    bool same_upper = strcmp(auto_pad, "SAME_UPPER") == 0;
    bool same_lower = strcmp(auto_pad, "SAME_LOWER") == 0;
    bool valid = strcmp(auto_pad, "VALID") == 0;
    if (!same_upper && !same_lower && !valid && strcmp(auto_pad, "NOTSET") != 0)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "attribute 'auto_pad' has unknown value '%s'", auto_pad);

    for (int a = 0; a < 2; a++) {
        const int64_t in = x->dims[2 + a], s = w->stride[a];
        int64_t span; /* the dilated kernel: (kernel - 1) * dilation + 1 */
        if (!lo_mul_i64(w->kernel[a] - 1, w->dilation[a], &span) || !lo_add_i64(span, 1, &span))
            return window_overflow(graph, node, 2 + a, err);
        if (same_upper || same_lower) {
            /* Output covers ceil(in / stride); the padding needed is split, the odd pixel
             * going after (SAME_UPPER) or before (SAME_LOWER). */
            w->out[a] = lo_ceil_div_i64(in, s);
            int64_t total;
            if (!lo_mul_i64(w->out[a] - 1, s, &total) || !lo_add_i64(total, span, &total) ||
                !lo_sub_i64(total, in, &total))
                return window_overflow(graph, node, 2 + a, err);
            if (total < 0) total = 0;
            w->pad_begin[a] = same_upper ? total / 2 : total - total / 2;
            w->pad_end[a] = total - w->pad_begin[a];
        } else {
            if (!valid) {
                w->pad_begin[a] = pads[a];
                w->pad_end[a] = pads[a + 2];
            }
            int64_t padded, room;
            if (!lo_add_i64(in, w->pad_begin[a], &padded) ||
                !lo_add_i64(padded, w->pad_end[a], &padded) || !lo_sub_i64(padded, span, &room))
                return window_overflow(graph, node, 2 + a, err);
            if (room < 0)
                return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                    "the window (%lld after dilation) is larger than the padded "
                                    "input (%lld) on axis %d",
                                    (long long)span, (long long)padded, 2 + a);
            /* room >= 0 and s >= 1, so the quotients are at most INT64_MAX; only + 1 can
             * overflow. */
            int64_t windows = ceil_mode ? lo_ceil_div_i64(room, s) : room / s;
            if (!lo_add_i64(windows, 1, &w->out[a]))
                return window_overflow(graph, node, 2 + a, err);
            /* The last window must start inside the input or its leading padding. */
            int64_t last_start, limit;
            if (ceil_mode && (!lo_mul_i64(w->out[a] - 1, s, &last_start) ||
                              !lo_add_i64(in, w->pad_begin[a], &limit) || last_start >= limit))
                w->out[a]--;
        }
        if (w->out[a] < 1)
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "output size on axis %d would be %lld", 2 + a,
                                (long long)w->out[a]);
    }
    return LO_OK;
}

/* True when a window starting at `start` with `kernel` taps `dilation` apart reads a pixel
 * of [0, in). */
static bool window_reads_input(int64_t start, int64_t kernel, int64_t dilation, int64_t in)
{
    if (start >= in) return false;
    if (start >= 0) return true;
    /* The first tap at or past 0: start + k * dilation with k = ceil(-start / dilation). */
    int64_t distance, k, pos;
    if (!lo_neg_i64(start, &distance)) return false;
    k = lo_ceil_div_i64(distance, dilation);
    if (k > kernel - 1 || !lo_mul_i64(k, dilation, &pos) || !lo_add_i64(pos, start, &pos))
        return false;
    return pos < in;
}

/* The start of window o, or false when it does not fit 64 bits. */
static bool window_start(const lo_window *w, int axis, int64_t o, int64_t *start)
{
    return lo_mul_i64(o, w->stride[axis], start) && lo_sub_i64(*start, w->pad_begin[axis], start);
}

int64_t lo_window_first_empty(const lo_window *w, int axis, int64_t in)
{
    const int64_t out = w->out[axis], kernel = w->kernel[axis], dilation = w->dilation[axis];
    int64_t start;
    if (!window_start(w, axis, 0, &start) || !window_reads_input(start, kernel, dilation, in))
        return 0;
    if (!window_start(w, axis, out - 1, &start) || !window_reads_input(start, kernel, dilation, in))
        return out - 1;
    /* Window starts grow with o, so every window in between begins at or before the last's
     * start (inside the input) and ends at or after the first's end (past pixel 0): its span
     * overlaps the input. Taps closer than the input's length then cannot all miss it. */
    if (kernel == 1 || dilation <= in) return -1;
    if (out > LO_WINDOW_SCAN_LIMIT) return LO_WINDOW_TOO_MANY;
    for (int64_t o = 1; o < out - 1; o++)
        if (!window_start(w, axis, o, &start) || !window_reads_input(start, kernel, dilation, in))
            return o;
    return -1;
}

/* Conv and pooling params hold the same window fields under the same names. */
static void copy_window(const lo_window *w, int64_t kernel[2], int64_t stride[2],
                        int64_t dilation[2], int64_t pad_begin[2], int64_t pad_end[2])
{
    for (int a = 0; a < 2; a++) {
        kernel[a] = w->kernel[a];
        stride[a] = w->stride[a];
        dilation[a] = w->dilation[a];
        pad_begin[a] = w->pad_begin[a];
        pad_end[a] = w->pad_end[a];
    }
}

void lo_window_to_conv(const lo_window *w, lo_conv_params *p)
{
    copy_window(w, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end);
}

void lo_window_to_pool(const lo_window *w, lo_pool_params *p)
{
    copy_window(w, p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end);
}

lo_status lo_fused_activation(const lo_graph *graph, const lo_node *node, lo_activation *out,
                              lo_activation_args *args, lo_error *err)
{
    const char *name = NULL;
    lo_status st = lo_attr_get_string(graph, node, "activation", NULL, &name, err);
    if (st != LO_OK) return st;
    *out = LO_ACT_NONE;
    memset(args, 0, sizeof *args);
    if (!name) return LO_OK;
    /* The attribute is the activation op's name (passes.c), which lo_activation_name gives;
     * LeakyRelu and Clip come with the parameters the pass recorded. */
    for (lo_activation a = LO_ACT_RELU; a <= LO_ACT_CLIP; a++) {
        if (strcmp(name, lo_activation_name(a)) != 0) continue;
        *out = a;
        if (a != LO_ACT_LEAKY_RELU && a != LO_ACT_CLIP) return LO_OK;
        st = lo_attr_get_float(graph, node, "activation_alpha", 0.0f, &args->alpha, err);
        if (st == LO_OK)
            st = lo_attr_get_float(graph, node, "activation_min", -INFINITY, &args->min, err);
        if (st == LO_OK)
            st = lo_attr_get_float(graph, node, "activation_max", INFINITY, &args->max, err);
        return st;
    }
    return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                        "attribute 'activation' = '%s' is not a known activation", name);
}

void lo_step_label(lo_step *step, const char *op, lo_activation activation)
{
    if (activation == LO_ACT_NONE)
        snprintf(step->label, sizeof step->label, "%s", op);
    else
        snprintf(step->label, sizeof step->label, "%s+%s", op, lo_activation_name(activation));
}
