/* MatMul with numpy's rules: a 1-D A is [1,K] and a 1-D B is [K,1], their unit dim dropped
 * from the result; the dims before the last two broadcast. A plain 2-D product becomes a Gemm
 * step (and so gets its fast paths); the rest a batched MatMul step. */
#include "ops.h"

#include <string.h>

#include "op_util.h"

typedef struct matmul_geometry {
    int64_t m, n, k;
    lo_shape batch, a_batch, b_batch; /* the result's batch dims and each operand's */
    lo_shape out;
} matmul_geometry;

static lo_status matmul_geometry_of(const lo_graph *graph, const lo_node *node, matmul_geometry *g,
                                    lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 2, 2, err)) != LO_OK) return st;
    for (int i = 0; i < 2; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    const lo_shape *as = &a->shape, *bs = &b->shape;
    char abuf[128], bbuf[128];
    if (as->rank < 1 || bs->rank < 1)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err, "A %s and B %s must not be scalars",
                            lo_shape_format(as, abuf, sizeof abuf),
                            lo_shape_format(bs, bbuf, sizeof bbuf));
    memset(g, 0, sizeof *g);
    g->m = as->rank == 1 ? 1 : as->dims[as->rank - 2];
    g->k = as->dims[as->rank - 1];
    const int64_t kb = bs->rank == 1 ? bs->dims[0] : bs->dims[bs->rank - 2];
    g->n = bs->rank == 1 ? 1 : bs->dims[bs->rank - 1];
    if (kb != g->k)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "inner dimensions differ: A '%s' %s, B '%s' %s", a->name,
                            lo_shape_format(as, abuf, sizeof abuf), b->name,
                            lo_shape_format(bs, bbuf, sizeof bbuf));
    g->a_batch.rank = as->rank > 2 ? as->rank - 2 : 0;
    g->b_batch.rank = bs->rank > 2 ? bs->rank - 2 : 0;
    memcpy(g->a_batch.dims, as->dims, (size_t)g->a_batch.rank * sizeof as->dims[0]);
    memcpy(g->b_batch.dims, bs->dims, (size_t)g->b_batch.rank * sizeof bs->dims[0]);
    if (!lo_shape_broadcast(&g->a_batch, &g->b_batch, &g->batch))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "batch dims of A '%s' %s and B '%s' %s do not broadcast", a->name,
                            lo_shape_format(as, abuf, sizeof abuf), b->name,
                            lo_shape_format(bs, bbuf, sizeof bbuf));
    g->out = g->batch;
    if (as->rank > 1) g->out.dims[g->out.rank++] = g->m;
    if (bs->rank > 1) g->out.dims[g->out.rank++] = g->n;
    return LO_OK;
}

lo_status lo_matmul_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    matmul_geometry g;
    lo_status st = matmul_geometry_of(graph, node, &g, err);
    if (st != LO_OK) return st;
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &g.out, err);
}

lo_status lo_matmul_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err)
{
    (void)reads; /* reads every present input */
    matmul_geometry g;
    lo_status st = matmul_geometry_of(graph, node, &g, err);
    if (st != LO_OK) return st;
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    if (a->shape.rank == 2 && b->shape.rank == 2) {
        lo_gemm_params *p = &step->params.gemm;
        memset(p, 0, sizeof *p);
        p->alpha = 1.0f;
        step->kind = LO_STEP_GEMM;
        lo_step_label(step, "MatMul", LO_ACT_NONE);
        return LO_OK;
    }
    lo_matmul_params *p = &step->params.matmul;
    memset(p, 0, sizeof *p);
    p->m = g.m;
    p->n = g.n;
    p->k = g.k;
    p->batch_rank = g.batch.rank;
    memcpy(p->batch_dims, g.batch.dims, sizeof p->batch_dims);
    /* Strides over whole matrices, scaled to elements. */
    lo_broadcast_strides(&g.a_batch, &g.batch, g.batch.rank - g.a_batch.rank, p->a_strides);
    lo_broadcast_strides(&g.b_batch, &g.batch, g.batch.rank - g.b_batch.rank, p->b_strides);
    for (int d = 0; d < g.batch.rank; d++) {
        p->a_strides[d] *= g.m * g.k;
        p->b_strides[d] *= g.k * g.n;
    }
    step->kind = LO_STEP_MATMUL;
    lo_step_label(step, "MatMul", LO_ACT_NONE);
    return LO_OK;
}
