/* Transposes converters put around every convolution (tf2onnx turns NHWC into NCHW and back):
 * a pair whose permutations cancel moves nothing, and a Transpose that only moves dims of
 * size 1 (an NHWC gray image to NCHW) keeps the data order. Both become views, which cost
 * neither a kernel nor memory. A Transpose back to NHWC whose output is only flattened into a
 * dense layer (Gemm or MatMul with constant weights) is folded into those weights: their rows
 * are permuted once, on the host, and the flatten reads the untransposed tensor. Other
 * Transposes stay kernels. */
#include <string.h>

#include "alloc.h"
#include "op_util.h"
#include "passes.h"

/* The permutation a Transpose node applies (reversed dims by default); false if unreadable. */
static bool read_perm(const lo_graph *graph, const lo_node *node, int rank, int *perm)
{
    int64_t values[LO_MAX_RANK];
    size_t count = 0;
    lo_error ignored;
    if (lo_attr_get_ints(graph, node, "perm", values, LO_MAX_RANK, &count, &ignored) != LO_OK)
        return false;
    if (count == 0) {
        for (int d = 0; d < rank; d++)
            perm[d] = rank - 1 - d;
        return true;
    }
    if ((int)count != rank) return false;
    for (int d = 0; d < rank; d++)
        perm[d] = (int)values[d];
    return true;
}

/* True when the dims of size other than 1 keep their relative order. */
static bool moves_only_unit_dims(const lo_shape *x, const int *perm)
{
    int last = -1;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[perm[d]] == 1) continue;
        if (perm[d] < last) return false;
        last = perm[d];
    }
    return true;
}

/* Makes node `n` an internal view of `source`: its output keeps its inferred shape, and the
 * perm attribute it keeps is not read again. */
static lo_status make_view(lo_graph *graph, int n, int source, lo_error *err)
{
    lo_status st = lo_node_set_inputs(graph, n, &source, 1, err);
    if (st == LO_OK) st = lo_node_set_op(graph, n, "View", LO_INTERNAL_DOMAIN, 1, err);
    return st;
}

/* The dense layer reading only the flattened output of Transpose `t`: a Reshape or Flatten to
 * [N, K] (the batch axis kept by the Transpose), read only as A of a Gemm without transA or
 * of a MatMul, whose B is a float constant. Its node index, else -1; *flatten the flatten's. */
static int dense_after(const lo_graph *graph, const lo_node *t, const int *perm, int *flatten)
{
    const lo_tensor *x = lo_node_input(graph, t, 0);
    *flatten = lo_sole_consumer(graph, t->outputs[0]);
    if (x->shape.rank < 2 || perm[0] != 0 || *flatten < 0) return -1;
    const lo_node *f = &graph->nodes[*flatten];
    if ((!lo_node_is(f, "Reshape") && !lo_node_is(f, "Flatten")) || f->inputs[0] != t->outputs[0])
        return -1;
    const lo_tensor *y = lo_node_output(graph, f, 0);
    const int64_t k = lo_shape_numel(&x->shape) / (x->shape.dims[0] ? x->shape.dims[0] : 1);
    if (!y || y->shape.rank != 2 || y->shape.dims[0] != x->shape.dims[0] || y->shape.dims[1] != k)
        return -1;
    const int d = lo_sole_consumer(graph, f->outputs[0]);
    if (d < 0) return -1;
    const lo_node *dense = &graph->nodes[d];
    int64_t trans_a = 0;
    lo_error ignored;
    if (lo_node_is(dense, "Gemm")) {
        if (lo_attr_get_int(graph, dense, "transA", 0, &trans_a, &ignored) != LO_OK || trans_a)
            return -1;
    } else if (!lo_node_is(dense, "MatMul")) {
        return -1;
    }
    const lo_tensor *b = lo_node_input(graph, dense, 1);
    if (dense->num_inputs < 2 || dense->inputs[0] != f->outputs[0] || !b ||
        b->role != LO_TENSOR_CONSTANT || b->dtype != LO_DTYPE_FLOAT || b->shape.rank != 2 ||
        !b->data || lo_shape_numel(&b->shape) * (int64_t)sizeof(float) > (int64_t)b->data_bytes)
        return -1;
    return d;
}

/* Folds Transpose `t` (permutation perm) into the dense layer after it: B gets a permuted copy
 * whose row k (the input's flat index past the batch axis) is B's row for the position that
 * element had after the Transpose, so the sum over K is the same; then the flatten reads the
 * Transpose's input and the Transpose dies with its last reader (lo_drop_dead_nodes). */
static lo_status fold_into_dense(lo_graph *graph, int t, const int *perm, int flatten, int dense,
                                 lo_error *err)
{
    const lo_node *node = &graph->nodes[t];
    const lo_shape xs = lo_node_input(graph, node, 0)->shape;
    const lo_node *d = &graph->nodes[dense];
    const lo_tensor *b = lo_node_input(graph, d, 1);
    int64_t trans_b = 0;
    lo_status st = LO_OK;
    if (lo_node_is(d, "Gemm")) st = lo_attr_get_int(graph, d, "transB", 0, &trans_b, err);
    if (st != LO_OK) return st;
    const lo_shape bs = b->shape;
    const int64_t k = trans_b ? bs.dims[1] : bs.dims[0], m = trans_b ? bs.dims[0] : bs.dims[1];
    if (k != lo_shape_numel(&xs) / xs.dims[0]) return LO_OK; /* the dense op reports it */
    float *permuted = lo_malloc((size_t)(k * m) * sizeof *permuted);
    if (!permuted)
        return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory folding Transpose '%s'",
                       graph->source, node->name);
    const float *src = b->data;
    /* Walk the transposed positions in order (kt), tracking each one's input index (kx). */
    int64_t at[LO_MAX_RANK] = {0}, x_stride[LO_MAX_RANK];
    x_stride[xs.rank - 1] = 1;
    for (int a = xs.rank - 2; a >= 1; a--)
        x_stride[a] = x_stride[a + 1] * xs.dims[a + 1];
    for (int64_t kt = 0; kt < k; kt++) {
        int64_t kx = 0;
        for (int a = 1; a < xs.rank; a++)
            kx += at[a] * x_stride[perm[a]];
        for (int64_t j = 0; j < m; j++) {
            if (trans_b)
                permuted[j * k + kx] = src[j * k + kt];
            else
                permuted[kx * m + j] = src[kt * m + j];
        }
        for (int a = xs.rank - 1; a >= 1; a--) { /* the next position, last axis fastest */
            if (++at[a] < xs.dims[perm[a]]) break;
            at[a] = 0;
        }
    }
    int index = -1;
    st = lo_graph_add_tensor(graph, NULL, LO_DTYPE_FLOAT, &bs, LO_TENSOR_CONSTANT, &index, err);
    if (st == LO_OK)
        st = lo_tensor_set_data(graph, index, permuted, (size_t)(k * m) * sizeof *permuted, err);
    lo_free(permuted);
    if (st != LO_OK) return st;
    /* The node arrays did not move: adding a tensor touches the tensor array only. */
    graph->nodes[dense].inputs[1] = index;
    graph->nodes[flatten].inputs[0] = graph->nodes[t].inputs[0];
    return LO_OK;
}

lo_status lo_simplify_transposes(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *node = &graph->nodes[n];
        if (!lo_node_is(node, "Transpose")) continue;
        const lo_tensor *x = lo_node_input(graph, node, 0);
        int perm[LO_MAX_RANK];
        if (!x || !read_perm(graph, node, x->shape.rank, perm)) continue;
        lo_status st = LO_OK;
        const lo_node *before = x->producer >= 0 ? &graph->nodes[x->producer] : NULL;
        int inner[LO_MAX_RANK];
        if (before && lo_node_is(before, "Transpose") &&
            read_perm(graph, before, x->shape.rank, inner)) {
            bool cancels = true;
            for (int d = 0; d < x->shape.rank && cancels; d++)
                cancels = inner[perm[d]] == d;
            if (cancels) {
                /* The first Transpose dies with its last reader (lo_drop_dead_nodes). */
                st = make_view(graph, n, before->inputs[0], err);
                if (st != LO_OK) return st;
                continue;
            }
        }
        int flatten = -1, dense = -1;
        if (moves_only_unit_dims(&x->shape, perm))
            st = make_view(graph, n, node->inputs[0], err);
        else if ((dense = dense_after(graph, node, perm, &flatten)) >= 0)
            st = fold_into_dense(graph, n, perm, flatten, dense, err);
        if (st != LO_OK) return st;
    }
    return LO_OK;
}
