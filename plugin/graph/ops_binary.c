/* Binary element-wise ops on float tensors with broadcasting: Add, Sub, Mul, Div (numpy's
 * multidirectional broadcast from version 7; before, B aligned to A at `axis` when
 * broadcast=1, else equal shapes) and PRelu (the slope broadcast to X). */
#include "ops.h"

#include <string.h>

#include "op_util.h"

/* The output shape, and where B's axis 0 sits on it (A is always right-aligned). */
typedef struct binary_geometry {
    lo_shape out;
    int b_align;
} binary_geometry;

static lo_status legacy_geometry(const lo_graph *graph, const lo_node *node, binary_geometry *g,
                                 lo_error *err)
{
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    int64_t broadcast = 0, axis = 0;
    lo_status st = lo_attr_get_int(graph, node, "broadcast", 0, &broadcast, err);
    if (st != LO_OK) return st;
    g->out = a->shape;
    g->b_align = a->shape.rank - b->shape.rank; /* no axis: B matches A's trailing dims */
    char as[128], bs[128];
    if (!broadcast) {
        if (!lo_shape_equal(&a->shape, &b->shape))
            return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                                "inputs '%s' %s and '%s' %s differ and attribute 'broadcast' is 0",
                                a->name, lo_shape_format(&a->shape, as, sizeof as), b->name,
                                lo_shape_format(&b->shape, bs, sizeof bs));
        return LO_OK;
    }
    if (lo_node_attr(node, "axis")) {
        if ((st = lo_attr_get_int(graph, node, "axis", 0, &axis, err)) != LO_OK) return st;
        int at = 0;
        if ((st = lo_normalize_axis(graph, node, "attribute 'axis'", axis, a->shape.rank, true, &at,
                                    err)) != LO_OK)
            return st;
        g->b_align = at;
    }
    /* B must be a run of A's dims (a 1 broadcasts) starting at the alignment axis. */
    bool ok = g->b_align >= 0 && g->b_align + b->shape.rank <= a->shape.rank;
    for (int d = 0; ok && d < b->shape.rank; d++)
        ok = b->shape.dims[d] == 1 || b->shape.dims[d] == a->shape.dims[g->b_align + d];
    if (!ok)
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "input '%s' %s does not fit '%s' %s at axis %d", b->name,
                            lo_shape_format(&b->shape, bs, sizeof bs), a->name,
                            lo_shape_format(&a->shape, as, sizeof as), g->b_align);
    return LO_OK;
}

static lo_status binary_geometry_of(const lo_graph *graph, const lo_node *node, binary_geometry *g,
                                    lo_error *err)
{
    lo_status st;
    if ((st = lo_check_input_count(graph, node, 2, 2, err)) != LO_OK) return st;
    for (int i = 0; i < 2; i++)
        if ((st = lo_check_input_dtype(graph, node, i, LO_DTYPE_FLOAT, err)) != LO_OK) return st;
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    const bool prelu = strcmp(node->op_type, "PRelu") == 0;
    if (!prelu && node->opset < 7) return legacy_geometry(graph, node, g, err);
    char as[128], bs[128];
    if (!lo_shape_broadcast(&a->shape, &b->shape, &g->out))
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "inputs '%s' %s and '%s' %s do not broadcast", a->name,
                            lo_shape_format(&a->shape, as, sizeof as), b->name,
                            lo_shape_format(&b->shape, bs, sizeof bs));
    g->b_align = g->out.rank - b->shape.rank;
    if (prelu && !lo_shape_equal(&g->out, &a->shape)) {
        /* Unidirectional: the slope broadcasts to X, never X to the slope. */
        return lo_node_fail(graph, node, LO_ERR_MODEL, err,
                            "slope '%s' %s does not broadcast to X '%s' %s", b->name,
                            lo_shape_format(&b->shape, bs, sizeof bs), a->name,
                            lo_shape_format(&a->shape, as, sizeof as));
    }
    return LO_OK;
}

lo_status lo_binary_infer(lo_graph *graph, lo_node *node, lo_error *err)
{
    binary_geometry g;
    lo_status st = binary_geometry_of(graph, node, &g, err);
    if (st != LO_OK) return st;
    return lo_set_output(graph, node, 0, LO_DTYPE_FLOAT, &g.out, err);
}

lo_status lo_binary_lower(const lo_graph *graph, const lo_node *node, lo_step *step, int *reads,
                          lo_error *err)
{
    (void)reads; /* reads every present input */
    static const struct {
        const char *op_type;
        lo_binary_op op;
    } ops[] = {{"Add", LO_BIN_ADD},
               {"Sub", LO_BIN_SUB},
               {"Mul", LO_BIN_MUL},
               {"Div", LO_BIN_DIV},
               {"PRelu", LO_BIN_PRELU}};
    lo_binary_params *p = &step->params.binary;
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(node->op_type, ops[i].op_type) == 0) p->op = ops[i].op;
    if (!p->op)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err, "no binary kernel for this op");
    binary_geometry g;
    lo_status st = binary_geometry_of(graph, node, &g, err);
    if (st != LO_OK) return st;
    const lo_tensor *a = lo_node_input(graph, node, 0);
    const lo_tensor *b = lo_node_input(graph, node, 1);
    lo_broadcast_strides(&a->shape, &g.out, g.out.rank - a->shape.rank, p->a_strides);
    lo_broadcast_strides(&b->shape, &g.out, g.b_align, p->b_strides);
    step->kind = LO_STEP_BINARY;
    lo_step_label(step, node->op_type, LO_ACT_NONE);
    return LO_OK;
}
