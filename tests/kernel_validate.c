/* The core's step validation (plugin/plan/step_validate.c): valid steps of every kind pass
 * (the random cases of the other files pass it too, in batch_add), and each broken variant
 * here fails with a message that names the node, its label and what is wrong. */
#include "kernel_harness.h"

#include <string.h>

/* Each arena tensor in a region of its own, so none overlaps another unless a case says so. */
static lo_tensor_ref arena(lo_dtype dtype, lo_shape shape)
{
    static size_t next_offset;
    next_offset += 1u << 16;
    return (lo_tensor_ref){LO_BUFFER_ARENA, dtype, next_offset, 0, shape};
}

static lo_tensor_ref constant(int index, lo_shape shape)
{
    return (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, index, shape};
}

static lo_step make_step(lo_step_kind kind, const char *label)
{
    lo_step st;
    memset(&st, 0, sizeof st);
    st.kind = kind;
    st.node_name = "n1";
    snprintf(st.label, sizeof st.label, "%s", label);
    return st;
}

static void expect_valid(const lo_step *st, const char *what)
{
    lo_error err = {0};
    CHECK_MSG(lo_step_validate(st, &err) == LO_OK, "%s: %s", what, err.message);
}

/* Fails with LO_ERR_MODEL, a message starting "node 'n1' (<label>): " and holding `words`. */
static void expect_invalid(const lo_step *st, const char *what, const char *words)
{
    lo_error err = {0};
    char prefix[96];
    snprintf(prefix, sizeof prefix, "node 'n1' (%s): ", st->label);
    const lo_status status = lo_step_validate(st, &err);
    CHECK_MSG(status == LO_ERR_MODEL, "%s: accepted or wrong status %d", what, (int)status);
    CHECK_MSG(strncmp(err.message, prefix, strlen(prefix)) == 0 && strstr(err.message, words),
              "%s: message '%s' lacks '%s%s'", what, err.message, prefix, words);
}

static lo_step conv_step(void)
{
    lo_step st = make_step(LO_STEP_CONV, "Conv+Relu");
    st.params.conv = conv_params(2, 3, 3);
    st.params.conv.pad_begin[0] = st.params.conv.pad_end[0] = 1;
    st.params.conv.has_bias = true;
    st.params.conv.activation = LO_ACT_RELU;
    st.num_inputs = 3;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape4(1, 4, 5, 6));
    st.inputs[1] = constant(0, ref_shape4(6, 2, 3, 3));
    st.inputs[2] = constant(1, ref_shape1(6));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape4(1, 6, 5, 4));
    return st;
}

static lo_step pool_step(lo_step_kind kind, lo_dtype dtype)
{
    lo_step st = make_step(kind, kind == LO_STEP_MAXPOOL ? "MaxPool" : "AveragePool");
    lo_pool_params *p = &st.params.pool;
    p->kernel[0] = p->kernel[1] = 3;
    p->stride[0] = p->stride[1] = 2;
    p->dilation[0] = p->dilation[1] = 1;
    st.num_inputs = 1;
    st.inputs[0] = arena(dtype, ref_shape4(2, 3, 4, 4));
    /* (4 - 3) / 2 + 1 = 1 with floor, 2 with ceil_mode */
    st.output = arena(dtype, ref_shape4(2, 3, 2, 1));
    return st;
}

static lo_step gemm_step(void)
{
    lo_step st = make_step(LO_STEP_GEMM, "Gemm");
    st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, true, true, LO_ACT_NONE, {0, 0, 0}};
    st.num_inputs = 3;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(4, 7));
    st.inputs[1] = constant(0, ref_shape2(5, 7));
    st.inputs[2] = constant(1, ref_shape2(4, 1));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape2(4, 5));
    return st;
}

static lo_step binary_step(void)
{
    lo_step st = make_step(LO_STEP_BINARY, "Add");
    st.params.binary.op = LO_BIN_ADD;
    st.params.binary.a_strides[0] = 3;
    st.params.binary.a_strides[1] = 1;
    st.params.binary.b_strides[1] = 1; /* B [3] broadcast over rows */
    st.num_inputs = 2;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(2, 3));
    st.inputs[1] = arena(LO_DTYPE_FLOAT, ref_shape1(3));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape2(2, 3));
    return st;
}

static lo_step matmul_step(void)
{
    lo_step st = make_step(LO_STEP_MATMUL, "MatMul");
    lo_matmul_params *p = &st.params.matmul;
    p->m = 2;
    p->k = 3;
    p->n = 4;
    p->batch_rank = 1;
    p->batch_dims[0] = 5;
    p->a_strides[0] = 6;
    p->b_strides[0] = 0; /* B is one matrix, broadcast */
    st.num_inputs = 2;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){5, 2, 3}));
    st.inputs[1] = arena(LO_DTYPE_FLOAT, ref_shape2(3, 4));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){5, 2, 4}));
    return st;
}

static void conv_checks(void)
{
    lo_step st = conv_step();
    expect_valid(&st, "conv");
    st = conv_step();
    st.params.conv.pad_begin[1] = -1;
    expect_invalid(&st, "conv negative pad", "non-negative");
    st = conv_step();
    st.params.conv.stride[0] = 0;
    expect_invalid(&st, "conv zero stride", "positive");
    st = conv_step();
    st.inputs[1].shape.dims[1] = 4; /* C, not C / group */
    expect_invalid(&st, "conv W channels", "inconsistent shapes");
    st = conv_step();
    st.output.shape.dims[3] = 5;
    expect_invalid(&st, "conv output width", "output size 5, expected 4");
    st = conv_step();
    st.inputs[2].shape.dims[0] = 5;
    expect_invalid(&st, "conv bias", "bias [5]");
    st = conv_step();
    st.num_inputs = 2;
    expect_invalid(&st, "conv bias missing", "2 inputs, expected 3");
    st = conv_step();
    st.inputs[0].shape.dims[2] = -1;
    expect_invalid(&st, "conv dynamic input", "non-static shape");
    st = conv_step();
    st.output.buffer = LO_BUFFER_CONSTANT;
    expect_invalid(&st, "conv output in a constant", "not placed in the arena");
    st = conv_step();
    st.inputs[1].dtype = LO_DTYPE_UINT8;
    expect_invalid(&st, "conv uint8 weights", "input 1 is uint8");
    st = conv_step();
    st.params.conv.activation = (lo_activation)42;
    expect_invalid(&st, "conv activation", "unknown activation 42");
    st = conv_step();
    st.output.offset = st.inputs[0].offset + 64;
    expect_invalid(&st, "conv over its input", "cannot run in place");
}

static void in_place_checks(void)
{
    lo_step st = make_step(LO_STEP_UNARY, "Relu");
    st.params.unary.op = LO_ACT_RELU;
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(3, 4));
    st.output = st.inputs[0];
    st.output.shape = ref_shape1(12);
    expect_valid(&st, "relu in place");
    st.output.offset += 4;
    expect_invalid(&st, "relu shifted by one element", "without being exactly in place");

    st = binary_step();
    st.inputs[1].shape = ref_shape2(2, 3);
    st.params.binary.b_strides[0] = 3;
    st.output.offset = st.inputs[1].offset;
    expect_valid(&st, "binary in place over B");
    st.params.binary.b_strides[0] = 0;
    st.inputs[1].shape = ref_shape1(3);
    expect_invalid(&st, "binary in place over a broadcast B", "without being exactly in place");

    st = make_step(LO_STEP_TRANSPOSE, "Transpose");
    st.params.transpose = (lo_transpose_params){{1, 0}};
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(2, 3));
    st.output = st.inputs[0];
    st.output.shape = ref_shape2(3, 2);
    expect_invalid(&st, "transpose in place", "cannot run in place");
}

static void pool_checks(void)
{
    lo_step st = pool_step(LO_STEP_MAXPOOL, LO_DTYPE_UINT8);
    expect_valid(&st, "uint8 maxpool, ceil size");
    st.output.shape.dims[2] = 3;
    expect_invalid(&st, "maxpool past the ceil size", "output size 3");
    st = pool_step(LO_STEP_MAXPOOL, LO_DTYPE_UINT8);
    st.output.dtype = LO_DTYPE_FLOAT;
    expect_invalid(&st, "maxpool uint8 to float", "input 0 is uint8 but the output float");
    st = pool_step(LO_STEP_AVGPOOL, LO_DTYPE_UINT8);
    expect_invalid(&st, "uint8 averagepool", "this step takes float");
    st = pool_step(LO_STEP_AVGPOOL, LO_DTYPE_FLOAT);
    expect_valid(&st, "averagepool");
    st.output.shape.dims[1] = 4;
    expect_invalid(&st, "averagepool channels", "differ in C");
    st = pool_step(LO_STEP_AVGPOOL, LO_DTYPE_FLOAT);
    st.params.pool.kernel[0] = 7;
    expect_invalid(&st, "window larger than the padded input", "does not fit");
}

/* A [3,5] through 5 -> 6 (B [5,6], C [6]) -> 4 (B [4,6] transposed, no C). */
static lo_step chain_step(void)
{
    lo_step st = make_step(LO_STEP_GEMM_CHAIN, "Gemm+Relu>Gemm");
    lo_gemm_chain_params *p = &st.params.gemm_chain;
    p->layers = 2;
    p->layer[0] = (lo_gemm_params){1.0f, 1.0f, false, false, true, LO_ACT_RELU, {0, 0, 0}};
    p->layer[1] = (lo_gemm_params){1.0f, 1.0f, false, true, false, LO_ACT_NONE, {0, 0, 0}};
    p->b_input[0] = 1;
    p->c_input[0] = 2;
    p->b_input[1] = 3;
    st.num_inputs = 4;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(3, 5));
    st.inputs[1] = constant(0, ref_shape2(5, 6));
    st.inputs[2] = constant(1, ref_shape1(6));
    st.inputs[3] = constant(2, ref_shape2(4, 6));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape2(3, 4));
    return st;
}

static void matrix_checks(void)
{
    lo_step st = gemm_step();
    expect_valid(&st, "gemm");
    st.params.gemm.trans_b = false;
    expect_invalid(&st, "gemm without trans_b", "do not make Y");
    st = gemm_step();
    st.inputs[2].shape = ref_shape2(2, 5);
    expect_invalid(&st, "gemm C", "does not broadcast to [4,5]");
    st = matmul_step();
    expect_valid(&st, "matmul");
    st.params.matmul.a_strides[0] = 7; /* the last matrix ends past A */
    expect_invalid(&st, "matmul strides", "does not fit its tensors");
    st = matmul_step();
    st.params.matmul.n = 3;
    expect_invalid(&st, "matmul output size", "does not fit its tensors");

    st = chain_step();
    expect_valid(&st, "gemm chain");
    st.params.gemm_chain.layers = 4;
    expect_invalid(&st, "gemm chain of 4 layers", "4 layers");
    st = chain_step();
    st.params.gemm_chain.layer[1].trans_a = true;
    expect_invalid(&st, "gemm chain trans_a", "layer 1 has trans_a set");
    st = chain_step();
    st.inputs[3] = arena(LO_DTYPE_FLOAT, st.inputs[3].shape);
    expect_invalid(&st, "gemm chain B in the arena", "layer 1: B is not a constant");
    st = chain_step();
    st.inputs[3].shape = ref_shape2(4, 7);
    expect_invalid(&st, "gemm chain widths", "does not take 6 inputs");
    st = chain_step();
    st.inputs[2].shape = ref_shape2(3, 6);
    expect_invalid(&st, "gemm chain C per row", "C [3,6] is not one value");
    st = chain_step();
    st.params.gemm_chain.c_input[0] = 0;
    expect_invalid(&st, "gemm chain input order", "layer 0 names inputs 1 and 0");
    st = chain_step();
    st.output.shape = ref_shape2(3, 5);
    expect_invalid(&st, "gemm chain output", "expected 4 inputs and 4 columns");
}

static void elementwise_checks(void)
{
    lo_step st = binary_step();
    expect_valid(&st, "binary");
    st.params.binary.b_strides[0] = 1; /* B has 3 elements: row 1 + column 2 reaches 3 */
    expect_invalid(&st, "binary strides", "reach past");
    st = binary_step();
    st.params.binary.op = (lo_binary_op)9;
    expect_invalid(&st, "binary op", "unknown binary op 9");

    st = make_step(LO_STEP_UNARY, "Clip");
    st.params.unary = (lo_unary_params){LO_ACT_CLIP, 0.0f, -1.0f, 1.0f, 1, 0};
    st.num_inputs = 2;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(3, 4));
    st.inputs[1] = constant(0, ref_shape(0, NULL));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape1(12));
    expect_valid(&st, "clip with a run-time bound");
    st.params.unary.max_input = 2;
    expect_invalid(&st, "clip bound past the inputs", "upper bound names input 2");

    st = make_step(LO_STEP_SOFTMAX, "Softmax");
    st.params.softmax = (lo_softmax_params){2, 3, 4, false};
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){2, 3, 4}));
    st.output = arena(LO_DTYPE_FLOAT, st.inputs[0].shape);
    expect_valid(&st, "softmax");
    st.params.softmax.inner = 5;
    expect_invalid(&st, "softmax sizes", "[2,3,5] does not hold 24 elements");

    st = make_step(LO_STEP_BATCHNORM, "BatchNormalization");
    st.params.batchnorm = (lo_batchnorm_params){3, 4, 1e-5f};
    st.num_inputs = 5;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){2, 3, 4}));
    for (int i = 1; i < 5; i++)
        st.inputs[i] = constant(i - 1, ref_shape1(3));
    st.output = st.inputs[0];
    expect_valid(&st, "batchnorm in place");
    st.inputs[3].shape = ref_shape1(4);
    expect_invalid(&st, "batchnorm mean", "input 3 does not hold 3 values");

    st = make_step(LO_STEP_COPY, "Copy");
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_UINT8, ref_shape2(3, 4));
    st.output = arena(LO_DTYPE_UINT8, ref_shape1(12));
    expect_valid(&st, "uint8 copy");
    st.output.shape = ref_shape1(11);
    expect_invalid(&st, "copy sizes", "12 elements but the output 11");
}

static void layout_checks(void)
{
    lo_step st = make_step(LO_STEP_CONCAT, "Concat");
    st.params.concat.axis = 1;
    st.num_inputs = 2;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(2, 3));
    st.inputs[1] = constant(0, ref_shape2(2, 1));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape2(2, 4));
    expect_valid(&st, "concat");
    st.inputs[1].shape = ref_shape2(3, 1);
    expect_invalid(&st, "concat off-axis dim", "input 1's dims off axis 1");
    st.inputs[1].shape = ref_shape2(2, 2);
    expect_invalid(&st, "concat axis sum", "hold 5 along axis 1");
    st.params.concat.axis = 2;
    expect_invalid(&st, "concat axis", "axis 2 outside");

    st = make_step(LO_STEP_TRANSPOSE, "Transpose");
    st.params.transpose = (lo_transpose_params){{2, 0, 1}};
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){2, 3, 4}));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape(3, (const int64_t[]){4, 2, 3}));
    expect_valid(&st, "transpose");
    st.params.transpose.perm[2] = 0;
    expect_invalid(&st, "transpose repeated axis", "not a permutation");

    st = make_step(LO_STEP_PAD, "Pad");
    st.params.pad.pad_begin[0] = 1;
    st.params.pad.pad_end[1] = -2;
    st.num_inputs = 1;
    st.inputs[0] = arena(LO_DTYPE_FLOAT, ref_shape2(2, 3));
    st.output = arena(LO_DTYPE_FLOAT, ref_shape2(3, 1));
    expect_valid(&st, "pad and crop");
    st.output.shape = ref_shape(3, (const int64_t[]){3, 1, 1});
    expect_invalid(&st, "pad rank", "input rank 2 and output rank 3 differ");
}

void validator_checks(void)
{
    conv_checks();
    in_place_checks();
    pool_checks();
    matrix_checks();
    elementwise_checks();
    layout_checks();
}
