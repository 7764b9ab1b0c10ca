/* Gemm: Y = alpha * op(A) @ op(B) + beta * C, with C broadcast to [M, N]. */
#include "ops.h"

#include "op_util.h"

typedef struct gemm_dims {
    int64_t m, n, k;
} gemm_dims;

static lo_status gemm_check(const lo_graph *graph, const lo_node *node, lo_gemm_params *p,
                            gemm_dims *dims, lo_error *err)
{
    lo_status st;
    /* C is required before opset 11. */
    int min_inputs = node->opset < 11 ? 3 : 2;
    if ((st = lo_check_input_count(graph, node, min_inputs, 3, err)) != LO_OK) return st;
    for (int i = 0; i < 3; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 0, 2, err)) != LO_OK) return st;
    if ((st = lo_check_input_rank(graph, node, 1, 2, err)) != LO_OK) return st;
    int64_t trans_a = 0, trans_b = 0;
    if ((st = lo_attr_get_int(graph, node, "transA", 0, &trans_a, err)) != LO_OK) return st;
    if ((st = lo_attr_get_int(graph, node, "transB", 0, &trans_b, err)) != LO_OK) return st;
    if ((st = lo_attr_get_float(graph, node, "alpha", 1.0f, &p->alpha, err)) != LO_OK) return st;
    if ((st = lo_attr_get_float(graph, node, "beta", 1.0f, &p->beta, err)) != LO_OK) return st;
    p->trans_a = trans_a != 0;
    p->trans_b = trans_b != 0;
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    const lo_tensor *c = lo_node_input(graph, node, 2);
    dims->m = a->shape.dims[p->trans_a ? 1 : 0];
    dims->k = a->shape.dims[p->trans_a ? 0 : 1];
    int64_t kb = b->shape.dims[p->trans_b ? 1 : 0];
    dims->n = b->shape.dims[p->trans_b ? 0 : 1];
    if (kb != dims->k)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "inner dimensions differ: A '%s' gives K=%lld, B '%s' gives K=%lld",
                            a->name, (long long)dims->k, b->name, (long long)kb);
    p->has_c = c != NULL;
    if (c) {
        /* Unidirectional broadcast of C to [M, N]: align right, each dim 1 or equal. */
        int64_t want[2] = {dims->m, dims->n};
        bool ok = c->shape.rank <= 2;
        for (int d = 0; ok && d < c->shape.rank; d++) {
            int64_t have = c->shape.dims[c->shape.rank - 1 - d];
            ok = have == 1 || have == want[1 - d];
        }
        if (!ok) {
            char buf[128];
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "C '%s' of shape %s does not broadcast to [%lld,%lld]", c->name,
                                lo_shape_format(&c->shape, buf, sizeof buf), (long long)dims->m,
                                (long long)dims->n);
        }
    }
    return lo_fused_activation(graph, node, &p->activation, &p->activation_args, err);
}

lo_status lo_gemm_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    lo_gemm_params params;
    gemm_dims dims;
    lo_status st = gemm_check(graph, node, &params, &dims, err);
    if (st != LO_OK) return st;
    lo_shape y = {2, {dims.m, dims.n}};
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &y, err);
}

lo_status lo_gemm_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                        lo_error *err)
{
    (void)reads; /* reads every present input */
    gemm_dims dims;
    lo_status st = gemm_check(graph, node, &step->params.gemm, &dims, err);
    if (st != LO_OK) return st;
    step->kind = LO_STEP_GEMM;
    lo_step_label(step, "Gemm", step->params.gemm.activation);
    return LO_OK;
}
