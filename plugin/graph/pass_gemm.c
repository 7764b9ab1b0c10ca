/* MatMul of a matrix by a matrix followed by the Add of a bias is what converters (tf2onnx)
 * emit for a dense layer; as one Gemm it runs as one kernel, with its fast paths. */
#include <string.h>

#include "op_util.h"
#include "passes.h"

/* True when c broadcasts to [m, n] without growing it (Gemm's rule for C). */
static bool broadcasts_to(const lo_shape *c, int64_t m, int64_t n)
{
    if (c->rank > 2) return false;
    int64_t want[2] = {m, n};
    for (int d = 0; d < c->rank; d++) {
        int64_t have = c->dims[c->rank - 1 - d];
        if (have != 1 && have != want[1 - d]) return false;
    }
    return true;
}

lo_status lo_fuse_matmul_add(lo_graph *graph, lo_error *err)
{
    for (int n = 0; n < graph->num_nodes; n++) {
        const lo_node *matmul = &graph->nodes[n];
        if (!lo_node_is(matmul, "MatMul") || matmul->num_inputs != 2) continue;
        const lo_tensor *a = lo_node_input(graph, matmul, 0), *b = lo_node_input(graph, matmul, 1);
        const lo_tensor *y = lo_node_output(graph, matmul, 0);
        if (!a || !b || !y || a->shape.rank != 2 || b->shape.rank != 2) continue;
        int next = lo_sole_consumer(graph, matmul->outputs[0]);
        if (next < 0) continue;
        const lo_node *add = &graph->nodes[next];
        /* Add before opset 7 broadcast only when asked to, along its own rules: leave it. */
        if (!lo_node_is(add, "Add") || add->opset < 7 || add->num_inputs != 2) continue;
        int bias = add->inputs[0] == matmul->outputs[0] ? add->inputs[1] : add->inputs[0];
        const lo_tensor *c = &graph->tensors[bias];
        if (c->dtype != LO_DTYPE_FLOAT ||
            !broadcasts_to(&c->shape, y->shape.dims[0], y->shape.dims[1]))
            continue;
        int inputs[3] = {matmul->inputs[0], matmul->inputs[1], bias};
        int output = add->outputs[0];
        lo_status st = lo_node_set_inputs(graph, n, inputs, 3, err);
        /* Opset 13's Gemm: C optional and broadcast, alpha = beta = 1 by default. */
        if (st == LO_OK) st = lo_node_set_op(graph, n, "Gemm", "", 13, err);
        if (st != LO_OK) return st;
        graph->nodes[n].outputs[0] = output;
        graph->tensors[output].producer = n;
        graph->nodes[next].removed = true;
    }
    return LO_OK;
}
