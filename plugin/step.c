#include "step.h"

const char *lo_activation_name(lo_activation activation)
{
    switch (activation) {
    case LO_ACT_NONE:
        return "None";
    case LO_ACT_RELU:
        return "Relu";
    }
    return "?";
}

size_t lo_tensor_ref_bytes(const lo_tensor_ref *ref)
{
    int64_t numel = lo_shape_numel(&ref->shape);
    return numel > 0 ? (size_t)numel * lo_dtype_size(ref->dtype) : 0;
}
