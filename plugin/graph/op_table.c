/* The rows of the op table. Each op lists one row per ONNX version that changed it, so a model
 * at any opset from LO_OPSET_MIN to LO_OPSET_MAX finds the row describing its semantics. The
 * attribute lists are the versions' own: an attribute a version does not define is rejected. */
#include "op_table.h"

#include <string.h>

#include "op_util.h"
#include "ops.h"

#define ATTRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ATTRS   ((const char *const[]){NULL})

#define COMPUTE(op, version, attrs, infer, lower)                                                  \
    {                                                                                              \
        "", op, version, LO_OP_COMPUTE, attrs, infer, NULL, lower, false                           \
    }
#define VIEW(op, version, attrs, infer)                                                            \
    {                                                                                              \
        "", op, version, LO_OP_VIEW, attrs, infer, lo_view_fold, NULL, false                       \
    }
/* Folded when every input is a constant, else lowered to a step. */
#define COMPUTE_OR_FOLD(op, version, attrs, infer, fold, lower)                                    \
    {                                                                                              \
        "", op, version, LO_OP_COMPUTE, attrs, infer, fold, lower, false                           \
    }
#define FOLDED(op, version, attrs, infer, fold)                                                    \
    {                                                                                              \
        "", op, version, LO_OP_CONSTANT, attrs, infer, fold, NULL, false                           \
    }
#define FOLDED_FROM_SHAPES(op, version, attrs, infer, fold)                                        \
    {                                                                                              \
        "", op, version, LO_OP_CONSTANT, attrs, infer, fold, NULL, true                            \
    }

static const lo_op_def rows[] = {
    /* Convolution and pooling. */
    COMPUTE("Conv", 1, ATTRS("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"),
            lo_conv_infer, lo_conv_lower),
    COMPUTE("Conv", 11, ATTRS("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"),
            lo_conv_infer, lo_conv_lower),
    COMPUTE("MaxPool", 1, ATTRS("auto_pad", "kernel_shape", "pads", "strides"), lo_maxpool_infer,
            lo_maxpool_lower),
    COMPUTE("MaxPool", 8, ATTRS("auto_pad", "kernel_shape", "pads", "storage_order", "strides"),
            lo_maxpool_infer, lo_maxpool_lower),
    COMPUTE("MaxPool", 10,
            ATTRS("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
                  "strides"),
            lo_maxpool_infer, lo_maxpool_lower),
    COMPUTE("MaxPool", 11,
            ATTRS("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
                  "strides"),
            lo_maxpool_infer, lo_maxpool_lower),
    COMPUTE("MaxPool", 12,
            ATTRS("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
                  "strides"),
            lo_maxpool_infer, lo_maxpool_lower),
    /* AveragePool: count_include_pad from 7, ceil_mode from 10, dilations from 19. */
    COMPUTE("AveragePool", 1, ATTRS("auto_pad", "kernel_shape", "pads", "strides"),
            lo_avgpool_infer, lo_avgpool_lower),
    COMPUTE("AveragePool", 7,
            ATTRS("auto_pad", "count_include_pad", "kernel_shape", "pads", "strides"),
            lo_avgpool_infer, lo_avgpool_lower),
    COMPUTE("AveragePool", 10,
            ATTRS("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"),
            lo_avgpool_infer, lo_avgpool_lower),
    COMPUTE("AveragePool", 11,
            ATTRS("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"),
            lo_avgpool_infer, lo_avgpool_lower),
    COMPUTE("AveragePool", 19,
            ATTRS("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
                  "strides"),
            lo_avgpool_infer, lo_avgpool_lower),
    COMPUTE("GlobalAveragePool", 1, NO_ATTRS, lo_global_pool_infer, lo_global_pool_lower),
    COMPUTE("GlobalMaxPool", 1, NO_ATTRS, lo_global_pool_infer, lo_global_pool_lower),

    /* Data movement. Pad: 'paddings' in 1, 'pads' in 2, pads and constant_value inputs from
     * 11, the axes input from 18, mode 'wrap' from 19 (rejected: only 'constant' runs). */
    COMPUTE("Pad", 1, ATTRS("mode", "paddings", "value"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 2, ATTRS("mode", "pads", "value"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 11, ATTRS("mode"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 13, ATTRS("mode"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 18, ATTRS("mode"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 19, ATTRS("mode"), lo_pad_infer, lo_pad_lower),
    COMPUTE("Pad", 21, ATTRS("mode"), lo_pad_infer, lo_pad_lower),
    COMPUTE_OR_FOLD("Transpose", 1, ATTRS("perm"), lo_transpose_infer, lo_transpose_fold,
                    lo_transpose_lower),
    COMPUTE_OR_FOLD("Transpose", 13, ATTRS("perm"), lo_transpose_infer, lo_transpose_fold,
                    lo_transpose_lower),
    COMPUTE_OR_FOLD("Transpose", 21, ATTRS("perm"), lo_transpose_infer, lo_transpose_fold,
                    lo_transpose_lower),

    /* Matrix products. Gemm 1 and 6 broadcast C only when asked (broadcast=1); from 7 on,
     * always; from 11 on, C is optional. */
    COMPUTE("Gemm", 1, ATTRS("alpha", "beta", "broadcast", "transA", "transB"), lo_gemm_infer,
            lo_gemm_lower),
    COMPUTE("Gemm", 6, ATTRS("alpha", "beta", "broadcast", "transA", "transB"), lo_gemm_infer,
            lo_gemm_lower),
    COMPUTE("Gemm", 7, ATTRS("alpha", "beta", "transA", "transB"), lo_gemm_infer, lo_gemm_lower),
    COMPUTE("Gemm", 9, ATTRS("alpha", "beta", "transA", "transB"), lo_gemm_infer, lo_gemm_lower),
    COMPUTE("Gemm", 11, ATTRS("alpha", "beta", "transA", "transB"), lo_gemm_infer, lo_gemm_lower),
    COMPUTE("Gemm", 13, ATTRS("alpha", "beta", "transA", "transB"), lo_gemm_infer, lo_gemm_lower),
    COMPUTE("MatMul", 1, NO_ATTRS, lo_matmul_infer, lo_matmul_lower),
    COMPUTE("MatMul", 9, NO_ATTRS, lo_matmul_infer, lo_matmul_lower),
    COMPUTE("MatMul", 13, NO_ATTRS, lo_matmul_infer, lo_matmul_lower),

    /* Element-wise. Relu 1 carried the legacy consumed_inputs attribute, with no effect. */
    COMPUTE("Relu", 1, ATTRS("consumed_inputs"), lo_unary_infer, lo_unary_lower),
    COMPUTE("Relu", 6, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Relu", 13, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Relu", 14, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Sigmoid", 1, ATTRS("consumed_inputs"), lo_unary_infer, lo_unary_lower),
    COMPUTE("Sigmoid", 6, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Sigmoid", 13, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Tanh", 1, ATTRS("consumed_inputs"), lo_unary_infer, lo_unary_lower),
    COMPUTE("Tanh", 6, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Tanh", 13, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("LeakyRelu", 1, ATTRS("alpha", "consumed_inputs"), lo_unary_infer, lo_unary_lower),
    COMPUTE("LeakyRelu", 6, ATTRS("alpha"), lo_unary_infer, lo_unary_lower),
    COMPUTE("LeakyRelu", 16, ATTRS("alpha"), lo_unary_infer, lo_unary_lower),
    /* Clip's bounds are attributes before version 11, optional constant inputs from 11. */
    COMPUTE("Clip", 1, ATTRS("consumed_inputs", "max", "min"), lo_unary_infer, lo_unary_lower),
    COMPUTE("Clip", 6, ATTRS("max", "min"), lo_unary_infer, lo_unary_lower),
    COMPUTE("Clip", 11, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Clip", 12, NO_ATTRS, lo_unary_infer, lo_unary_lower),
    COMPUTE("Clip", 13, NO_ATTRS, lo_unary_infer, lo_unary_lower),

    /* Binary with broadcasting: before version 7, only as the broadcast/axis attributes say. */
    COMPUTE("Add", 1, ATTRS("axis", "broadcast", "consumed_inputs"), lo_binary_infer,
            lo_binary_lower),
    COMPUTE("Add", 6, ATTRS("axis", "broadcast"), lo_binary_infer, lo_binary_lower),
    COMPUTE("Add", 7, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Add", 13, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Add", 14, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Sub", 1, ATTRS("axis", "broadcast", "consumed_inputs"), lo_binary_infer,
            lo_binary_lower),
    COMPUTE("Sub", 6, ATTRS("axis", "broadcast"), lo_binary_infer, lo_binary_lower),
    COMPUTE("Sub", 7, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Sub", 13, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Sub", 14, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Mul", 1, ATTRS("axis", "broadcast", "consumed_inputs"), lo_binary_infer,
            lo_binary_lower),
    COMPUTE("Mul", 6, ATTRS("axis", "broadcast"), lo_binary_infer, lo_binary_lower),
    COMPUTE("Mul", 7, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Mul", 13, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Mul", 14, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Div", 1, ATTRS("axis", "broadcast", "consumed_inputs"), lo_binary_infer,
            lo_binary_lower),
    COMPUTE("Div", 6, ATTRS("axis", "broadcast"), lo_binary_infer, lo_binary_lower),
    COMPUTE("Div", 7, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Div", 13, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("Div", 14, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("PRelu", 1, ATTRS("consumed_inputs"), lo_binary_infer, lo_binary_lower),
    COMPUTE("PRelu", 6, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("PRelu", 7, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("PRelu", 9, NO_ATTRS, lo_binary_infer, lo_binary_lower),
    COMPUTE("PRelu", 16, NO_ATTRS, lo_binary_infer, lo_binary_lower),

    /* Normalisation. Softmax before 13 coerces the input to 2-D at `axis`. */
    COMPUTE("Softmax", 1, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("Softmax", 11, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("Softmax", 13, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("LogSoftmax", 1, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("LogSoftmax", 11, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("LogSoftmax", 13, ATTRS("axis"), lo_softmax_infer, lo_softmax_lower),
    COMPUTE("BatchNormalization", 1,
            ATTRS("consumed_inputs", "epsilon", "is_test", "momentum", "spatial"),
            lo_batchnorm_infer, lo_batchnorm_lower),
    COMPUTE("BatchNormalization", 6, ATTRS("epsilon", "is_test", "momentum", "spatial"),
            lo_batchnorm_infer, lo_batchnorm_lower),
    COMPUTE("BatchNormalization", 7, ATTRS("epsilon", "momentum", "spatial"), lo_batchnorm_infer,
            lo_batchnorm_lower),
    COMPUTE("BatchNormalization", 9, ATTRS("epsilon", "momentum"), lo_batchnorm_infer,
            lo_batchnorm_lower),
    COMPUTE("BatchNormalization", 14, ATTRS("epsilon", "momentum", "training_mode"),
            lo_batchnorm_infer, lo_batchnorm_lower),
    COMPUTE("BatchNormalization", 15, ATTRS("epsilon", "momentum", "training_mode"),
            lo_batchnorm_infer, lo_batchnorm_lower),

    /* Views: no kernel; folded on constants. */
    VIEW("Reshape", 1, ATTRS("consumed_inputs", "shape"), lo_reshape_infer),
    VIEW("Reshape", 5, NO_ATTRS, lo_reshape_infer),
    VIEW("Reshape", 13, NO_ATTRS, lo_reshape_infer),
    VIEW("Reshape", 14, ATTRS("allowzero"), lo_reshape_infer),
    VIEW("Reshape", 19, ATTRS("allowzero"), lo_reshape_infer),
    VIEW("Reshape", 21, ATTRS("allowzero"), lo_reshape_infer),
    VIEW("Flatten", 1, ATTRS("axis"), lo_flatten_infer),
    VIEW("Flatten", 9, ATTRS("axis"), lo_flatten_infer),
    VIEW("Flatten", 11, ATTRS("axis"), lo_flatten_infer),
    VIEW("Flatten", 13, ATTRS("axis"), lo_flatten_infer),
    VIEW("Flatten", 21, ATTRS("axis"), lo_flatten_infer),
    VIEW("Squeeze", 1, ATTRS("axes"), lo_squeeze_infer),
    VIEW("Squeeze", 11, ATTRS("axes"), lo_squeeze_infer),
    VIEW("Squeeze", 13, NO_ATTRS, lo_squeeze_infer),
    VIEW("Squeeze", 21, NO_ATTRS, lo_squeeze_infer),
    VIEW("Unsqueeze", 1, ATTRS("axes"), lo_unsqueeze_infer),
    VIEW("Unsqueeze", 11, ATTRS("axes"), lo_unsqueeze_infer),
    VIEW("Unsqueeze", 13, NO_ATTRS, lo_unsqueeze_infer),
    VIEW("Unsqueeze", 21, NO_ATTRS, lo_unsqueeze_infer),
    VIEW("Identity", 1, NO_ATTRS, lo_identity_infer),
    VIEW("Identity", 13, NO_ATTRS, lo_identity_infer),
    VIEW("Identity", 14, NO_ATTRS, lo_identity_infer),
    VIEW("Identity", 16, NO_ATTRS, lo_identity_infer),
    VIEW("Identity", 19, NO_ATTRS, lo_identity_infer),
    VIEW("Identity", 21, NO_ATTRS, lo_identity_infer),
    VIEW("Dropout", 1, ATTRS("consumed_inputs", "is_test", "ratio"), lo_dropout_infer),
    VIEW("Dropout", 6, ATTRS("is_test", "ratio"), lo_dropout_infer),
    VIEW("Dropout", 7, ATTRS("ratio"), lo_dropout_infer),
    VIEW("Dropout", 10, ATTRS("ratio"), lo_dropout_infer),
    VIEW("Dropout", 12, ATTRS("seed"), lo_dropout_infer),
    VIEW("Dropout", 13, ATTRS("seed"), lo_dropout_infer),

    /* Plan-time values: constants and the shape arithmetic around Reshape. */
    FOLDED("Constant", 1, ATTRS("value"), lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 9, ATTRS("value"), lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 11, ATTRS("sparse_value", "value"), lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 12,
           ATTRS("sparse_value", "value", "value_float", "value_floats", "value_int", "value_ints",
                 "value_string", "value_strings"),
           lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 13,
           ATTRS("sparse_value", "value", "value_float", "value_floats", "value_int", "value_ints",
                 "value_string", "value_strings"),
           lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 19,
           ATTRS("sparse_value", "value", "value_float", "value_floats", "value_int", "value_ints",
                 "value_string", "value_strings"),
           lo_constant_infer, lo_constant_fold),
    FOLDED("Constant", 21,
           ATTRS("sparse_value", "value", "value_float", "value_floats", "value_int", "value_ints",
                 "value_string", "value_strings"),
           lo_constant_infer, lo_constant_fold),
    FOLDED_FROM_SHAPES("Shape", 1, NO_ATTRS, lo_shape_infer, lo_shape_fold),
    FOLDED_FROM_SHAPES("Shape", 13, NO_ATTRS, lo_shape_infer, lo_shape_fold),
    FOLDED_FROM_SHAPES("Shape", 15, ATTRS("end", "start"), lo_shape_infer, lo_shape_fold),
    FOLDED_FROM_SHAPES("Shape", 19, ATTRS("end", "start"), lo_shape_infer, lo_shape_fold),
    FOLDED_FROM_SHAPES("Shape", 21, ATTRS("end", "start"), lo_shape_infer, lo_shape_fold),
    FOLDED("Gather", 1, ATTRS("axis"), lo_gather_infer, lo_gather_fold),
    FOLDED("Gather", 11, ATTRS("axis"), lo_gather_infer, lo_gather_fold),
    FOLDED("Gather", 13, ATTRS("axis"), lo_gather_infer, lo_gather_fold),
    COMPUTE_OR_FOLD("Concat", 1, ATTRS("axis"), lo_concat_infer, lo_concat_fold, lo_concat_lower),
    COMPUTE_OR_FOLD("Concat", 4, ATTRS("axis"), lo_concat_infer, lo_concat_fold, lo_concat_lower),
    COMPUTE_OR_FOLD("Concat", 11, ATTRS("axis"), lo_concat_infer, lo_concat_fold, lo_concat_lower),
    COMPUTE_OR_FOLD("Concat", 13, ATTRS("axis"), lo_concat_infer, lo_concat_fold, lo_concat_lower),
    FOLDED("Cast", 1, ATTRS("to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Cast", 6, ATTRS("to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Cast", 9, ATTRS("to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Cast", 13, ATTRS("to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Cast", 19, ATTRS("saturate", "to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Cast", 21, ATTRS("saturate", "to"), lo_cast_infer, lo_cast_fold),
    FOLDED("Slice", 1, ATTRS("axes", "ends", "starts"), lo_slice_infer, lo_slice_fold),
    FOLDED("Slice", 10, NO_ATTRS, lo_slice_infer, lo_slice_fold),
    FOLDED("Slice", 11, NO_ATTRS, lo_slice_infer, lo_slice_fold),
    FOLDED("Slice", 13, NO_ATTRS, lo_slice_infer, lo_slice_fold),

    /* Made by the fusion pass, never by a model: the loader rejects this domain. */
    {LO_INTERNAL_DOMAIN, "View", 1, LO_OP_VIEW, ATTRS("perm"), lo_internal_view_infer, lo_view_fold,
     NULL, false},
    {LO_INTERNAL_DOMAIN, "FusedConv", 1, LO_OP_COMPUTE,
     ATTRS("activation", "activation_alpha", "activation_max", "activation_min", "auto_pad",
           "dilations", "group", "kernel_shape", "pads", "strides"),
     lo_conv_infer, NULL, lo_conv_lower, false},
    {LO_INTERNAL_DOMAIN, "FusedGemm", 1, LO_OP_COMPUTE,
     ATTRS("activation", "activation_alpha", "activation_max", "activation_min", "alpha", "beta",
           "broadcast", "transA", "transB"),
     lo_gemm_infer, NULL, lo_gemm_lower, false},
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])

static bool same_domain(const char *a, const char *b)
{
    if (lo_domain_is_default(a) || lo_domain_is_default(b))
        return lo_domain_is_default(a) && lo_domain_is_default(b);
    return strcmp(a, b) == 0;
}

lo_status lo_op_lower(const lo_graph *graph, const lo_node *node, const lo_op_def *row,
                      lo_step *step, int reads[LO_STEP_MAX_INPUTS], lo_error *err)
{
    memset(step, 0, sizeof *step);
    step->node_name = node->name;
    int present = 0;
    for (int i = 0; i < node->num_inputs; i++)
        if (node->inputs[i] >= 0) present++;
    if (present > LO_STEP_MAX_INPUTS)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "%d inputs; one step reads at most %d", present, LO_STEP_MAX_INPUTS);
    for (int i = 0; i < node->num_inputs; i++)
        if (node->inputs[i] >= 0) reads[step->num_inputs++] = node->inputs[i];
    if (!row->lower)
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "could not be computed at plan time");
    return row->lower(graph, node, step, reads, err);
}

const lo_op_def *lo_op_lookup(const char *domain, const char *op_type, int opset)
{
    const lo_op_def *best = NULL;
    for (size_t i = 0; i < ROW_COUNT; i++) {
        const lo_op_def *row = &rows[i];
        if (strcmp(row->op_type, op_type) != 0 || !same_domain(row->domain, domain)) continue;
        if (row->since_version <= opset && (!best || row->since_version > best->since_version))
            best = row;
    }
    return best;
}

const lo_op_def *lo_op_rows(size_t *count)
{
    *count = ROW_COUNT;
    return rows;
}

lo_status lo_op_check_node(const lo_graph *graph, const lo_node *node, lo_error *err)
{
    bool default_domain = same_domain(node->domain, "");
    if (default_domain && (node->opset < LO_OPSET_MIN || node->opset > LO_OPSET_MAX))
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "opset %d is outside the supported range %d to %d", node->opset,
                            LO_OPSET_MIN, LO_OPSET_MAX);
    const lo_op_def *row = lo_op_lookup(node->domain, node->op_type, node->opset);
    if (!row) {
        bool known = false;
        for (size_t i = 0; i < ROW_COUNT && !known; i++)
            known = strcmp(rows[i].op_type, node->op_type) == 0 &&
                    same_domain(rows[i].domain, node->domain);
        if (known)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "op version %d (opset %d) is not supported", node->opset,
                                node->opset);
        if (default_domain)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "unsupported op '%s' (opset %d)", node->op_type, node->opset);
        return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                            "unsupported op '%s' in domain '%s'", node->op_type, node->domain);
    }
    for (int a = 0; a < node->num_attrs; a++) {
        const char *name = node->attrs[a].name;
        bool listed = false;
        for (const char *const *known = row->attributes; *known && !listed; known++)
            listed = strcmp(*known, name) == 0;
        if (!listed)
            return lo_node_fail(graph, node, LO_ERR_UNSUPPORTED, err,
                                "attribute '%s' is not defined for %s version %d (opset %d)", name,
                                node->op_type, row->since_version, node->opset);
    }
    return LO_OK;
}
