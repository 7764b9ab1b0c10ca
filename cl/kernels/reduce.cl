/* Conv (+MaxPool) and Gemm for grids too small to fill a GPU (semantics: plugin/seam/step.h):
 * one work-group per output value, whose RED items (a power of two, the local size) share
 * the value's reduction — over Cg x KH x KW taps, or K — and combine their partial sums in
 * local memory. A batch-1 LeNet has a few hundred outputs per layer, each a sum of hundreds of
 * products: one item per output leaves the device waiting on memory, tiles leave most of it
 * idle. Each kernel takes the arguments of its direct kernel (conv.cl, gemm.cl).
 *
 * Build option: -DRED=n (items per group, a power of two, at most 256).
 */
#include "activation.cl"

#ifndef RED
#define RED 64
#endif

/* The group's sum of its items' partials (every item gets it), the local array reused. */
static float group_sum(local float *partial, float mine)
{
    const int lid = (int)get_local_id(0);
    partial[lid] = mine;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = RED / 2; span > 0; span >>= 1) {
        if (lid < span) partial[lid] += partial[lid + span];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float sum = partial[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* before the array is written again */
    return sum;
}

/* This item's share of the convolution at output pixel (oh, ow) of channel m: taps lid,
 * lid + RED, ... of the Cg x KH x KW window; xg is the group's first input channel. */
static float conv_partial(const global float *xg, const global float *wm, int Cg, int H, int W,
                          int KH, int KW, int DH, int DW, int h0, int w0)
{
    const int taps = Cg * KH * KW, KK = KH * KW;
    float sum = 0.0f;
    for (int k = (int)get_local_id(0); k < taps; k += RED) {
        const int c = k / KK, r = k - c * KK, kh = r / KW, kw = r - kh * KW;
        const int ih = h0 + kh * DH, iw = w0 + kw * DW;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) sum = fma(xg[(c * H + ih) * W + iw], wm[k], sum);
    }
    return sum;
}

#if LO_KERNEL_conv2d_reduce
kernel void conv2d_reduce(global const float *restrict x, int x_off, global const float *restrict w,
                          int w_off, global const float *restrict b, int b_off, int has_bias,
                          global float *restrict y, int y_off, int N, int C, int H, int W, int M,
                          int OH, int OW, int group, int KH, int KW, int SH, int SW, int DH, int DW,
                          int PT, int PL, float4 act)
{
    local float partial[RED];
    const int i = (int)get_group_id(0); /* one group per output: the grid is exact */
    const int ow = i % OW;
    int t = i / OW;
    const int oh = t % OH;
    t /= OH;
    const int m = t % M, n = t / M;
    const int Mg = M / group, Cg = C / group, g = m / Mg;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wm = w + w_off + m * Cg * KH * KW;
    const float sum = group_sum(partial, conv_partial(xg, wm, Cg, H, W, KH, KW, DH, DW,
                                                      oh * SH - PT, ow * SW - PL));
    if (get_local_id(0) == 0) {
        const float v = sum + (has_bias ? b[b_off + m] : 0.0f);
        y[y_off + i] = ACTIVATE(v, act);
    }
}
#endif

/* With a MaxPool epilogue: the group computes the conv value at each of its pooled output's
 * window positions inside the conv output [OH,OW] in turn and keeps the largest. */
#if LO_KERNEL_conv2d_reduce_pool
kernel void conv2d_reduce_pool(global const float *restrict x, int x_off,
                               global const float *restrict w, int w_off,
                               global const float *restrict b, int b_off, int has_bias,
                               global float *restrict y, int y_off, int N, int C, int H, int W,
                               int M, int OH, int OW, int group, int KH, int KW, int SH, int SW,
                               int DH, int DW, int PT, int PL, float4 act, int PH, int PW, int QKH,
                               int QKW, int QSH, int QSW, int QDH, int QDW, int QPT, int QPL)
{
    local float partial[RED];
    const int i = (int)get_group_id(0);
    const int pw = i % PW;
    int t = i / PW;
    const int ph = t % PH;
    t /= PH;
    const int m = t % M, n = t / M;
    const int Mg = M / group, Cg = C / group, g = m / Mg;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wm = w + w_off + m * Cg * KH * KW;
    const float bias = has_bias ? b[b_off + m] : 0.0f;
    float best = -INFINITY;
    for (int i_h = 0; i_h < QKH; i_h++) {
        const int oh = ph * QSH - QPT + i_h * QDH;
        if (oh < 0 || oh >= OH) continue; /* the same for every item of the group */
        for (int i_w = 0; i_w < QKW; i_w++) {
            const int ow = pw * QSW - QPL + i_w * QDW;
            if (ow < 0 || ow >= OW) continue;
            const float sum = group_sum(partial, conv_partial(xg, wm, Cg, H, W, KH, KW, DH, DW,
                                                              oh * SH - PT, ow * SW - PL));
            float v = sum + bias;
            v = ACTIVATE(v, act);
            best = v > best ? v : best;
        }
    }
    if (get_local_id(0) == 0) y[y_off + i] = best;
}
#endif

#if LO_KERNEL_gemm_reduce
kernel void gemm_reduce(global const float *restrict a, int a_off, global const float *restrict b,
                        int b_off, global const float *restrict c, int c_off, int has_c, int c_sm,
                        int c_sn, global float *restrict y, int y_off, int M, int N, int K,
                        int trans_a, int trans_b, float alpha, float beta, float4 act)
{
    local float partial[RED];
    const int i = (int)get_group_id(0);
    const int m = i / N, n = i % N;
    const global float *ap = a + a_off + (trans_a ? m : m * K);
    const global float *bp = b + b_off + (trans_b ? n * K : n);
    const int as = trans_a ? M : 1, bs = trans_b ? 1 : N;
    float mine = 0.0f;
    for (int k = (int)get_local_id(0); k < K; k += RED)
        mine = fma(ap[k * as], bp[k * bs], mine);
    const float sum = group_sum(partial, mine);
    if (get_local_id(0) == 0) {
        float v = alpha * sum;
        if (has_c) v = fma(beta, c[c_off + m * c_sm + n * c_sn], v);
        y[y_off + i] = ACTIVATE(v, act);
    }
}
#endif
