/* 2-D convolution over NCHW tensors (semantics: plugin/seam/step.h, LO_STEP_CONV), each with an
 * optional MaxPool epilogue (lo_conv_params.has_pool): the *_pool kernels write only the
 * pooled output, computing the conv values of each pool window in registers.
 *
 * conv2d_direct(_pool): one work-item per output value; any group, stride, dilation and
 *   padding. The fallback (GPUs run conv_tiled.cl's kernels where their tile fits).
 * conv2d_blocked(_pool): one work-item per VEC output channels x PIX output pixels (pixels
 *   counted row-major over OH*OW, or PH*PW pooled, so a block may span rows). The weights are
 *   re-laid out at prepare time as [group][channel block][C/group][KH][KW][VEC] with the bias
 *   as [group][block][VEC] behind them, zero-filled past M/group: the inner loop is one vector
 *   load of weights and PIX broadcast fma()s into PIX vector accumulators held in registers.
 *   With a pool, each pool window position is one such block of PIX conv pixels, max-reduced
 *   into PIX running maxima (pools whose windows overlap recompute the shared conv pixels).
 *
 * Build options: -DVEC=8|16 (float vector width), -DPIX=n (pixels per work-item), and
 * optionally -DFIXED_K=k: conv2d_blocked then assumes a k x k window, its taps along the width
 * -DDIL=d apart (dilation_w, default 1: a dilated window keeps the unrolled loops, which the
 * runtime-window loop ran 5x slower); with it -DSPAN=s: consecutive pixels of a block start s
 * input columns apart when in one row (the conv's stride, times the pool's with a pool
 * epilogue), so a row's inputs are shared.
 * Activation `act`: (op, alpha, min, max), activation.cl's float4.
 *
 * Convs these kernels serve badly take other forms (cl_launch_conv.c chooses): one input
 * channel per group runs conv_rows.cl (output pixels in the lanes), and a window covering the
 * whole input (one output pixel per image) runs as gemm.cl's blocked Gemm.
 */
#include "floatv.cl"
#include "activation.cl"
#ifndef PIX
#define PIX 8
#endif
#ifndef DIL
#define DIL 1 /* FIXED_K's dilation along the width */
#endif

/* The activated convolution of one output pixel whose window's top-left input corner is
 * (h0, w0); xg is the group's first input channel, wm output channel m's weights. */
static float conv_point(const global float *xg, const global float *wm, float acc, int Cg, int H,
                        int W, int KH, int KW, int DH, int DW, int h0, int w0, float4 act)
{
    const int HW = H * W;
    for (int c = 0; c < Cg; c++) {
        for (int kh = 0; kh < KH; kh++) {
            const int ih = h0 + kh * DH;
            if (ih < 0 || ih >= H) continue;
            const global float *xr = xg + c * HW + ih * W;
            const global float *wr = wm + (c * KH + kh) * KW;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = w0 + kw * DW;
                if (iw >= 0 && iw < W) acc = fma(xr[iw], wr[kw], acc);
            }
        }
    }
    return ACTIVATE(acc, act);
}

#if LO_KERNEL_conv2d_direct
kernel void conv2d_direct(global const float *restrict x, int x_off, global const float *restrict w,
                          int w_off, global const float *restrict b, int b_off, int has_bias,
                          global float *restrict y, int y_off, int N, int C, int H, int W, int M,
                          int OH, int OW, int group, int KH, int KW, int SH, int SW, int DH, int DW,
                          int PT, int PL, float4 act)
{
    const int i = (int)get_global_id(0);
    if (i >= N * M * OH * OW) return;
    const int ow = i % OW;
    int t = i / OW;
    const int oh = t % OH;
    t /= OH;
    const int m = t % M;
    const int n = t / M;
    const int Mg = M / group, Cg = C / group;
    const int g = m / Mg;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wm = w + w_off + m * Cg * KH * KW;
    y[y_off + i] = conv_point(xg, wm, has_bias ? b[b_off + m] : 0.0f, Cg, H, W, KH, KW, DH, DW,
                              oh * SH - PT, ow * SW - PL, act);
}
#endif

/* Pooled output i ([N,M,PH,PW], flat) of a conv with a MaxPool epilogue: the max over the pool
 * window's positions inside the conv output [OH,OW] (the padding never wins). A conv without a
 * pool is the 1x1 window of stride 1 (network.cl calls it so, its sizes literals that fold
 * the window's loops away). */
static float conv_pool_value(int i, const global float *x, const global float *w,
                             const global float *b, int has_bias, int C, int H, int W, int M,
                             int OH, int OW, int group, int KH, int KW, int SH, int SW, int DH,
                             int DW, int PT, int PL, float4 act, int PH, int PW, int QKH, int QKW,
                             int QSH, int QSW, int QDH, int QDW, int QPT, int QPL)
{
    const int pw = i % PW;
    int t = i / PW;
    const int ph = t % PH;
    t /= PH;
    const int m = t % M;
    const int n = t / M;
    const int Mg = M / group, Cg = C / group;
    const int g = m / Mg;
    const global float *xg = x + (n * C + g * Cg) * H * W;
    const global float *wm = w + m * Cg * KH * KW;
    const float bias = has_bias ? b[m] : 0.0f;
    float best = -INFINITY;
    for (int i_h = 0; i_h < QKH; i_h++) {
        const int oh = ph * QSH - QPT + i_h * QDH;
        if (oh < 0 || oh >= OH) continue;
        for (int i_w = 0; i_w < QKW; i_w++) {
            const int ow = pw * QSW - QPL + i_w * QDW;
            if (ow < 0 || ow >= OW) continue;
            const float v =
                conv_point(xg, wm, bias, Cg, H, W, KH, KW, DH, DW, oh * SH - PT, ow * SW - PL, act);
            best = v > best ? v : best;
        }
    }
    return best;
}

/* conv2d_direct with a MaxPool epilogue: one work-item per pooled output [N,M,PH,PW]. */
#if LO_KERNEL_conv2d_direct_pool
kernel void conv2d_direct_pool(global const float *restrict x, int x_off,
                               global const float *restrict w, int w_off,
                               global const float *restrict b, int b_off, int has_bias,
                               global float *restrict y, int y_off, int N, int C, int H, int W,
                               int M, int OH, int OW, int group, int KH, int KW, int SH, int SW,
                               int DH, int DW, int PT, int PL, float4 act, int PH, int PW, int QKH,
                               int QKW, int QSH, int QSW, int QDH, int QDW, int QPT, int QPL)
{
    const int i = (int)get_global_id(0);
    if (i >= N * M * PH * PW) return;
    y[y_off + i] = conv_pool_value(i, x + x_off, w + w_off, b + b_off, has_bias, C, H, W, M, OH,
                                   OW, group, KH, KW, SH, SW, DH, DW, PT, PL, act, PH, PW, QKH,
                                   QKW, QSH, QSW, QDH, QDW, QPT, QPL);
}
#endif

#if defined(FIXED_K) && defined(SPAN)
/* Adds to acc[p] the convolution of PIX pixels in one row, SPAN input columns apart, the first
 * window's top-left corner at (h0, w0) of the group's first channel xg: each (c, kh) row
 * segment is loaded once and every window's taps come from it, FIXED_K loads shared by up to
 * FIXED_K windows instead of one load per tap and pixel (conv1 of LeNet, 3 channels, was bound
 * by those loads). With `masked`, windows may reach into the padding: rows outside the input
 * are skipped and columns outside read as zero, so a row of a padded conv's border ("same"
 * padding puts every block of a narrow output there) runs this loop too. Always inlined:
 * called from several places, a call would pass the accumulators through memory, and
 * `masked` is a constant at each. */
__attribute__((always_inline)) static inline void conv_row(floatv *acc, const global float *xg,
                                                           int h0, int w0, const global float *wp,
                                                           int Cg, int H, int W, int DH,
                                                           bool masked)
{
    const int HW = H * W;
    for (int c = 0; c < Cg; c++) {
#pragma unroll
        for (int kh = 0; kh < FIXED_K; kh++, wp += FIXED_K * VEC) {
            const int ih = h0 + kh * DH;
            if (masked && (ih < 0 || ih >= H)) continue;
            const global float *xr = xg + c * HW + ih * W + w0;
            float xs[(PIX - 1) * SPAN + (FIXED_K - 1) * DIL + 1];
#pragma unroll
            for (int i = 0; i < (PIX - 1) * SPAN + (FIXED_K - 1) * DIL + 1; i++)
                xs[i] = !masked || (w0 + i >= 0 && w0 + i < W) ? xr[i] : 0.0f;
#pragma unroll
            for (int kw = 0; kw < FIXED_K; kw++) {
                const floatv wv = VLOAD(kw, wp);
#pragma unroll
                for (int p = 0; p < PIX; p++)
                    acc[p] = fma((floatv)(xs[p * SPAN + kw * DIL]), wv, acc[p]);
            }
        }
    }
}
#endif

/* Adds to acc[p] the convolution of PIX pixels whose windows' top-left input corners are
 * (hb[p], wb[p]); wp is the channel block's packed weights, xg the group's first channel. */
static void conv_pixels(floatv *acc, const int *hb, const int *wb, const global float *xg,
                        const global float *wp, int Cg, int H, int W, int KH, int KW, int DH,
                        int DW)
{
    const int HW = H * W;
    bool inside = true;
#pragma unroll
    for (int p = 0; p < PIX; p++)
        inside = inside && hb[p] >= 0 && hb[p] + (KH - 1) * DH < H && wb[p] >= 0 &&
                 wb[p] + (KW - 1) * DW < W;
    if (inside) {
        /* No window touches the padding: no bounds checks in the hot loop. */
        int base[PIX];
#pragma unroll
        for (int p = 0; p < PIX; p++)
            base[p] = hb[p] * W + wb[p];
#if defined(FIXED_K) && defined(SPAN)
        /* The PIX windows start SPAN input columns apart in one row (checked on the addresses
         * themselves, so any block that passes reads exactly what the loop below would). */
        bool one_row = true;
#pragma unroll
        for (int p = 1; p < PIX; p++)
            one_row = one_row && base[p] == base[0] + p * SPAN;
        if (one_row) {
            conv_row(acc, xg, hb[0], wb[0], wp, Cg, H, W, DH, false);
            return;
        }
#endif
#ifdef FIXED_K
        /* A FIXED_K x FIXED_K window with dilation_w 1 known at build time: both window loops
         * unroll, so the weights and inputs are read at constant displacements. */
        for (int c = 0; c < Cg; c++) {
#pragma unroll
            for (int kh = 0; kh < FIXED_K; kh++) {
                const global float *xr = xg + c * HW + kh * DH * W;
#pragma unroll
                for (int kw = 0; kw < FIXED_K; kw++) {
                    const floatv wv = VLOAD(kw, wp);
                    const global float *xk = xr + kw * DIL; /* steps fold into displacements */
#pragma unroll
                    for (int p = 0; p < PIX; p++)
                        acc[p] = fma((floatv)(xk[base[p]]), wv, acc[p]);
                }
                wp += FIXED_K * VEC;
            }
        }
#else
        for (int c = 0; c < Cg; c++) {
            for (int kh = 0; kh < KH; kh++) {
                const global float *xr = xg + c * HW + kh * DH * W;
                for (int kw = 0; kw < KW; kw++) {
                    const floatv wv = VLOAD(0, wp);
                    wp += VEC;
                    const global float *xk = xr + kw * DW;
#pragma unroll
                    for (int p = 0; p < PIX; p++)
                        acc[p] = fma((floatv)(xk[base[p]]), wv, acc[p]);
                }
            }
        }
#endif
    } else {
#if defined(FIXED_K) && defined(SPAN)
        /* Windows reaching into the padding, all in one row and SPAN columns apart. */
        bool one_row = true;
#pragma unroll
        for (int p = 1; p < PIX; p++)
            one_row = one_row && hb[p] == hb[0] && wb[p] == wb[0] + p * SPAN;
        if (one_row) {
            conv_row(acc, xg, hb[0], wb[0], wp, Cg, H, W, DH, true);
            return;
        }
#endif
        for (int c = 0; c < Cg; c++) {
            const global float *xc = xg + c * HW;
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    const floatv wv = VLOAD(0, wp);
                    wp += VEC;
#pragma unroll
                    for (int p = 0; p < PIX; p++) {
                        const int ih = hb[p] + kh * DH, iw = wb[p] + kw * DW;
                        const float xv =
                            (ih >= 0 && ih < H && iw >= 0 && iw < W) ? xc[ih * W + iw] : 0.0f;
                        acc[p] = fma((floatv)xv, wv, acc[p]);
                    }
                }
            }
        }
    }
}

/* Stores v[p] lane j at yb[j * plane + p] for the mcount channels and pcount pixels that
 * exist (count <= PIX pixels in v: a constant at each call): a transpose through private
 * memory. */
static void store_block(global float *yb, const floatv *v, int count, int plane, int mcount,
                        int pcount)
{
    /* Loops run to PIX with count as a guard: constant trip counts unroll (a count bound
     * would not before inlining, and the compiler warns), the guard folds once inlined. */
    float out[PIX][VEC];
#pragma unroll
    for (int p = 0; p < PIX; p++)
        if (p < count) VSTORE(v[p], 0, out[p]);
    if (pcount == count) {
        for (int j = 0; j < mcount; j++) {
#pragma unroll
            for (int p = 0; p < PIX; p++)
                if (p < count) yb[j * plane + p] = out[p][j];
        }
    } else {
        for (int j = 0; j < mcount; j++)
            for (int p = 0; p < pcount; p++)
                yb[j * plane + p] = out[p][j];
    }
}

#if LO_KERNEL_conv2d_blocked
kernel void conv2d_blocked(global const float *restrict x, int x_off,
                           global const float *restrict wt, int wt_off, int bias_off,
                           global float *restrict y, int y_off, int C, int Cg, int H, int W, int M,
                           int Mg, int MgB, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                           int DW, int PT, int PL, float4 act)
{
    const int OHW = OH * OW;
    const int q0 = (int)get_global_id(0) * PIX;
    if (q0 >= OHW) return;                /* the global size is rounded up to the local size */
    const int gb = (int)get_global_id(1); /* group * MgB + channel block */
    const int n = (int)get_global_id(2);
    const int g = gb / MgB;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wp = wt + wt_off + gb * Cg * KH * KW * VEC;

    /* Top-left input corner of each pixel's window; past-the-end pixels repeat the last one
     * so that every read stays in bounds. */
    int hb[PIX], wb[PIX];
#pragma unroll
    for (int p = 0; p < PIX; p++) {
        const int q = min(q0 + p, OHW - 1);
        const int oh = q / OW;
        hb[p] = oh * SH - PT;
        wb[p] = (q - oh * OW) * SW - PL;
    }

    const floatv bias = VLOAD(0, wt + bias_off + gb * VEC);
    floatv acc[PIX];
#pragma unroll
    for (int p = 0; p < PIX; p++)
        acc[p] = bias;
    conv_pixels(acc, hb, wb, xg, wp, Cg, H, W, KH, KW, DH, DW);
#pragma unroll
    for (int p = 0; p < PIX; p++)
        acc[p] = ACTIVATE(acc[p], act);

    const int mb = gb - g * MgB;
    const int m0 = g * Mg + mb * VEC;
    store_block(y + y_off + (n * M + m0) * OHW + q0, acc, PIX, OHW, min(VEC, Mg - mb * VEC),
                min(PIX, OHW - q0));
}
#endif

#ifdef POOL_KW
/* conv2d_blocked_pool for pools whose windows tile each row (-DPOOL_KW=k: kernel width k,
 * stride k, dilation 1): PIXP = PIX / k pooled pixels per work-item, and for each pool row
 * the PIX conv pixels under their windows, which are consecutive in the conv output row, are
 * one block (so -DSPAN shares the input row between them), then max-reduced k at a time. */
#define PIXP (PIX / POOL_KW)
#if LO_KERNEL_conv2d_blocked_pool
kernel void conv2d_blocked_pool(global const float *restrict x, int x_off,
                                global const float *restrict wt, int wt_off, int bias_off,
                                global float *restrict y, int y_off, int C, int Cg, int H, int W,
                                int M, int Mg, int MgB, int OH, int OW, int KH, int KW, int SH,
                                int SW, int DH, int DW, int PT, int PL, float4 act, int PH, int PW,
                                int QKH, int QKW, int QSH, int QSW, int QDH, int QDW, int QPT,
                                int QPL)
{
    const int PHW = PH * PW;
    const int q0 = (int)get_global_id(0) * PIXP;
    if (q0 >= PHW) return;
    const int gb = (int)get_global_id(1);
    const int n = (int)get_global_id(2);
    const int g = gb / MgB;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wp = wt + wt_off + gb * Cg * KH * KW * VEC;
    const floatv bias = VLOAD(0, wt + bias_off + gb * VEC);

    int oh0[PIXP], ow0[PIXP];
#pragma unroll
    for (int p = 0; p < PIXP; p++) {
        const int q = min(q0 + p, PHW - 1);
        const int ph = q / PW;
        oh0[p] = ph * QSH - QPT;
        ow0[p] = (q - ph * PW) * POOL_KW - QPL;
    }
    floatv best[PIXP];
#pragma unroll
    for (int p = 0; p < PIXP; p++)
        best[p] = (floatv)(-INFINITY);

#if defined(FIXED_K) && defined(SPAN)
    /* The common case, decided once for the work-item from its first and last pixel: its
     * pooled pixels lie in one pooled row, so its PIX conv pixels are consecutive in one conv
     * row for every pool row, all inside the conv output, their windows inside the input.
     * Then no per-pixel bound is checked (they cost conv1 of LeNet 12% of its time). */
    const int ph0 = q0 / PW;
    const int first_w = ow0[0], last_w = ow0[PIXP - 1] + POOL_KW - 1;
    const int first_h = ph0 * QSH - QPT, last_h = first_h + (QKH - 1) * QDH;
    if (q0 + PIXP <= PHW && (q0 + PIXP - 1) / PW == ph0 && first_w >= 0 && last_w < OW &&
        first_h >= 0 && last_h < OH && first_w * SW - PL >= 0 &&
        last_w * SW - PL + (FIXED_K - 1) * DIL < W && first_h * SH - PT >= 0 &&
        last_h * SH - PT + (FIXED_K - 1) * DH < H) {
        for (int i_h = 0; i_h < QKH; i_h++) {
            floatv acc[PIX];
#pragma unroll
            for (int k = 0; k < PIX; k++)
                acc[k] = bias;
            const int hb = (first_h + i_h * QDH) * SH - PT;
            conv_row(acc, xg, hb, first_w * SW - PL, wp, Cg, H, W, DH, false);
#pragma unroll
            for (int k = 0; k < PIX; k++) {
                const floatv v = ACTIVATE(acc[k], act);
                const int p = k / POOL_KW;
                best[p] = select(best[p], v, v > best[p]);
            }
        }
    } else
#endif
        for (int i_h = 0; i_h < QKH; i_h++) {
            int hb[PIX], wb[PIX];
            bool used[PIX];
            floatv acc[PIX];
#pragma unroll
            for (int k = 0; k < PIX; k++) {
                const int oh = oh0[k / POOL_KW] + i_h * QDH, ow = ow0[k / POOL_KW] + k % POOL_KW;
                used[k] = oh >= 0 && oh < OH && ow >= 0 && ow < OW;
                hb[k] = clamp(oh, 0, OH - 1) * SH - PT;
                wb[k] = clamp(ow, 0, OW - 1) * SW - PL;
                acc[k] = bias;
            }
            conv_pixels(acc, hb, wb, xg, wp, Cg, H, W, KH, KW, DH, DW);
#pragma unroll
            for (int k = 0; k < PIX; k++) {
                const floatv v = ACTIVATE(acc[k], act);
                const int p = k / POOL_KW;
                best[p] = used[k] ? select(best[p], v, v > best[p]) : best[p];
            }
        }

    const int mb = gb - g * MgB;
    const int m0 = g * Mg + mb * VEC;
    store_block(y + y_off + (n * M + m0) * PHW + q0, best, PIXP, PHW, min(VEC, Mg - mb * VEC),
                min(PIXP, PHW - q0));
}
#endif
#else
/* conv2d_blocked with a MaxPool epilogue: PIX pooled pixels (row-major over PH*PW) per
 * work-item. For each pool window position, the PIX conv pixels under it are computed as one
 * block and max-reduced; a position outside the conv output [OH,OW] computes a clamped pixel
 * that is not used. */
#if LO_KERNEL_conv2d_blocked_pool
kernel void conv2d_blocked_pool(global const float *restrict x, int x_off,
                                global const float *restrict wt, int wt_off, int bias_off,
                                global float *restrict y, int y_off, int C, int Cg, int H, int W,
                                int M, int Mg, int MgB, int OH, int OW, int KH, int KW, int SH,
                                int SW, int DH, int DW, int PT, int PL, float4 act, int PH, int PW,
                                int QKH, int QKW, int QSH, int QSW, int QDH, int QDW, int QPT,
                                int QPL)
{
    const int PHW = PH * PW;
    const int q0 = (int)get_global_id(0) * PIX;
    if (q0 >= PHW) return;
    const int gb = (int)get_global_id(1);
    const int n = (int)get_global_id(2);
    const int g = gb / MgB;
    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wp = wt + wt_off + gb * Cg * KH * KW * VEC;
    const floatv bias = VLOAD(0, wt + bias_off + gb * VEC);

    /* Each pooled pixel's pool window origin in the conv output. */
    int oh0[PIX], ow0[PIX];
#pragma unroll
    for (int p = 0; p < PIX; p++) {
        const int q = min(q0 + p, PHW - 1);
        const int ph = q / PW;
        oh0[p] = ph * QSH - QPT;
        ow0[p] = (q - ph * PW) * QSW - QPL;
    }
    floatv best[PIX];
#pragma unroll
    for (int p = 0; p < PIX; p++)
        best[p] = (floatv)(-INFINITY);

    for (int i_h = 0; i_h < QKH; i_h++)
        for (int i_w = 0; i_w < QKW; i_w++) {
            int hb[PIX], wb[PIX];
            bool used[PIX];
            floatv acc[PIX];
#pragma unroll
            for (int p = 0; p < PIX; p++) {
                const int oh = oh0[p] + i_h * QDH, ow = ow0[p] + i_w * QDW;
                used[p] = oh >= 0 && oh < OH && ow >= 0 && ow < OW;
                hb[p] = clamp(oh, 0, OH - 1) * SH - PT;
                wb[p] = clamp(ow, 0, OW - 1) * SW - PL;
                acc[p] = bias;
            }
            conv_pixels(acc, hb, wb, xg, wp, Cg, H, W, KH, KW, DH, DW);
#pragma unroll
            for (int p = 0; p < PIX; p++) {
                const floatv v = ACTIVATE(acc[p], act);
                /* v > best lane by lane, as MaxPool compares (a NaN never wins). */
                best[p] = used[p] ? select(best[p], v, v > best[p]) : best[p];
            }
        }

    const int mb = gb - g * MgB;
    const int m0 = g * Mg + mb * VEC;
    store_block(y + y_off + (n * M + m0) * PHW + q0, best, PIX, PHW, min(VEC, Mg - mb * VEC),
                min(PIX, PHW - q0));
}
#endif
#endif
