#include "load_limits.h"

lo_limits lo_limits_default(void)
{
    lo_limits limits = {
        .model_bytes = LO_DEFAULT_MODEL_BYTES,
        .nesting_depth = LO_DEFAULT_NESTING_DEPTH,
        .nodes = LO_DEFAULT_NODES,
        .rank = LENET_ONNX_MAX_RANK,
        .tensor_elements = LO_DEFAULT_TENSOR_ELEMENTS,
        .weight_bytes = LO_DEFAULT_WEIGHT_BYTES,
        .arena_bytes = LO_DEFAULT_ARENA_BYTES,
    };
    return limits;
}

lo_limits lo_limits_from_options(const lenet_onnx_load_options *options)
{
    lo_limits limits = lo_limits_default();
    if (!options) return limits;
    if (options->max_model_bytes) limits.model_bytes = options->max_model_bytes;
    if (options->max_nesting_depth)
        limits.nesting_depth = options->max_nesting_depth < LO_MAX_NESTING_DEPTH
                                   ? options->max_nesting_depth
                                   : LO_MAX_NESTING_DEPTH;
    if (options->max_nodes) limits.nodes = options->max_nodes;
    if (options->max_rank && options->max_rank < LENET_ONNX_MAX_RANK)
        limits.rank = options->max_rank;
    if (options->max_tensor_elements) limits.tensor_elements = options->max_tensor_elements;
    if (options->max_weight_bytes) limits.weight_bytes = options->max_weight_bytes;
    if (options->max_arena_bytes) limits.arena_bytes = options->max_arena_bytes;
    return limits;
}
