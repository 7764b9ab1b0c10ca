#include "step.h"

#include <stdint.h>

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
    size_t size = lo_dtype_size(ref->dtype);
    if (numel <= 0 || size == 0 || (uint64_t)numel > SIZE_MAX / size) return 0;
    return (size_t)numel * size;
}
