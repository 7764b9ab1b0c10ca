/* 2-D convolution over NCHW tensors (semantics: plugin/seam/step.h, LO_STEP_CONV) for GPUs, as
 * an implicit matrix product per group with the local-memory tiles of tiles.cl:
 * Y[m, p] = sum over r of W[m, r] * X[r, p], rows m the group's output channels, columns p the
 * output pixels of the whole batch (n, oh, ow), the reduction r = (c, kh, kw) over the group's
 * input channels and the window. W's slab is staged from the weights as they are ([M][Cg*KH*KW]:
 * the reduction is their fastest axis); X's slab is gathered from the input (the im2col matrix,
 * never stored), consecutive work-items taking consecutive pixels, zero in the padding.
 *
 * conv_tiled: work-group (x, y, g) computes pixels x * TN.., channels y * TM.. of group g.
 * conv_tiled_pool: the same with a MaxPool epilogue (lo_conv_params.has_pool): the columns are
 *   pooled pixels; for each position of the pool window the tile of conv values under it is
 *   computed and max-reduced in registers (positions outside the conv output never win, as in
 *   conv2d_direct_pool). Overlapping pool windows recompute the conv pixels they share.
 *
 * The arguments are conv2d_direct(_pool)'s (conv.cl). Build options: those of tiles.cl.
 * Activation `act`: activation.cl's float4.
 */
#include "tiles.cl"
#include "activation.cl"

/* Where the staging column's pixel reads: its image's first channel of the group and its
 * window's top-left input corner; `ok` 0 for a column past the last pixel (stages zeros). */
typedef struct patch_origin {
    const global float *x;
    int ih0, iw0, ok;
} patch_origin;

/* Stages the slab of the im2col matrix for reduction steps k0.., this work-item's column:
 * t[kk][col] = X[c, ih0 + kh * DH, iw0 + kw * DW] for r = k0 + kk = (c * KH + kh) * KW + kw. */
static inline void stage_patches(local float *t, patch_origin o, int k0, int Kr, int KHW, int KW,
                                 int H, int W, int DH, int DW, int lid)
{
    const int col = lid % TN;
    for (int kk = lid / TN; kk < TK; kk += GROUP_ITEMS / TN) {
        const int r = k0 + kk;
        float v = 0.0f;
        if (o.ok && r < Kr) {
            const int ch = r / KHW, tap = r - ch * KHW;
            const int kh = tap / KW, kw = tap - kh * KW;
            const int ih = o.ih0 + kh * DH, iw = o.iw0 + kw * DW;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = o.x[(ch * H + ih) * W + iw];
        }
        t[kk * B_STRIDE + col] = v;
    }
}

/* acc += the tile's product over the whole reduction; wm is the tile's first row of weights,
 * `rows` the rows left in the group from it. */
static inline void conv_tile(float acc[WM][WN], local float *w_slab, local float *x_slab,
                             const global float *wm, int rows, patch_origin o, int Kr, int KHW,
                             int KW, int H, int W, int DH, int DW, int tx, int ty, int lid)
{
    for (int k0 = 0; k0 < Kr; k0 += TK) {
        stage_slab(w_slab, A_STRIDE, TM, wm + k0, Kr, 1, rows, Kr - k0, 1, lid);
        stage_patches(x_slab, o, k0, Kr, KHW, KW, H, W, DH, DW, lid);
        barrier(CLK_LOCAL_MEM_FENCE);
        multiply_slab(acc, w_slab, x_slab, tx, ty);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* The bias of the tile's rows (0 past the group's last channel, never stored). */
static inline void load_bias(float bias[WM], const global float *b, int has_bias, int oc0, int rows,
                             int ty)
{
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = ty + LY * i;
        bias[i] = has_bias && m < rows ? b[oc0 + m] : 0.0f;
    }
}

#if LO_KERNEL_conv_tiled
kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
conv_tiled(global const float *restrict x, int x_off, global const float *restrict w, int w_off,
           global const float *restrict b, int b_off, int has_bias, global float *restrict y,
           int y_off, int N, int C, int H, int W, int M, int OH, int OW, int group, int KH, int KW,
           int SH, int SW, int DH, int DW, int PT, int PL, float4 act)
{
    local float w_slab[TK * A_STRIDE];
    local float x_slab[TK * B_STRIDE];
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = ty * LX + tx;
    const int g = (int)get_group_id(2);
    const int Mg = M / group, Cg = C / group, KHW = KH * KW, Kr = Cg * KHW;
    const int OHW = OH * OW, P = N * OHW;
    const int p0 = (int)get_group_id(0) * TN, m0 = (int)get_group_id(1) * TM;
    const int oc0 = g * Mg + m0; /* the tile's first output channel */

    const int sp = p0 + lid % TN; /* the staging column's pixel */
    patch_origin o;
    o.ok = sp < P;
    const int spc = o.ok ? sp : 0;
    const int sn = spc / OHW, sq = spc - sn * OHW, soh = sq / OW;
    o.x = x + x_off + (sn * C + g * Cg) * H * W;
    o.ih0 = soh * SH - PT;
    o.iw0 = (sq - soh * OW) * SW - PL;

    float acc[WM][WN];
    clear_tile(acc);
    conv_tile(acc, w_slab, x_slab, w + w_off + oc0 * Kr, Mg - m0, o, Kr, KHW, KW, H, W, DH, DW, tx,
              ty, lid);

    float bias[WM];
    load_bias(bias, b + b_off, has_bias, oc0, Mg - m0, ty);
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + ty + LY * i;
        if (m >= Mg) break;
        const int oc = oc0 + ty + LY * i;
#pragma unroll
        for (int j = 0; j < WN; j++) {
            const int p = p0 + tx + LX * j;
            if (p >= P) break;
            const int n = p / OHW;
            const float v = acc[i][j] + bias[i];
            y[y_off + (n * M + oc) * OHW + p - n * OHW] = ACTIVATE(v, act);
        }
    }
}
#endif

#if LO_KERNEL_conv_tiled_pool
kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
conv_tiled_pool(global const float *restrict x, int x_off, global const float *restrict w,
                int w_off, global const float *restrict b, int b_off, int has_bias,
                global float *restrict y, int y_off, int N, int C, int H, int W, int M, int OH,
                int OW, int group, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                float4 act, int PH, int PW, int QKH, int QKW, int QSH, int QSW, int QDH, int QDW,
                int QPT, int QPL)
{
    local float w_slab[TK * A_STRIDE];
    local float x_slab[TK * B_STRIDE];
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = ty * LX + tx;
    const int g = (int)get_group_id(2);
    const int Mg = M / group, Cg = C / group, KHW = KH * KW, Kr = Cg * KHW;
    const int PHW = PH * PW, P = N * PHW;
    const int p0 = (int)get_group_id(0) * TN, m0 = (int)get_group_id(1) * TM;
    const int oc0 = g * Mg + m0;

    /* The staging column's pooled pixel, and the pool window origins of this work-item's
     * columns (in the conv output). */
    const int sp = p0 + lid % TN;
    const int s_ok = sp < P;
    const int spc = s_ok ? sp : 0;
    const int sn = spc / PHW, sq = spc - sn * PHW, sph = sq / PW;
    const int s_oh0 = sph * QSH - QPT, s_ow0 = (sq - sph * PW) * QSW - QPL;
    const global float *sx = x + x_off + (sn * C + g * Cg) * H * W;
    int oh0[WN], ow0[WN];
#pragma unroll
    for (int j = 0; j < WN; j++) {
        const int p = min(p0 + tx + LX * j, P - 1);
        const int q = p % PHW, ph = q / PW;
        oh0[j] = ph * QSH - QPT;
        ow0[j] = (q - ph * PW) * QSW - QPL;
    }
    float bias[WM];
    load_bias(bias, b + b_off, has_bias, oc0, Mg - m0, ty);
    float best[WM][WN];
#pragma unroll
    for (int i = 0; i < WM; i++)
#pragma unroll
        for (int j = 0; j < WN; j++)
            best[i][j] = -INFINITY;

    for (int qh = 0; qh < QKH; qh++) {
        for (int qw = 0; qw < QKW; qw++) {
            /* A position outside the conv output stages a clamped pixel, never used. */
            const int soh = clamp(s_oh0 + qh * QDH, 0, OH - 1);
            const int sow = clamp(s_ow0 + qw * QDW, 0, OW - 1);
            const patch_origin o = {sx, soh * SH - PT, sow * SW - PL, s_ok};
            float acc[WM][WN];
            clear_tile(acc);
            conv_tile(acc, w_slab, x_slab, w + w_off + oc0 * Kr, Mg - m0, o, Kr, KHW, KW, H, W, DH,
                      DW, tx, ty, lid);
#pragma unroll
            for (int j = 0; j < WN; j++) {
                const int oh = oh0[j] + qh * QDH, ow = ow0[j] + qw * QDW;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
#pragma unroll
                for (int i = 0; i < WM; i++) {
                    float v = acc[i][j] + bias[i];
                    v = ACTIVATE(v, act);
                    best[i][j] = v > best[i][j] ? v : best[i][j]; /* a NaN never wins */
                }
            }
        }
    }
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + ty + LY * i;
        if (m >= Mg) break;
        const int oc = oc0 + ty + LY * i;
#pragma unroll
        for (int j = 0; j < WN; j++) {
            const int p = p0 + tx + LX * j;
            if (p >= P) break;
            const int n = p / PHW;
            y[y_off + (n * M + oc) * PHW + p - n * PHW] = best[i][j];
        }
    }
}
#endif
