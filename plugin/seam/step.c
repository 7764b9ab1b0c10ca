#include "step.h"

#include <stdint.h>
#include <string.h>

const char *lo_activation_name(lo_activation activation)
{
    switch (activation) {
    case LO_ACT_NONE:
        return "None";
    case LO_ACT_RELU:
        return "Relu";
    case LO_ACT_SIGMOID:
        return "Sigmoid";
    case LO_ACT_TANH:
        return "Tanh";
    case LO_ACT_LEAKY_RELU:
        return "LeakyRelu";
    case LO_ACT_CLIP:
        return "Clip";
    }
    return "?";
}

const char *lo_binary_op_name(lo_binary_op op)
{
    switch (op) {
    case LO_BIN_ADD:
        return "Add";
    case LO_BIN_SUB:
        return "Sub";
    case LO_BIN_MUL:
        return "Mul";
    case LO_BIN_DIV:
        return "Div";
    case LO_BIN_PRELU:
        return "PRelu";
    }
    return "?";
}

size_t lo_tensor_ref_bytes(const lo_tensor_ref *ref)
{
    int64_t numel = lo_shape_numel(&ref->shape);
    size_t size = lo_dtype_size(ref->dtype);
    if (numel <= 0 || size == 0 || (uint64_t)numel > SIZE_MAX / size) return 0;
    return (size_t)numel * size;
}

lo_shape lo_conv_full_shape(const lo_step *step)
{
    lo_shape full;
    memset(&full, 0, sizeof full);
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    if (step->kind != LO_STEP_CONV || step->num_inputs < 2 || x->rank != 4 || y->rank != 4)
        return full;
    if (!p->has_pool) return *y;
    full = *y;
    for (int a = 0; a < 2; a++) {
        const int64_t limit = INT64_MAX / 4;
        if (x->dims[2 + a] > limit || p->kernel[a] < 1 || p->kernel[a] > limit ||
            p->dilation[a] < 1 || p->kernel[a] - 1 > limit / p->dilation[a] || p->stride[a] < 1 ||
            p->pad_begin[a] < 0 || p->pad_begin[a] > limit || p->pad_end[a] < 0 ||
            p->pad_end[a] > limit) {
            full.rank = 0;
            return full;
        }
        const int64_t slack = x->dims[2 + a] + p->pad_begin[a] + p->pad_end[a] -
                              (p->dilation[a] * (p->kernel[a] - 1) + 1);
        if (slack < 0) {
            full.rank = 0;
            return full;
        }
        full.dims[2 + a] = slack / p->stride[a] + 1;
    }
    return full;
}

void lo_gemm_chain_layer_dims(const lo_step *step, int layer, int64_t *k, int64_t *n)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    *k = *n = 0;
    if (layer < 0 || layer >= LO_GEMM_CHAIN_MAX_LAYERS || p->b_input[layer] < 1 ||
        p->b_input[layer] >= step->num_inputs)
        return;
    const lo_shape *b = &step->inputs[p->b_input[layer]].shape;
    const bool t = p->layer[layer].trans_b;
    if (b->rank != 2) return;
    *k = b->dims[t ? 1 : 0];
    *n = b->dims[t ? 0 : 1];
}
