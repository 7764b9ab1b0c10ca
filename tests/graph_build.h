/* Building small graphs in tests, straight in the IR: a failed call is a failed check. */
#ifndef LO_TEST_GRAPH_BUILD_H
#define LO_TEST_GRAPH_BUILD_H

#include "ir.h"
#include "test_util.h"

static lo_error build_err;

static inline int add_tensor(lo_graph *g, const char *name, lo_dtype dtype, lo_shape shape,
                             lo_tensor_role role)
{
    int index = -1;
    CHECK_OK(lo_graph_add_tensor(g, name, dtype, &shape, role, &index, &build_err), &build_err);
    return index;
}

static inline int add_const_ints(lo_graph *g, const char *name, const int64_t *values, int count)
{
    int t = add_tensor(g, name, LO_DTYPE_INT64, (lo_shape){1, {count}}, LO_TENSOR_CONSTANT);
    CHECK_OK(lo_tensor_set_data(g, t, values, (size_t)count * 8, &build_err), &build_err);
    return t;
}

static inline int add_const_floats(lo_graph *g, const char *name, lo_shape shape,
                                   const float *values)
{
    int t = add_tensor(g, name, LO_DTYPE_FLOAT, shape, LO_TENSOR_CONSTANT);
    CHECK_OK(lo_tensor_set_data(g, t, values, (size_t)lo_shape_numel(&shape) * sizeof(float),
                                &build_err),
             &build_err);
    return t;
}

/* A node named after its op (first of its kind) at opset 13 writing tensor `out`. */
static inline int add_node(lo_graph *g, const char *op, const int *in, int nin, int out,
                           const lo_attr *attrs, int nattrs)
{
    int index = -1;
    CHECK_OK(
        lo_graph_add_node(g, op, op, "", 13, in, nin, &out, 1, attrs, nattrs, &index, &build_err),
        &build_err);
    g->tensors[out].producer = index;
    return index;
}

static inline int add_activation(lo_graph *g, const char *name)
{
    return add_tensor(g, name, LO_DTYPE_FLOAT, (lo_shape){0, {0}}, LO_TENSOR_ACTIVATION);
}

static inline void mark_output(lo_graph *g, int t)
{
    CHECK_OK(lo_graph_add_output(g, t, &build_err), &build_err);
    g->tensors[t].is_graph_output = true;
}

#endif
