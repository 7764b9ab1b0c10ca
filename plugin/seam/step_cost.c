/* FLOPs and bytes of a planned step (see step_cost.h for the counting rules). */
#include "step_cost.h"

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t numel(const lo_shape *shape)
{
    int64_t n = lo_shape_numel(shape);
    return n > 0 ? (uint64_t)n : 0;
}

static uint64_t positive(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

static uint64_t window(const lo_pool_params *p)
{
    return mul_sat(positive(p->kernel[0]), positive(p->kernel[1]));
}

static uint64_t conv_flops(const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape full = lo_conv_full_shape(step);
    if (full.rank != 4 || step->inputs[0].shape.rank != 4 || p->group <= 0) return 0;
    const uint64_t outputs = numel(&full);
    const uint64_t per_output = mul_sat(positive(step->inputs[0].shape.dims[1] / p->group),
                                        mul_sat(positive(p->kernel[0]), positive(p->kernel[1])));
    uint64_t flops = mul_sat(2, mul_sat(outputs, per_output));
    if (p->has_bias) flops = add_sat(flops, outputs);
    if (p->activation != LO_ACT_NONE) flops = add_sat(flops, outputs);
    if (p->has_pool && window(&p->pool) > 0)
        flops = add_sat(flops, mul_sat(numel(&step->output.shape), window(&p->pool) - 1));
    return flops;
}

/* One Gemm of [rows, k] by [k, n]: the products, then alpha, beta * C and the activation. */
static uint64_t gemm_layer_flops(const lo_gemm_params *p, uint64_t rows, uint64_t k, uint64_t n)
{
    const uint64_t outputs = mul_sat(rows, n);
    uint64_t flops = mul_sat(2, mul_sat(outputs, k));
    uint64_t extra = 0;
    if (p->alpha != 1.0f) extra++;
    if (p->has_c) extra += p->beta != 1.0f ? 2 : 1;
    if (p->activation != LO_ACT_NONE) extra++;
    return add_sat(flops, mul_sat(outputs, extra));
}

static uint64_t gemm_flops(const lo_step *step)
{
    const lo_gemm_params *p = &step->params.gemm;
    const lo_shape *a = &step->inputs[0].shape, *y = &step->output.shape;
    if (a->rank != 2 || y->rank != 2) return 0;
    return gemm_layer_flops(p, positive(y->dims[0]), positive(p->trans_a ? a->dims[0] : a->dims[1]),
                            positive(y->dims[1]));
}

/* A chain costs what its Gemms would apart. */
static uint64_t gemm_chain_flops(const lo_step *step)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    const lo_shape *y = &step->output.shape;
    if (y->rank != 2) return 0;
    uint64_t flops = 0;
    for (int l = 0; l < p->layers && l < LO_GEMM_CHAIN_MAX_LAYERS; l++) {
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        flops = add_sat(
            flops, gemm_layer_flops(&p->layer[l], positive(y->dims[0]), positive(k), positive(n)));
    }
    return flops;
}

static uint64_t matmul_flops(const lo_step *step)
{
    const lo_matmul_params *p = &step->params.matmul;
    uint64_t batch = 1;
    for (int d = 0; d < p->batch_rank && d < LO_MAX_RANK; d++)
        batch = mul_sat(batch, positive(p->batch_dims[d]));
    return mul_sat(
        2, mul_sat(batch, mul_sat(positive(p->m), mul_sat(positive(p->n), positive(p->k)))));
}

static uint64_t step_flops(const lo_step *step)
{
    const uint64_t outputs = numel(&step->output.shape);
    switch (step->kind) {
    case LO_STEP_CONV:
        return conv_flops(step);
    case LO_STEP_GEMM:
        return gemm_flops(step);
    case LO_STEP_GEMM_CHAIN:
        return gemm_chain_flops(step);
    case LO_STEP_MATMUL:
        return matmul_flops(step);
    case LO_STEP_MAXPOOL:
        return window(&step->params.pool) ? mul_sat(outputs, window(&step->params.pool) - 1) : 0;
    case LO_STEP_AVGPOOL:
        return mul_sat(outputs, window(&step->params.pool));
    case LO_STEP_UNARY:
    case LO_STEP_BINARY:
        return outputs;
    case LO_STEP_BATCHNORM:
        return mul_sat(outputs, 4);
    case LO_STEP_SOFTMAX:
        return mul_sat(outputs, 5);
    case LO_STEP_COPY:
    case LO_STEP_PAD:
    case LO_STEP_CONCAT:
    case LO_STEP_TRANSPOSE:
        return 0;
    }
    return 0;
}

lo_step_cost lo_step_cost_of(const lo_step *step)
{
    lo_step_cost cost = {0, 0, 0};
    if (!step) return cost;
    cost.flops = step_flops(step);
    for (int i = 0; i < step->num_inputs && i < LO_STEP_MAX_INPUTS; i++)
        cost.bytes_read = add_sat(cost.bytes_read, lo_tensor_ref_bytes(&step->inputs[i]));
    cost.bytes_written = lo_tensor_ref_bytes(&step->output);
    return cost;
}
