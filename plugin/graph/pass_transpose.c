/* Transposes converters put around every convolution (tf2onnx turns NHWC into NCHW and back):
 * a pair whose permutations cancel moves nothing, and a Transpose that only moves dims of
 * size 1 (an NHWC gray image to NCHW) keeps the data order. Both become views, which cost
 * neither a kernel nor memory. Other Transposes stay kernels. */
#include <string.h>

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
        if (moves_only_unit_dims(&x->shape, perm)) st = make_view(graph, n, node->inputs[0], err);
        if (st != LO_OK) return st;
    }
    return LO_OK;
}
