/* The oracle's own checks: ref_ops.c against values worked out by hand and the ONNX
 * operator documentation's examples, so the reference the backends are held to is itself
 * held to the spec. */
#include "kernel_harness.h"

#include <math.h>
#include <string.h>

static bool near(float got, double want)
{
    return fabs((double)got - want) <= 1e-5 * fmax(1.0, fabs(want));
}

void oracle_self_checks(void)
{
    /* Output-size formulas against the ONNX operator docs' examples. */
    CHECK(ref_conv_out_dim(7, 3, 2, 1, 1, 1) == 4); /* conv_with_strides_padding */
    CHECK(ref_conv_out_dim(7, 3, 2, 1, 0, 0) == 3); /* conv_with_strides_no_padding */
    CHECK(ref_conv_out_dim(5, 3, 1, 1, 1, 1) == 5);
    CHECK(ref_conv_out_dim(5, 3, 1, 2, 0, 0) == 1); /* dilated extent 5 */
    CHECK(ref_conv_out_dim(4, 3, 1, 2, 0, 0) == 0);
    CHECK(ref_pool_out_dim(32, 2, 1, 1, 0, 0, false) == 31); /* maxpool_2d_default */
    CHECK(ref_pool_out_dim(4, 3, 2, 1, 0, 0, true) == 2);    /* maxpool_2d_ceil */
    CHECK(ref_pool_out_dim(4, 3, 2, 1, 0, 0, false) == 1);
    CHECK(ref_pool_out_dim(5, 5, 1, 1, 2, 2, false) == 5); /* maxpool_2d_pads */
    /* The ceil rule: windows start at -1, 1, 3, 5; the last starts in the right padding. */
    CHECK(ref_pool_out_dim(5, 2, 2, 1, 1, 1, true) == 3);
    CHECK(ref_pool_out_dim(6, 2, 2, 1, 1, 1, true) == 4);

    /* ONNX's averagepool_2d_ceil: 1..16 as 4x4, 3x3 windows, stride 2, ceil_mode; the last
     * row and column of windows are clipped to 2 pixels and divide by what they hold. */
    {
        float x[16], y[4];
        for (int i = 0; i < 16; i++)
            x[i] = (float)(i + 1);
        lo_pool_params p;
        memset(&p, 0, sizeof p);
        p.kernel[0] = p.kernel[1] = 3;
        p.stride[0] = p.stride[1] = 2;
        p.dilation[0] = p.dilation[1] = 1;
        lo_shape xs = ref_shape4(1, 1, 4, 4), ys = ref_shape4(1, 1, 2, 2);
        CHECK(ref_avgpool(&p, &xs, x, &ys, y) == 0);
        CHECK(y[0] == 6.0f && y[1] == 7.5f && y[2] == 12.0f && y[3] == 13.5f);
        /* averagepool_2d_pads_count_include_pad's corner: 3x3 window at pad 2, 5x5 kernel. */
        p.kernel[0] = p.kernel[1] = 5;
        p.stride[0] = p.stride[1] = 1;
        p.pad_begin[0] = p.pad_begin[1] = p.pad_end[0] = p.pad_end[1] = 2;
        float x4[16], y4[16];
        for (int i = 0; i < 16; i++)
            x4[i] = 1.0f;
        lo_shape ys4 = ref_shape4(1, 1, 4, 4);
        p.count_include_pad = true;
        CHECK(ref_avgpool(&p, &xs, x4, &ys4, y4) == 0 && near(y4[0], 9.0 / 25.0));
        p.count_include_pad = false;
        CHECK(ref_avgpool(&p, &xs, x4, &ys4, y4) == 0 && y4[0] == 1.0f);
    }
    /* Transpose of a 2x3 matrix, a pad that crops one side and pads the other, a concat. */
    {
        const float x[6] = {1, 2, 3, 4, 5, 6};
        float y[12];
        lo_transpose_params tp = {{1, 0}};
        lo_shape s23 = ref_shape2(2, 3), s32 = ref_shape2(3, 2);
        CHECK(ref_transpose(&tp, &s23, x, &s32, y) == 0);
        CHECK(y[0] == 1 && y[1] == 4 && y[2] == 2 && y[3] == 5 && y[4] == 3 && y[5] == 6);
        lo_pad_params pp;
        memset(&pp, 0, sizeof pp);
        pp.pad_begin[1] = -1;
        pp.pad_end[1] = 2;
        pp.value = 9.0f;
        lo_shape s24 = ref_shape2(2, 4);
        CHECK(ref_pad(&pp, &s23, x, &s24, y) == 0);
        CHECK(y[0] == 2 && y[1] == 3 && y[2] == 9 && y[3] == 9 && y[4] == 5 && y[7] == 9);
        lo_concat_params cp = {1};
        const lo_shape shapes[2] = {s23, ref_shape2(2, 1)};
        const float z[2] = {7, 8};
        const float *ins[2] = {x, z};
        CHECK(ref_concat(&cp, 2, shapes, ins, &s24, y) == 0);
        CHECK(y[0] == 1 && y[2] == 3 && y[3] == 7 && y[4] == 4 && y[7] == 8);
    }

    /* A 1x1 conv is a matrix multiply: Y[m, p] = sum_c W[m, c] * X[c, p]. */
    {
        enum { C = 3, M = 4, H = 2, W = 5 };
        float x[C * H * W], w[M * C], y_conv[M * H * W], y_gemm[M * H * W];
        ref_fill_f32(&rng, x, C * H * W, -1, 1);
        ref_fill_f32(&rng, w, M * C, -1, 1);
        lo_conv_params p = conv_params(1, 1, 1);
        lo_shape xs = ref_shape4(1, C, H, W), ws = ref_shape4(M, C, 1, 1),
                 ys = ref_shape4(1, M, H, W);
        CHECK(ref_conv(&p, &xs, x, &ws, w, NULL, &ys, y_conv) == 0);
        lo_gemm_params g = {1.0f, 1.0f, false, false, false, LO_ACT_NONE, {0, 0, 0}};
        lo_shape as = ref_shape2(M, C), bs = ref_shape2(C, H * W), os = ref_shape2(M, H * W);
        CHECK(ref_gemm(&g, &as, w, &bs, x, NULL, NULL, &os, y_gemm) == 0);
        bool same = true;
        for (int i = 0; i < M * H * W; i++) {
            double want = 0;
            for (int c = 0; c < C; c++)
                want += (double)w[(i / (H * W)) * C + c] * x[c * H * W + i % (H * W)];
            same = same && near(y_conv[i], want) && near(y_gemm[i], want);
        }
        CHECK_MSG(same, "1x1 conv and gemm disagree with the hand loop");
    }

    /* A 3x3 all-ones kernel with pad 1 on a constant image: 9v inside, 6v on edges, 4v in
     * corners; plus a bias and Relu on a negative image giving zero. */
    {
        enum { H = 4, W = 5 };
        float x[H * W], w[9], y[H * W], b = 0.5f;
        for (int i = 0; i < H * W; i++)
            x[i] = 2.0f;
        for (int i = 0; i < 9; i++)
            w[i] = 1.0f;
        lo_conv_params p = conv_params(1, 3, 3);
        p.pad_begin[0] = p.pad_begin[1] = p.pad_end[0] = p.pad_end[1] = 1;
        p.has_bias = true;
        lo_shape xs = ref_shape4(1, 1, H, W), ws = ref_shape4(1, 1, 3, 3),
                 ys = ref_shape4(1, 1, H, W);
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0);
        CHECK(near(y[0], 8.5) && near(y[W - 1], 8.5) && near(y[H * W - 1], 8.5));
        CHECK(near(y[1], 12.5) && near(y[W], 12.5));
        CHECK(near(y[W + 1], 18.5) && near(y[2 * W + 3], 18.5));
        for (int i = 0; i < H * W; i++)
            x[i] = -1.0f;
        p.activation = LO_ACT_RELU;
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0);
        CHECK(y[0] == 0.0f && y[W + 1] == 0.0f);
        /* Fused activations of the corner's -4 + 0.5: Sigmoid 1/(1+e^3.5), Tanh tanh(-3.5),
         * LeakyRelu(0.25) -0.875, Clip to [-2, 3] -2 and to [-5, -4] (max wins) -4. */
        p.activation = LO_ACT_SIGMOID;
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0 && near(y[0], 0.0293122307514));
        p.activation = LO_ACT_TANH;
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0 && near(y[0], -0.998177897611));
        p.activation = LO_ACT_LEAKY_RELU;
        p.activation_args.alpha = 0.25f;
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0 && y[0] == -0.875f);
        p.activation = LO_ACT_CLIP;
        p.activation_args = (lo_activation_args){0.0f, -2.0f, 3.0f};
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0 && y[0] == -2.0f);
        p.activation_args = (lo_activation_args){0.0f, -5.0f, -4.0f};
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &ys, y) == 0 && y[0] == -4.0f);
        p.activation = LO_ACT_RELU;
        /* A wrong output shape is rejected. */
        lo_shape bad = ref_shape4(1, 1, H, W + 1);
        CHECK(ref_conv(&p, &xs, x, &ws, w, &b, &bad, y) != 0);
    }

    /* Grouped conv equals one conv per group on channel slices. */
    {
        enum { C = 4, M = 6, H = 5, W = 6 };
        float x[C * H * W], w[M * (C / 2) * 9], b[M], y[M * H * W], part[(M / 2) * H * W];
        ref_fill_f32(&rng, x, C * H * W, -1, 1);
        ref_fill_f32(&rng, w, M * (C / 2) * 9, -1, 1);
        ref_fill_f32(&rng, b, M, -1, 1);
        lo_conv_params p = conv_params(2, 3, 3);
        p.pad_begin[0] = 1;
        p.pad_end[1] = 2;
        p.stride[1] = 2;
        p.has_bias = true;
        const int64_t oh = ref_conv_out_dim(H, 3, 1, 1, 1, 0);
        const int64_t ow = ref_conv_out_dim(W, 3, 2, 1, 0, 2);
        lo_shape xs = ref_shape4(1, C, H, W), ws = ref_shape4(M, C / 2, 3, 3),
                 ys = ref_shape4(1, M, oh, ow);
        CHECK(ref_conv(&p, &xs, x, &ws, w, b, &ys, y) == 0);
        lo_conv_params p1 = p;
        p1.group = 1;
        lo_shape xs1 = ref_shape4(1, C / 2, H, W), ws1 = ref_shape4(M / 2, C / 2, 3, 3),
                 ys1 = ref_shape4(1, M / 2, oh, ow);
        bool same = true;
        for (int g = 0; g < 2; g++) {
            CHECK(ref_conv(&p1, &xs1, x + g * (C / 2) * H * W, &ws1, w + g * (M / 2) * (C / 2) * 9,
                           b + g * (M / 2), &ys1, part) == 0);
            for (int64_t i = 0; i < (M / 2) * oh * ow; i++)
                same = same && y[g * (M / 2) * oh * ow + i] == part[i];
        }
        CHECK_MSG(same, "group conv differs from per-group convs");
    }

    /* Max pool of an ascending ramp picks each window's bottom-right element; ceil mode adds a
     * clipped last window; uint8 the same. */
    {
        enum { H = 5, W = 5 };
        float x[H * W], y[9];
        uint8_t xu[H * W], yu[9];
        for (int i = 0; i < H * W; i++) {
            x[i] = (float)i;
            xu[i] = (uint8_t)(i * 10);
        }
        lo_pool_params p;
        memset(&p, 0, sizeof p);
        p.kernel[0] = p.kernel[1] = 2;
        p.stride[0] = p.stride[1] = 2;
        p.dilation[0] = p.dilation[1] = 1;
        lo_shape xs = ref_shape4(1, 1, H, W), floor_s = ref_shape4(1, 1, 2, 2),
                 ceil_s = ref_shape4(1, 1, 3, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &floor_s, y) == 0);
        CHECK(y[0] == 6 && y[1] == 8 && y[2] == 16 && y[3] == 18);
        CHECK(ref_maxpool_f32(&p, &xs, x, &ceil_s, y) == 0);
        CHECK(y[2] == 9 && y[5] == 19 && y[6] == 21 && y[8] == 24);
        CHECK(ref_maxpool_u8(&p, &xs, xu, &ceil_s, yu) == 0);
        CHECK(yu[0] == 60 && yu[8] == 240);
        lo_shape too_big = ref_shape4(1, 1, 4, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &too_big, y) != 0);
        /* Padding never wins: all-negative input with pads. */
        for (int i = 0; i < H * W; i++)
            x[i] = -100.0f - (float)i;
        p.pad_begin[0] = p.pad_begin[1] = 1;
        lo_shape ps = ref_shape4(1, 1, 3, 3);
        CHECK(ref_maxpool_f32(&p, &xs, x, &ps, y) == 0);
        CHECK(y[0] == -100.0f && y[4] == -106.0f);
    }

    /* Gemm by hand: A = [[1,2],[3,4]], B = [[5,6],[7,8]]. */
    {
        const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c_row[2] = {10, 20};
        const float c_col[2] = {-1, 1}, c_scalar = 3;
        float y[4];
        lo_shape s22 = ref_shape2(2, 2), s2 = ref_shape1(2), s21 = ref_shape2(2, 1),
                 s0 = ref_shape(0, NULL);
        lo_gemm_params g = {1.0f, 1.0f, false, false, false, LO_ACT_NONE, {0, 0, 0}};
        CHECK(ref_gemm(&g, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 19 && y[1] == 22 && y[2] == 43 && y[3] == 50);
        g.alpha = 2.0f;
        g.beta = 0.5f;
        g.has_c = true;
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s2, c_row, &s22, y) == 0);
        CHECK(y[0] == 43 && y[1] == 54 && y[2] == 91 && y[3] == 110);
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s21, c_col, &s22, y) == 0);
        CHECK(y[0] == 37.5f && y[1] == 43.5f && y[2] == 86.5f && y[3] == 100.5f);
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s0, &c_scalar, &s22, y) == 0);
        CHECK(y[0] == 39.5f && y[3] == 101.5f);
        lo_gemm_params t = {1.0f, 1.0f, true, false, false, LO_ACT_NONE, {0, 0, 0}};
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 26 && y[1] == 30 && y[2] == 38 && y[3] == 44);
        t.trans_a = false;
        t.trans_b = true;
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 17 && y[1] == 23 && y[2] == 39 && y[3] == 53);
        t.trans_a = true;
        t.alpha = -1.0f;
        t.activation = LO_ACT_RELU;
        CHECK(ref_gemm(&t, &s22, a, &s22, b, NULL, NULL, &s22, y) == 0);
        CHECK(y[0] == 0 && y[3] == 0);
        /* A 1x3 by 3x1 product through the dispatcher; C of a wrong size is rejected. */
        lo_step st;
        memset(&st, 0, sizeof st);
        st.kind = LO_STEP_GEMM;
        st.params.gemm = (lo_gemm_params){1.0f, 1.0f, false, false, false, LO_ACT_NONE, {0, 0, 0}};
        st.num_inputs = 2;
        st.inputs[0] = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, ref_shape2(1, 3)};
        st.inputs[1] = (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, 0, ref_shape2(3, 1)};
        st.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, ref_shape2(1, 1)};
        const float va[3] = {1, 2, 3}, vb[3] = {4, 5, 6};
        const void *ins[2] = {va, vb};
        CHECK(ref_run_step(&st, ins, y) == 0 && y[0] == 32);
        lo_shape s3 = ref_shape1(3);
        g.has_c = true;
        CHECK(ref_gemm(&g, &s22, a, &s22, b, &s3, va, &s22, y) != 0);
    }

    /* A two-layer chain through the dispatcher, worked by hand: [1,2] -> x [[1,-1],[2,1]] + [0,-5],
     * ReLU -> [5,0]; then x [[1],[1]] (B given as [1,2], trans_b) * 2 + 3 * 1 -> 13. */
    {
        lo_step st;
        memset(&st, 0, sizeof st);
        st.kind = LO_STEP_GEMM_CHAIN;
        lo_gemm_chain_params *p = &st.params.gemm_chain;
        p->layers = 2;
        p->layer[0] = (lo_gemm_params){1.0f, 1.0f, false, false, true, LO_ACT_RELU, {0, 0, 0}};
        p->layer[1] = (lo_gemm_params){2.0f, 3.0f, false, true, true, LO_ACT_NONE, {0, 0, 0}};
        p->b_input[0] = 1;
        p->c_input[0] = 2;
        p->b_input[1] = 3;
        p->c_input[1] = 4;
        st.num_inputs = 5;
        const lo_shape shapes[5] = {ref_shape2(1, 2), ref_shape2(2, 2), ref_shape1(2),
                                    ref_shape2(1, 2), ref_shape(0, NULL)};
        for (int i = 0; i < 5; i++)
            st.inputs[i] = (lo_tensor_ref){i ? LO_BUFFER_CONSTANT : LO_BUFFER_ARENA, LO_DTYPE_FLOAT,
                                           0, i, shapes[i]};
        st.output = (lo_tensor_ref){LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, ref_shape2(1, 1)};
        const float a[2] = {1, 2}, b0[4] = {1, -1, 2, 1}, c0[2] = {0, -5}, b1[2] = {1, 1},
                    c1[1] = {1};
        const void *ins[5] = {a, b0, c0, b1, c1};
        float y[1] = {0};
        CHECK(ref_run_step(&st, ins, y) == 0 && y[0] == 13.0f);
    }

    /* Relu and copy. */
    {
        const float x[5] = {-1.5f, 0.0f, 2.0f, -0.0f, 1e-30f};
        float y[5];
        lo_unary_params u = {LO_ACT_RELU, 0, 0, 0, 0, 0};
        lo_shape s = ref_shape1(5);
        CHECK(ref_unary(&u, &s, x, y) == 0);
        CHECK(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3] == 0 && y[4] == 1e-30f);
        lo_shape s51 = ref_shape2(5, 1), s6 = ref_shape1(6);
        CHECK(ref_copy(&s, &s51, 4, x, y) == 0 && memcmp(x, y, sizeof x) == 0);
        CHECK(ref_copy(&s, &s6, 4, x, y) != 0);
    }

    /* The other activations, on values worked out by hand. */
    {
        const float x[4] = {-2.0f, 0.0f, 0.5f, 3.0f};
        float y[4];
        lo_shape s = ref_shape1(4);
        lo_unary_params u = {LO_ACT_SIGMOID, 0, 0, 0, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[1], 0.5) && near(y[3], 0.95257412682));
        u.op = LO_ACT_TANH;
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[0], -0.96402758007) && y[1] == 0);
        u = (lo_unary_params){LO_ACT_LEAKY_RELU, 0.1f, 0, 0, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && near(y[0], -0.2) && y[3] == 3);
        u = (lo_unary_params){LO_ACT_CLIP, 0, -1.0f, 1.0f, 0, 0};
        CHECK(ref_unary(&u, &s, x, y) == 0 && y[0] == -1 && y[2] == 0.5f && y[3] == 1);
        u = (lo_unary_params){LO_ACT_CLIP, 0, 2.0f, 1.0f, 0, 0}; /* ONNX, numpy: max wins */
        CHECK(ref_unary(&u, &s, x, y) == 0 && y[0] == 1 && y[1] == 1 && y[2] == 1 && y[3] == 1);
    }

    /* Binary: [2,3] - [3] (B's strides 0 along rows), and PRelu with a per-row slope. */
    {
        const float a[6] = {1, 2, 3, -4, -5, -6}, b[3] = {1, 10, 100};
        float y[6];
        lo_shape s23 = ref_shape2(2, 3), s3 = ref_shape1(3), s21 = ref_shape2(2, 1);
        lo_binary_params p;
        memset(&p, 0, sizeof p);
        p.op = LO_BIN_SUB;
        p.a_strides[0] = 3;
        p.a_strides[1] = 1;
        p.b_strides[1] = 1;
        CHECK(ref_binary(&p, &s23, a, &s3, b, &s23, y) == 0 && y[0] == 0 && y[5] == -106);
        p.op = LO_BIN_PRELU;
        p.b_strides[0] = 1;
        p.b_strides[1] = 0;
        CHECK(ref_binary(&p, &s23, a, &s21, b, &s23, y) == 0 && y[2] == 3 && y[3] == -40);
        p.b_strides[0] = 3; /* reaches past B's two values */
        CHECK(ref_binary(&p, &s23, a, &s21, b, &s23, y) != 0);
    }

    /* Softmax over [1,2] rows of a [2,2]; log form; large inputs stay finite. */
    {
        const float x[4] = {0.0f, 0.0f, 1000.0f, 1001.0f};
        float y[4];
        lo_shape s = ref_shape2(2, 2);
        lo_softmax_params p = {2, 2, 1, false};
        CHECK(ref_softmax(&p, &s, x, y) == 0 && near(y[0], 0.5) && near(y[3], 0.73105857863));
        p.log = true;
        CHECK(ref_softmax(&p, &s, x, y) == 0 && near(y[2], -1.31326168752));
    }

    /* BatchNormalization of two channels of [1,2,2]; MatMul [2,2,3] x [3] (batched by vector). */
    {
        const float x[4] = {1, 3, 10, 20}, scale[2] = {2, 1}, bias[2] = {0, 1}, mean[2] = {2, 10},
                    var[2] = {4, 1};
        float y[4];
        lo_shape s = ref_shape(3, (const int64_t[]){1, 2, 2});
        lo_batchnorm_params p = {2, 2, 0.0f};
        CHECK(ref_batchnorm(&p, &s, x, scale, bias, mean, var, y) == 0 && near(y[0], -1) &&
              near(y[1], 1) && near(y[2], 1) && near(y[3], 11));
        const float a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, v[3] = {1, 0, -1};
        lo_shape as = ref_shape(3, (const int64_t[]){2, 2, 3}), vs = ref_shape1(3),
                 ys = ref_shape2(2, 2);
        CHECK(ref_matmul(&as, a, &vs, v, &ys, y) == 0 && y[0] == -2 && y[3] == -2);
        lo_shape bad = ref_shape1(4);
        CHECK(ref_matmul(&as, a, &bad, v, &ys, y) != 0);
    }
}
