/* The per-step cost the ABI reports (plan/step_cost.h), against FLOPs and bytes worked out by
 * hand for LeNet's layers and for the other step kinds' counting rules. */
#include <inttypes.h>
#include <string.h>

#include "step_cost.h"
#include "test_util.h"

static lo_shape shape4(int64_t a, int64_t b, int64_t c, int64_t d)
{
    lo_shape s = {4, {a, b, c, d}};
    return s;
}

static lo_shape shape2(int64_t a, int64_t b)
{
    lo_shape s = {2, {a, b}};
    return s;
}

static lo_tensor_ref arena(lo_shape shape)
{
    lo_tensor_ref r;
    memset(&r, 0, sizeof r);
    r.buffer = LO_BUFFER_ARENA;
    r.dtype = LO_DTYPE_FLOAT;
    r.shape = shape;
    return r;
}

static lo_tensor_ref constant(lo_shape shape)
{
    lo_tensor_ref r = arena(shape);
    r.buffer = LO_BUFFER_CONSTANT;
    return r;
}

static lo_step step_of(lo_step_kind kind, lo_shape out)
{
    lo_step s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.output = arena(out);
    return s;
}

/* A LeNet Conv+Relu+MaxPool: 5x5 window, stride 1, no padding, 2x2/2 pool. */
static lo_step lenet_conv(int64_t c, int64_t hw, int64_t m, int64_t pooled)
{
    lo_step s = step_of(LO_STEP_CONV, shape4(1, m, pooled, pooled));
    s.inputs[0] = arena(shape4(1, c, hw, hw));
    s.inputs[1] = constant(shape4(m, c, 5, 5));
    s.inputs[2] = constant((lo_shape){1, {m}});
    s.num_inputs = 3;
    lo_conv_params *p = &s.params.conv;
    p->group = 1;
    p->kernel[0] = p->kernel[1] = 5;
    p->stride[0] = p->stride[1] = 1;
    p->dilation[0] = p->dilation[1] = 1;
    p->has_bias = true;
    p->activation = LO_ACT_RELU;
    p->has_pool = true;
    p->pool.kernel[0] = p->pool.kernel[1] = 2;
    p->pool.stride[0] = p->pool.stride[1] = 2;
    p->pool.dilation[0] = p->pool.dilation[1] = 1;
    return s;
}

static void check_cost(const char *what, const lo_step *step, uint64_t flops, uint64_t read,
                       uint64_t written)
{
    lo_step_cost c = lo_step_cost_of(step);
    CHECK_MSG(c.flops == flops && c.bytes_read == read && c.bytes_written == written,
              "%s: flops %" PRIu64 " (want %" PRIu64 "), read %" PRIu64 " (want %" PRIu64
              "), written %" PRIu64 " (want %" PRIu64 ")",
              what, c.flops, flops, c.bytes_read, read, c.bytes_written, written);
}

static void test_lenet(void)
{
    /* conv1: [1,3,32,32] -> conv [1,16,28,28] -> pool [1,16,14,14].
     * 16*28*28 = 12544 outputs of 3*5*5 = 75 multiply-adds: 1,881,600 FLOPs; bias and Relu
     * 12544 each; the pool compares 3 times for each of 16*14*14 = 3136 outputs: 9408. */
    lo_step conv1 = lenet_conv(3, 32, 16, 14);
    check_cost("conv1", &conv1, 1881600 + 12544 + 12544 + 9408,
               (3 * 32 * 32 + 16 * 3 * 25 + 16) * 4, 16 * 14 * 14 * 4);
    /* conv2: [1,16,14,14] -> conv [1,32,10,10] -> pool [1,32,5,5]: 3200 outputs of 400. */
    lo_step conv2 = lenet_conv(16, 14, 32, 5);
    check_cost("conv2", &conv2, 2560000 + 3200 + 3200 + 800 * 3,
               (16 * 14 * 14 + 32 * 16 * 25 + 32) * 4, 32 * 5 * 5 * 4);
    /* fc1: [1,800] x [120,800]^T + [120], Relu: 96,000 multiply-adds, then 120 + 120. */
    lo_step fc1 = step_of(LO_STEP_GEMM, shape2(1, 120));
    fc1.inputs[0] = arena(shape2(1, 800));
    fc1.inputs[1] = constant(shape2(120, 800));
    fc1.inputs[2] = constant((lo_shape){1, {120}});
    fc1.num_inputs = 3;
    fc1.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, true, true, LO_ACT_RELU, {0, 0, 0}};
    check_cost("fc1", &fc1, 192000 + 240, (800 + 96000 + 120) * 4, 120 * 4);
    /* The head as one chain at batch 2: fc1 (above, twice), fc2 [120 -> 84] and fc3 [84 -> 10],
     * each with its bias and fc2 with its Relu: what the three Gemms cost apart. */
    lo_step head = step_of(LO_STEP_GEMM_CHAIN, shape2(2, 10));
    const lo_shape shapes[7] = {shape2(2, 800),     shape2(120, 800),    (lo_shape){1, {120}},
                                shape2(84, 120),    (lo_shape){1, {84}}, shape2(10, 84),
                                (lo_shape){1, {10}}};
    head.num_inputs = 7;
    for (int i = 0; i < 7; i++)
        head.inputs[i] = i ? constant(shapes[i]) : arena(shapes[i]);
    lo_gemm_chain_params *p = &head.params.gemm_chain;
    p->layers = 3;
    for (int l = 0; l < 3; l++) {
        p->layer[l] = (lo_gemm_params){
            1.0f, 1.0f, false, true, true, l < 2 ? LO_ACT_RELU : LO_ACT_NONE, {0, 0, 0}};
        p->b_input[l] = 1 + 2 * l;
        p->c_input[l] = 2 + 2 * l;
    }
    check_cost("head", &head, 2 * ((192000 + 240) + (2 * 10080 + 168) + (2 * 840 + 10)),
               (1600 + 96000 + 120 + 10080 + 84 + 840 + 10) * 4, 20 * 4);
}

static void test_grouped_strided_conv(void)
{
    /* [2,8,9,9], W [8,2,3,3] in 4 groups, stride 2, pads 1: outputs (9+2-3)/2+1 = 5 per axis;
     * each of 2*8*5*5 = 400 outputs sums 2 channels * 9 taps = 18 multiply-adds. */
    lo_step s = step_of(LO_STEP_CONV, shape4(2, 8, 5, 5));
    s.inputs[0] = arena(shape4(2, 8, 9, 9));
    s.inputs[1] = constant(shape4(8, 2, 3, 3));
    s.num_inputs = 2;
    lo_conv_params *p = &s.params.conv;
    p->group = 4;
    p->kernel[0] = p->kernel[1] = 3;
    p->stride[0] = p->stride[1] = 2;
    p->dilation[0] = p->dilation[1] = 1;
    p->pad_begin[0] = p->pad_begin[1] = p->pad_end[0] = p->pad_end[1] = 1;
    check_cost("grouped conv", &s, 2 * 400 * 18, (2 * 8 * 81 + 8 * 2 * 9) * 4, 400 * 4);
}

static void test_other_kinds(void)
{
    /* Gemm [2,4] x [4,3], alpha 2, beta 0.5, C: 24 multiply-adds, then per output alpha,
     * beta and the add of C. */
    lo_step g = step_of(LO_STEP_GEMM, shape2(2, 3));
    g.inputs[0] = arena(shape2(2, 4));
    g.inputs[1] = constant(shape2(4, 3));
    g.inputs[2] = constant(shape2(1, 3));
    g.num_inputs = 3;
    g.params.gemm = (lo_gemm_params){2.0f, 0.5f, false, false, true, LO_ACT_NONE, {0, 0, 0}};
    check_cost("gemm alpha beta", &g, 48 + 6 * 3, (8 + 12 + 3) * 4, 6 * 4);
    /* trans_a: A is [K,M] = [4,2]. */
    g.inputs[0] = arena(shape2(4, 2));
    g.params.gemm = (lo_gemm_params){1.0f, 1.0f, true, false, false, LO_ACT_NONE, {0, 0, 0}};
    g.num_inputs = 2;
    check_cost("gemm trans_a", &g, 48, (8 + 12) * 4, 6 * 4);

    lo_step mp = step_of(LO_STEP_MAXPOOL, shape4(1, 4, 4, 4));
    mp.inputs[0] = arena(shape4(1, 4, 8, 8));
    mp.num_inputs = 1;
    mp.params.pool.kernel[0] = mp.params.pool.kernel[1] = 2;
    check_cost("maxpool", &mp, 64 * 3, 256 * 4, 64 * 4);
    lo_step ap = mp;
    ap.kind = LO_STEP_AVGPOOL;
    ap.params.pool.kernel[0] = ap.params.pool.kernel[1] = 3;
    check_cost("avgpool", &ap, 64 * 9, 256 * 4, 64 * 4);

    lo_step add = step_of(LO_STEP_BINARY, shape2(2, 3));
    add.inputs[0] = arena(shape2(2, 3));
    add.inputs[1] = constant((lo_shape){1, {3}});
    add.num_inputs = 2;
    add.params.binary.op = LO_BIN_ADD;
    check_cost("add", &add, 6, (6 + 3) * 4, 6 * 4);

    lo_step relu = step_of(LO_STEP_UNARY, shape2(2, 3));
    relu.inputs[0] = arena(shape2(2, 3));
    relu.num_inputs = 1;
    relu.params.unary.op = LO_ACT_RELU;
    check_cost("relu", &relu, 6, 24, 24);

    lo_step copy = relu;
    copy.kind = LO_STEP_COPY;
    check_cost("copy", &copy, 0, 24, 24);

    lo_step sm = step_of(LO_STEP_SOFTMAX, shape2(2, 10));
    sm.inputs[0] = arena(shape2(2, 10));
    sm.num_inputs = 1;
    sm.params.softmax = (lo_softmax_params){2, 10, 1, false};
    check_cost("softmax", &sm, 100, 80, 80);

    lo_step bn = step_of(LO_STEP_BATCHNORM, shape4(1, 3, 4, 4));
    bn.inputs[0] = arena(shape4(1, 3, 4, 4));
    for (int i = 1; i < 5; i++)
        bn.inputs[i] = constant((lo_shape){1, {3}});
    bn.num_inputs = 5;
    check_cost("batchnorm", &bn, 48 * 4, (48 + 4 * 3) * 4, 48 * 4);

    /* MatMul [2,3,5] x [5,4]: 2 batches of 3*4 outputs of 5 multiply-adds. */
    lo_step mm = step_of(LO_STEP_MATMUL, (lo_shape){3, {2, 3, 4}});
    mm.inputs[0] = arena((lo_shape){3, {2, 3, 5}});
    mm.inputs[1] = constant(shape2(5, 4));
    mm.num_inputs = 2;
    mm.params.matmul.m = 3;
    mm.params.matmul.n = 4;
    mm.params.matmul.k = 5;
    mm.params.matmul.batch_rank = 1;
    mm.params.matmul.batch_dims[0] = 2;
    check_cost("matmul", &mm, 2 * 2 * 60, (30 + 20) * 4, 24 * 4);

    lo_step_cost none = lo_step_cost_of(NULL);
    CHECK(none.flops == 0 && none.bytes_read == 0 && none.bytes_written == 0);
}

int main(void)
{
    test_lenet();
    test_grouped_strided_conv();
    test_other_kinds();
    return lo_test_exit_code();
}
