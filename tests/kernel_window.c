/* Random Conv, MaxPool and AveragePool steps: windows of every shape, stride, dilation and
 * padding, grouped and depthwise convolutions, ceil-mode and global pools, and Conv steps with
 * a MaxPool epilogue (lo_conv_params.has_pool). */
#include "kernel_harness.h"

#include <stdio.h>
#include <string.h>

/* Pads for one axis of a window with the given dilated extent. */
static void random_pads(int mode, int64_t extent, int64_t *begin, int64_t *end)
{
    switch (mode) {
    case 0: /* none */
        *begin = *end = 0;
        break;
    case 1: /* symmetric */
        *begin = *end = rint_(0, 3);
        break;
    case 2: /* asymmetric */
        *begin = rint_(0, 3);
        *end = rint_(0, 3);
        break;
    default: /* larger than the kernel on at least one side */
        *begin = rint_(0, extent + 2);
        *end = rint_(extent, extent + 2);
        if (chance(0.5)) {
            const int64_t t = *begin;
            *begin = *end;
            *end = t;
        }
        break;
    }
}

static int64_t random_kernel_dim(void)
{
    return chance(0.3) ? 1 + 2 * rint_(0, 3) : rint_(1, 7); /* odd sizes often */
}

/* A random Conv step in pc (inputs set, not yet added). */
/* One case in ten is shaped like a network's layer (a conv, then a pool tiling its rows). */
static bool network_shaped(int index)
{
    return index % 10 == 5;
}

static void random_conv(batch *b, int index, pending *pc_out)
{
    pending pc;
    lo_conv_params *p = &pc.st.params.conv;
    int64_t n, c, m, group, in[2], out[2];
    /* Re-rolled until the oracle's work is modest, so large channel counts stay cheap. */
    for (;;) {
        memset(&pc, 0, sizeof pc);
        n = rint_(1, 5);
        switch (index % 8) {
        case 0: /* depthwise, with channel multipliers */
            c = rint_(1, 16);
            group = c;
            m = c * rint_(1, 3);
            break;
        case 1: /* group = C/2 */
            group = rint_(1, 8);
            c = 2 * group;
            m = group * rint_(1, 6);
            break;
        case 2: /* other groups, up to a dozen outputs each */
            group = rint_(2, 4);
            c = group * rint_(1, 4);
            m = group * rint_(1, 12);
            break;
        case 3: /* many output channels: several vector blocks and a partial last one, or a
                 * tile's rows (8 to 64), whole or one more or less */
            group = 1;
            c = rint_(1, 16);
            m = chance(0.5) ? rint_(17, 40) : ((int64_t)8 << rint_(0, 3)) + rint_(-1, 1);
            break;
        default:
            group = 1;
            c = rint_(1, 8);
            m = rint_(1, 16);
            break;
        }
        /* Now and then a large image, so the grid spans many work-groups. */
        const bool large = index % 25 == 24;
        p->group = group;
        if (network_shaped(index)) {
            /* The layers networks have (LeNet's conv1 is 3 -> 16 channels, 5x5 on 32x32): a
             * square window, stride 1, no padding or "same"; backends have fast paths for
             * them, which random windows seldom reach. */
            n = rint_(1, 3);
            c = rint_(1, 16);
            m = rint_(4, 32);
            group = p->group = 1;
            p->kernel[0] = p->kernel[1] = chance(0.5) ? 3 : 5;
            const bool same = chance(0.3);
            const int64_t side = rint_(p->kernel[0] + 3, 32);
            for (int a = 0; a < 2; a++) {
                p->stride[a] = p->dilation[a] = 1;
                p->pad_begin[a] = p->pad_end[a] = same ? (p->kernel[a] - 1) / 2 : 0;
                in[a] = side;
                out[a] =
                    ref_conv_out_dim(in[a], p->kernel[a], 1, 1, p->pad_begin[a], p->pad_end[a]);
            }
            if (n * m * out[0] * out[1] * c * p->kernel[0] * p->kernel[1] <= 2000000) break;
            continue;
        }
        p->kernel[0] = random_kernel_dim();
        p->kernel[1] = chance(0.5) ? p->kernel[0] : random_kernel_dim();
        const int pad_mode = (int)rint_(0, 3);
        for (int a = 0; a < 2; a++) {
            p->stride[a] = rint_(1, 3);
            p->dilation[a] = chance(0.6) ? 1 : rint_(2, 3);
            const int64_t extent = p->dilation[a] * (p->kernel[a] - 1) + 1;
            random_pads(pad_mode, extent, &p->pad_begin[a], &p->pad_end[a]);
            int64_t min_in = extent - p->pad_begin[a] - p->pad_end[a];
            if (min_in < 1) min_in = 1;
            in[a] = large ? rint_(min_in + 30, min_in + 70) : rint_(min_in, min_in + 12);
            out[a] = ref_conv_out_dim(in[a], p->kernel[a], p->stride[a], p->dilation[a],
                                      p->pad_begin[a], p->pad_end[a]);
        }
        const int64_t macs = n * m * out[0] * out[1] * (c / group) * p->kernel[0] * p->kernel[1];
        if (macs <= 2000000) break;
    }
    pc.st.kind = LO_STEP_CONV;
    p->has_bias = chance(0.5);
    p->activation = random_fused_activation(&p->activation_args);
    step_label(&pc.st, "Conv", p->activation);

    const lo_shape xs = ref_shape4(n, c, in[0], in[1]);
    const lo_shape ws = ref_shape4(m, c / group, p->kernel[0], p->kernel[1]);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 0.85);
    set_input(&pc, 1, LO_DTYPE_FLOAT, ws, random_f32(b, ref_numel(&ws), -1, 1), 0.2);
    if (p->has_bias) set_input(&pc, 2, LO_DTYPE_FLOAT, ref_shape1(m), random_f32(b, m, -1, 1), 0.2);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape =
        ref_shape4(n, m,
                   ref_conv_out_dim(in[0], p->kernel[0], p->stride[0], p->dilation[0],
                                    p->pad_begin[0], p->pad_end[0]),
                   ref_conv_out_dim(in[1], p->kernel[1], p->stride[1], p->dilation[1],
                                    p->pad_begin[1], p->pad_end[1]));
    *pc_out = pc;
}

void gen_conv(batch *b, int index)
{
    pending pc;
    random_conv(b, index, &pc);
    batch_add(b, &pc);
}

static bool windows_nonempty(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                             int64_t dilation, int64_t pad_begin);

/* A random MaxPool window over an input of in[2] (every window seeing an element), its output
 * size in out[2]; half of them the 2x2 or 3x3 stride-2 windows networks use. */
static void random_pool_over(const int64_t in[2], lo_pool_params *p, int64_t out[2])
{
    for (int attempt = 0; attempt < 50; attempt++) {
        memset(p, 0, sizeof *p);
        const bool classic = chance(0.5);
        const bool ceil_mode = chance(0.3);
        const int pad_mode = classic || chance(0.5) ? 0 : (int)rint_(1, 3);
        p->kernel[0] = classic ? (chance(0.75) ? 2 : 3) : rint_(1, 4);
        p->kernel[1] = classic || chance(0.5) ? p->kernel[0] : rint_(1, 4);
        bool ok = true;
        for (int a = 0; a < 2 && ok; a++) {
            p->stride[a] = classic ? 2 : rint_(1, 3);
            p->dilation[a] = classic || chance(0.8) ? 1 : 2;
            const int64_t extent = p->dilation[a] * (p->kernel[a] - 1) + 1;
            random_pads(pad_mode, extent, &p->pad_begin[a], &p->pad_end[a]);
            out[a] = ref_pool_out_dim(in[a], p->kernel[a], p->stride[a], p->dilation[a],
                                      p->pad_begin[a], p->pad_end[a], ceil_mode);
            ok = out[a] >= 1 && windows_nonempty(in[a], out[a], p->kernel[a], p->stride[a],
                                                 p->dilation[a], p->pad_begin[a]);
        }
        if (ok) return;
    }
    memset(p, 0, sizeof *p); /* a 1x1 window fits any input */
    for (int a = 0; a < 2; a++) {
        p->kernel[a] = p->stride[a] = p->dilation[a] = 1;
        out[a] = in[a];
    }
}

void gen_conv_pool(batch *b, int index)
{
    pending pc;
    random_conv(b, index, &pc);
    lo_conv_params *p = &pc.st.params.conv;
    const int64_t full[2] = {pc.st.output.shape.dims[2], pc.st.output.shape.dims[3]};
    int64_t out[2];
    random_pool_over(full, &p->pool, out);
    if (network_shaped(index) && full[0] >= 3 && full[1] >= 3) {
        /* The pool networks put after such a layer: 2x2 (or 3x3) windows tiling the rows. */
        memset(&p->pool, 0, sizeof p->pool);
        const int64_t k = chance(0.75) ? 2 : 3;
        for (int a = 0; a < 2; a++) {
            p->pool.kernel[a] = p->pool.stride[a] = k;
            p->pool.dilation[a] = 1;
            out[a] = full[a] / k;
        }
    }
    p->has_pool = true;
    step_label(&pc.st, "Conv", p->activation);
    strncat(pc.st.label, "+MaxPool", sizeof pc.st.label - strlen(pc.st.label) - 1);
    pc.st.output.shape.dims[2] = out[0];
    pc.st.output.shape.dims[3] = out[1];
    batch_add(b, &pc);
}

/* The conv layers of the fixture models (tests/fixtures/exports) and their neighbours, in
 * turn: one input channel per group (a channel block wider than M, 5x5 and padded 3x3, with
 * and without a 2x2 MaxPool epilogue, rows of odd length and height), a dilated conv, and
 * windows covering the whole input (a Gemm in disguise) or nearly. Weights are constants, as
 * in the models, so backends take the paths they take there; batches of 1 and more. */
void gen_conv_layer(batch *b, int index)
{
    static const struct {
        int64_t c, m, group, side_h, side_w, k, pad, dilation;
        lo_activation activation;
        bool pool;
    } layers[] = {
        {1, 6, 1, 32, 32, 5, 0, 1, LO_ACT_TANH, false},       /* LeNet-5's conv1 */
        {1, 16, 1, 28, 28, 3, 1, 1, LO_ACT_NONE, false},      /* the BN CNN's conv1 */
        {1, 16, 1, 28, 28, 3, 1, 1, LO_ACT_LEAKY_RELU, true}, /* ... with its pool */
        {2, 10, 2, 13, 21, 5, 2, 1, LO_ACT_NONE, true},       /* odd rows, 2 groups of 5 */
        {1, 12, 1, 9, 11, 3, 0, 1, LO_ACT_SIGMOID, false},
        {1, 8, 1, 12, 20, 4, 1, 1, LO_ACT_RELU, true},         /* a window size not unrolled */
        {16, 32, 1, 14, 14, 3, 2, 2, LO_ACT_NONE, false},      /* the BN CNN's dilated conv2 */
        {16, 32, 1, 14, 14, 3, 2, 2, LO_ACT_LEAKY_RELU, true}, /* ... as its plan has it */
        {32, 32, 1, 7, 7, 3, 0, 1, LO_ACT_LEAKY_RELU, true},   /* its conv3, BN folded in */
        {16, 120, 1, 5, 5, 5, 0, 1, LO_ACT_TANH, false},       /* LeNet-5's conv3: 1x1 output */
        {16, 120, 1, 6, 6, 5, 0, 1, LO_ACT_TANH, false},       /* ... on the padded pools: 2x2 */
        {1, 32, 1, 28, 28, 3, 0, 1, LO_ACT_RELU, false},       /* PyTorch's MNIST example: conv1 */
        {32, 64, 1, 26, 26, 3, 0, 1, LO_ACT_RELU, true},       /* ... and conv2 with its pool */
        {1, 40, 1, 18, 17, 3, 1, 1, LO_ACT_NONE, false},       /* a last channel block of 8 */
        {2, 20, 2, 16, 20, 3, 0, 1, LO_ACT_TANH, false},       /* 2 groups of 10 maps, 9 taps */
        {32, 64, 1, 14, 14, 3, 1, 1, LO_ACT_RELU, true},       /* padded in its units' windows */
    };
    const int count = (int)(sizeof layers / sizeof layers[0]);
    const int i = index % count;
    /* Batch 1, then one that leaves a partial block of images (a Gemm's rows, eight apiece). */
    const int64_t n = (index / count) % 2 == 0 ? 1 : (layers[i].side_h <= 6 ? 11 : 3);
    pending pc;
    memset(&pc, 0, sizeof pc);
    lo_conv_params *p = &pc.st.params.conv;
    p->group = layers[i].group;
    int64_t out[2];
    const int64_t in[2] = {layers[i].side_h, layers[i].side_w};
    for (int a = 0; a < 2; a++) {
        p->kernel[a] = layers[i].k;
        p->stride[a] = 1;
        p->dilation[a] = layers[i].dilation;
        p->pad_begin[a] = p->pad_end[a] = layers[i].pad;
        out[a] = ref_conv_out_dim(in[a], p->kernel[a], 1, p->dilation[a], p->pad_begin[a],
                                  p->pad_end[a]);
    }
    pc.st.kind = LO_STEP_CONV;
    p->has_bias = index % 3 != 2;
    p->activation = layers[i].activation;
    p->activation_args.alpha = 0.1f; /* LeakyRelu's, as in the BN CNN; the others ignore it */
    step_label(&pc.st, "Conv", p->activation);
    const int64_t c = layers[i].c, m = layers[i].m;
    const lo_shape xs = ref_shape4(n, c, in[0], in[1]);
    const lo_shape ws = ref_shape4(m, c / p->group, p->kernel[0], p->kernel[1]);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -1, 1), 1.0);
    set_input(&pc, 1, LO_DTYPE_FLOAT, ws, random_f32(b, ref_numel(&ws), -1, 1), 0.0);
    if (p->has_bias) set_input(&pc, 2, LO_DTYPE_FLOAT, ref_shape1(m), random_f32(b, m, -1, 1), 0.0);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = ref_shape4(n, m, out[0], out[1]);
    if (layers[i].pool) {
        p->has_pool = true;
        for (int a = 0; a < 2; a++) {
            p->pool.kernel[a] = p->pool.stride[a] = 2;
            p->pool.dilation[a] = 1;
            pc.st.output.shape.dims[2 + a] = out[a] / 2;
        }
        strncat(pc.st.label, "+MaxPool", sizeof pc.st.label - strlen(pc.st.label) - 1);
    }
    batch_add(b, &pc);
}

/* True when every window along the axis sees at least one input element (ONNX leaves the
 * value of an all-padding window undefined in practice, so the tests avoid it). */
static bool windows_nonempty(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                             int64_t dilation, int64_t pad_begin)
{
    for (int64_t o = 0; o < out; o++) {
        bool any = false;
        for (int64_t j = 0; j < kernel && !any; j++) {
            const int64_t pos = o * stride - pad_begin + j * dilation;
            any = pos >= 0 && pos < in;
        }
        if (!any) return false;
    }
    return true;
}

void gen_pool(batch *b, lo_step_kind kind, lo_dtype dtype)
{
    pending pc;
    lo_pool_params *p;
    int64_t in[2], out[2];
    for (;;) {
        memset(&pc, 0, sizeof pc);
        p = &pc.st.params.pool;
        /* A quarter are the windows networks use (2x2 or 3x3, stride 2, no padding): backends
         * tend to have a fast path for those. */
        const bool classic = chance(0.25);
        const int pad_mode = classic || chance(0.4) ? 0 : (int)rint_(1, 3);
        /* A third of those padded by 0 or 1 on each side (LeNet-5's Pad folded into its
         * AveragePools): the fast paths must handle the padded borders. */
        const bool classic_padded = classic && chance(0.33);
        const bool ceil_mode = chance(0.5);
        /* Global pooling: one window over the whole image. */
        const bool global = !classic && chance(0.1);
        bool ok = true;
        p->kernel[0] = classic ? (chance(0.75) ? 2 : 3) : rint_(1, 5);
        p->kernel[1] = classic || chance(0.5) ? p->kernel[0] : rint_(1, 5);
        for (int a = 0; a < 2 && ok; a++) {
            p->stride[a] = classic ? 2 : rint_(1, 3);
            p->dilation[a] = classic || chance(0.7) ? 1 : rint_(2, 3);
            const int64_t extent = p->dilation[a] * (p->kernel[a] - 1) + 1;
            random_pads(pad_mode, extent, &p->pad_begin[a], &p->pad_end[a]);
            if (classic_padded) {
                p->pad_begin[a] = rint_(0, 1);
                p->pad_end[a] = rint_(0, 1);
            }
            int64_t min_in = extent - p->pad_begin[a] - p->pad_end[a];
            if (min_in < 1) min_in = 1;
            in[a] = chance(0.05) ? rint_(min_in + 30, min_in + 70) : rint_(min_in, min_in + 14);
            out[a] = ref_pool_out_dim(in[a], p->kernel[a], p->stride[a], p->dilation[a],
                                      p->pad_begin[a], p->pad_end[a], ceil_mode);
            if (global) {
                in[a] = rint_(1, 20);
                p->kernel[a] = in[a];
                p->stride[a] = p->dilation[a] = out[a] = 1;
                p->pad_begin[a] = p->pad_end[a] = 0;
            }
            ok = out[a] >= 1 && windows_nonempty(in[a], out[a], p->kernel[a], p->stride[a],
                                                 p->dilation[a], p->pad_begin[a]);
        }
        if (ok) break;
    }
    pc.st.kind = kind;
    p->count_include_pad = kind == LO_STEP_AVGPOOL && chance(0.5);
    snprintf(pc.st.label, sizeof pc.st.label, "%s", kind_name(kind));
    const int64_t n = rint_(1, 5), c = rint_(1, 6);
    const lo_shape xs = ref_shape4(n, c, in[0], in[1]);
    set_input(&pc, 0, dtype, xs, random_data(b, dtype, ref_numel(&xs)), 0.85);
    pc.st.output.dtype = dtype;
    pc.st.output.shape = ref_shape4(n, c, out[0], out[1]);
    batch_add(b, &pc);
}
