#include "step.h"

#include <stdint.h>

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
