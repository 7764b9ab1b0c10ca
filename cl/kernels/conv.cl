/* 2-D convolution over NCHW tensors (semantics: plugin/step.h, LO_STEP_CONV).
 *
 * conv2d_direct: one work-item per output value; any group, stride, dilation and padding.
 *   The fallback, and the natural shape for GPUs.
 * conv2d_blocked: one work-item per VEC output channels x PIX output pixels (pixels counted
 *   row-major over OH*OW, so a block may span rows). The weights are re-laid out at prepare
 *   time as [group][channel block][C/group][KH][KW][VEC] with the bias as [group][block][VEC]
 *   behind them, zero-filled past M/group: the inner loop is one vector load of weights and
 *   PIX broadcast fma()s into PIX vector accumulators held in registers.
 *
 * Build options: -DVEC=8|16 (float vector width), -DPIX=n (pixels per work-item), and
 * optionally -DFIXED_K=k: conv2d_blocked then assumes a k x k window with dilation_w 1.
 * Activation `act`: 0 none, 1 ReLU (lo_activation).
 */
#include "floatv.cl"
#ifndef PIX
#define PIX 8
#endif

kernel void conv2d_direct(global const float *restrict x, int x_off, global const float *restrict w,
                          int w_off, global const float *restrict b, int b_off, int has_bias,
                          global float *restrict y, int y_off, int N, int C, int H, int W, int M,
                          int OH, int OW, int group, int KH, int KW, int SH, int SW, int DH, int DW,
                          int PT, int PL, int act)
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
    const int HW = H * W;
    const global float *xg = x + x_off + (n * C + g * Cg) * HW;
    const global float *wm = w + w_off + m * Cg * KH * KW;
    const int h0 = oh * SH - PT, w0 = ow * SW - PL;
    float acc = has_bias ? b[b_off + m] : 0.0f;
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
    if (act == 1) acc = fmax(acc, 0.0f);
    y[y_off + i] = acc;
}

kernel void conv2d_blocked(global const float *restrict x, int x_off,
                           global const float *restrict wt, int wt_off, int bias_off,
                           global float *restrict y, int y_off, int C, int Cg, int H, int W, int M,
                           int Mg, int MgB, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                           int DW, int PT, int PL, int act)
{
    const int OHW = OH * OW;
    const int q0 = (int)get_global_id(0) * PIX;
    if (q0 >= OHW) return;                /* the global size is rounded up to the local size */
    const int gb = (int)get_global_id(1); /* group * MgB + channel block */
    const int n = (int)get_global_id(2);
    const int g = gb / MgB;
    const int HW = H * W;
    const global float *xg = x + x_off + (n * C + g * Cg) * HW;
    const global float *wp = wt + wt_off + gb * Cg * KH * KW * VEC;

    /* Top-left input corner of each pixel's window; past-the-end pixels repeat the last one
     * so that every read stays in bounds. */
    int hb[PIX], wb[PIX];
    bool inside = true;
#pragma unroll
    for (int p = 0; p < PIX; p++) {
        const int q = min(q0 + p, OHW - 1);
        const int oh = q / OW;
        hb[p] = oh * SH - PT;
        wb[p] = (q - oh * OW) * SW - PL;
        inside = inside && hb[p] >= 0 && hb[p] + (KH - 1) * DH < H && wb[p] >= 0 &&
                 wb[p] + (KW - 1) * DW < W;
    }

    const floatv bias = VLOAD(0, wt + bias_off + gb * VEC);
    floatv acc[PIX];
#pragma unroll
    for (int p = 0; p < PIX; p++)
        acc[p] = bias;

    if (inside) {
        /* No window touches the padding: no bounds checks in the hot loop. */
        int base[PIX];
#pragma unroll
        for (int p = 0; p < PIX; p++)
            base[p] = hb[p] * W + wb[p];
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
                    const global float *xk = xr + kw; /* pointer steps fold into displacements */
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

    /* Transpose through private memory: output channel j of pixel p goes to y[m0+j][q0+p]. */
    const int mb = gb - g * MgB;
    const int m0 = g * Mg + mb * VEC;
    const int mcount = min(VEC, Mg - mb * VEC);
    const int pcount = min(PIX, OHW - q0);
    float out[PIX][VEC];
#pragma unroll
    for (int p = 0; p < PIX; p++)
        VSTORE(act == 1 ? fmax(acc[p], (floatv)0.0f) : acc[p], 0, out[p]);
    global float *yb = y + y_off + (n * M + m0) * OHW + q0;
    if (pcount == PIX) {
        for (int j = 0; j < mcount; j++) {
#pragma unroll
            for (int p = 0; p < PIX; p++)
                yb[j * OHW + p] = out[p][j];
        }
    } else {
        for (int j = 0; j < mcount; j++)
            for (int p = 0; p < pcount; p++)
                yb[j * OHW + p] = out[p][j];
    }
}
