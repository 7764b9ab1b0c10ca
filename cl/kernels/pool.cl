/* 2-D max and average pooling over NCHW tensors (semantics: plugin/step.h, LO_STEP_MAXPOOL
 * and LO_STEP_AVGPOOL; avgpool2d is at the end).
 *
 * maxpool2d: one work-item per output value, on an [OW, OH, N*C] grid (no division of a flat
 *   index per item, which kept PoCL from vectorising); any kernel, stride, dilation and
 *   padding.
 *   Window positions in the padding are skipped; a window wholly in the padding (impossible
 *   for valid ONNX) yields the type's lowest value without reading anything.
 * maxpool2d_2x2, avgpool2d_2x2: kernel 2x2, stride 2, no dilation, no padding, every window
 *   inside the input: eight outputs per work-item with explicit vectors.
 *
 * Build options: -DT=float|uchar and -DT_LOWEST=... (-INFINITY or 0), -DT_IS_FLOAT with
 * float.
 */
#ifndef T
#define T float
#endif
#ifndef T_LOWEST
#define T_LOWEST (-INFINITY)
#endif

#define CAT_(a, b) a##b
#define CAT(a, b)  CAT_(a, b)
#define VT8        CAT(T, 8)
#define VT16       CAT(T, 16)
/* Element-wise on scalars and vectors alike (a vector condition selects per lane); a NaN
 * never wins, as in maxpool2d. */
#define VMAX(a, b) ((a) > (b) ? (a) : (b))

kernel void maxpool2d(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                      int NC, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                      int DW, int PT, int PL)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1), nc = (int)get_global_id(2);
    if (ow >= OW) return; /* the grid's first size is rounded up to the group */
    const int i = (nc * OH + oh) * OW + ow;
    const global T *xp = x + x_off + nc * H * W;
    const int h0 = oh * SH - PT, w0 = ow * SW - PL;
    T best = T_LOWEST;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = h0 + kh * DH;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = w0 + kw * DW;
            if (iw < 0 || iw >= W) continue;
            const T v = xp[ih * W + iw];
            best = v > best ? v : best;
        }
    }
    y[y_off + i] = best;
}

/* Eight outputs of one row per work-item: two 16-wide loads (one per input row), a vertical
 * max (or sum), then the max (or sum) of the even and odd lanes, a sum scaled by a quarter. A
 * row's last block may read past the row end into the next row (those lanes are not stored);
 * only a block whose reads would pass the end of the tensor takes the scalar path. Always
 * inlined: `average` is a constant in each kernel below. */
__attribute__((always_inline)) static inline void pool_2x2(const global T *restrict x, int x_off,
                                                           global T *restrict y, int y_off, int NC,
                                                           int H, int W, int OH, int OW,
                                                           bool average)
{
    const int OWB = (OW + 7) / 8;
    const int i = (int)get_global_id(0);
    if (i >= NC * OH * OWB) return;
    const int r = i / OWB; /* output row: nc * OH + oh */
    const int ow0 = (i - r * OWB) * 8;
    const int nc = r / OH, oh = r - nc * OH;
    const int x0 = (nc * H + 2 * oh) * W + 2 * ow0;
    const global T *xp = x + x_off + x0;
    global T *yp = y + y_off + r * OW + ow0;
    const int count = min(8, OW - ow0);
    if (NC * H * W - x0 >= W + 16) { /* written so that nothing overflows */
        const VT16 a = vload16(0, xp), b = vload16(0, xp + W);
        VT8 o;
        if (average) {
            const VT16 m = a + b;
            o = (m.even + m.odd) * (T)0.25f;
        } else {
            const VT16 m = VMAX(a, b);
            o = VMAX(m.even, m.odd);
        }
        if (count == 8) {
            vstore8(o, 0, yp);
        } else {
            T out[8];
            vstore8(o, 0, out);
            for (int j = 0; j < count; j++)
                yp[j] = out[j];
        }
    } else {
        for (int j = 0; j < count; j++) {
            const global T *xj = xp + 2 * j;
            yp[j] = average ? ((xj[0] + xj[1]) + (xj[W] + xj[W + 1])) * (T)0.25f
                            : VMAX(VMAX(xj[0], xj[1]), VMAX(xj[W], xj[W + 1]));
        }
    }
}

kernel void maxpool2d_2x2(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                          int NC, int H, int W, int OH, int OW)
{
    pool_2x2(x, x_off, y, y_off, NC, H, W, OH, OW, false);
}

#ifdef T_IS_FLOAT
/* AveragePool with the same window: every window inside the input, so four values each. */
kernel void avgpool2d_2x2(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                          int NC, int H, int W, int OH, int OW)
{
    pool_2x2(x, x_off, y, y_off, NC, H, W, OH, OW, true);
}
#endif

/* 2-D average pooling (LO_STEP_AVGPOOL), float only: one work-item per output value, on the
 * grid maxpool2d takes. The sum
 * covers the window's input pixels; the divisor counts its positions inside the padded input
 * (include_pad) or inside the input only. Positions past the padded input (ceil_mode's last
 * windows) count in neither. The window is a product of rows and columns, so the count is
 * too. */
kernel void avgpool2d(global const float *restrict x, int x_off, global float *restrict y,
                      int y_off, int NC, int H, int W, int OH, int OW, int KH, int KW, int SH,
                      int SW, int DH, int DW, int PT, int PL, int PB, int PR, int include_pad)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1), nc = (int)get_global_id(2);
    if (ow >= OW) return;
    const int i = (nc * OH + oh) * OW + ow;
    const global float *xp = x + x_off + nc * H * W;
    const int h0 = oh * SH - PT, w0 = ow * SW - PL;
    const int lo_h = include_pad ? -PT : 0, hi_h = include_pad ? H + PB : H;
    const int lo_w = include_pad ? -PL : 0, hi_w = include_pad ? W + PR : W;
    int rows = 0, cols = 0;
    for (int kw = 0; kw < KW; kw++) {
        const int iw = w0 + kw * DW;
        cols += iw >= lo_w && iw < hi_w;
    }
    float sum = 0.0f;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = h0 + kh * DH;
        rows += ih >= lo_h && ih < hi_h;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = w0 + kw * DW;
            if (iw >= 0 && iw < W) sum += xp[ih * W + iw];
        }
    }
    const int count = rows * cols;
    y[y_off + i] = count > 0 ? sum / (float)count : 0.0f;
}
