/* 2-D max and average pooling over NCHW tensors (semantics: plugin/step.h, LO_STEP_MAXPOOL
 * and LO_STEP_AVGPOOL; avgpool2d is at the end).
 *
 * maxpool2d: one work-item per output value, on an [OW, OH, N*C] grid (no division of a flat
 *   index per item, which kept PoCL from vectorising); any kernel, stride, dilation and
 *   padding.
 *   Window positions in the padding are skipped; a window wholly in the padding (impossible
 *   for valid ONNX) yields the type's lowest value without reading anything.
 * maxpool2d_2x2, avgpool2d_2x2: kernel 2x2, stride 2, no dilation, pads of 0 or 1 before:
 *   eight outputs per work-item, with explicit vectors where the block's windows lie inside
 *   the input (PoCL does not vectorise the general kernels: a padded 2x2 AveragePool took
 *   3.6 ns per output through avgpool2d).
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

/* Output (oh, ow) of plane xp's window; shared by maxpool2d and network.cl. */
static T maxpool_value(const global T *xp, int H, int W, int KH, int KW, int SH, int SW, int DH,
                       int DW, int PT, int PL, int oh, int ow)
{
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
    return best;
}

#if LO_KERNEL_maxpool2d
kernel void maxpool2d(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                      int NC, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH,
                      int DW, int PT, int PL)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1), nc = (int)get_global_id(2);
    if (ow >= OW) return; /* the grid's first size is rounded up to the group */
    y[y_off + (nc * OH + oh) * OW + ow] =
        maxpool_value(x + x_off + nc * H * W, H, W, KH, KW, SH, SW, DH, DW, PT, PL, oh, ow);
}
#endif

/* Input row `row` of plane xp from column c0, 16 values, the positions outside the input
 * (padding, or past the row) `neutral`; `left` elements may be read from xp on. Float rows
 * with at most one column of padding before are one vector load (shifted a lane for that
 * column) and a lane mask; the rest are built lane by lane. */
static VT16 row16(const global T *xp, int H, int W, int row, int c0, T neutral, int left)
{
    if (row < 0 || row >= H) return (VT16)neutral;
#ifdef T_IS_FLOAT
    const int start = row * W + max(c0, 0);
    if (c0 >= -1 && start <= left - 16) {
        VT16 v = vload16(0, xp + start);
        if (c0 < 0) v = (VT16)(neutral, v.s0123, v.s4567, v.s89ab, v.scde);
        const int16 col =
            (int16)(c0) + (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return select(v, (VT16)neutral, col >= W);
    }
#endif
    T v[16];
    for (int k = 0; k < 16; k++) {
        const int c = c0 + k;
        v[k] = c >= 0 && c < W ? xp[row * W + c] : neutral;
    }
    return vload16(0, v);
}

/* Eight outputs of one row per work-item: two 16-wide loads (one per input row), a vertical
 * max (or sum), then the max (or sum) of the even and odd lanes, a sum scaled by a quarter. A
 * block whose windows all lie inside the input loads straight from memory (the last lanes of
 * a row's last block may read into the next row: they are not stored); a block that touches
 * the padding (pads of 0 or 1 before, any after) or the tensor's end loads its rows with the
 * outside positions neutral, and an average divides each lane by its window's count (as
 * avgpool2d counts). Always inlined: `average` is a constant in each kernel below. */
__attribute__((always_inline)) static inline void
pool_2x2(const global T *restrict x, int x_off, global T *restrict y, int y_off, int NC, int H,
         int W, int OH, int OW, int PT, int PL, int PB, int PR, int include_pad, bool average)
{
    const int OWB = (OW + 7) / 8;
    const int i = (int)get_global_id(0);
    if (i >= NC * OH * OWB) return;
    const int r = i / OWB; /* output row: nc * OH + oh */
    const int ow0 = (i - r * OWB) * 8;
    const int nc = r / OH, oh = r - nc * OH;
    const int ih = 2 * oh - PT, iw = 2 * ow0 - PL; /* the block's first window's corner */
    const int count = min(8, OW - ow0);
    const int x0 = (nc * H + ih) * W + iw;
    global T *yp = y + y_off + r * OW + ow0;
    const T neutral = average ? (T)0 : T_LOWEST;
    /* Written so that nothing overflows. */
    const bool inside =
        ih >= 0 && ih + 2 <= H && iw >= 0 && iw + 2 * count <= W && NC * H * W - x0 >= W + 16;
    const global T *plane = x + x_off + nc * H * W;
    const int left = (NC - nc) * H * W; /* readable from the plane on */
    const VT16 a = inside ? vload16(0, x + x_off + x0) : row16(plane, H, W, ih, iw, neutral, left);
    const VT16 b =
        inside ? vload16(0, x + x_off + x0 + W) : row16(plane, H, W, ih + 1, iw, neutral, left);
    VT8 o;
    if (average) {
        const VT16 m = a + b;
        o = m.even + m.odd;
#ifdef T_IS_FLOAT
        if (inside) {
            o *= 0.25f;
        } else {
            /* Positions counted per axis: inside the padded input, or the input only. */
            const int lo_h = include_pad ? -PT : 0, hi_h = include_pad ? H + PB : H;
            const int lo_w = include_pad ? -PL : 0, hi_w = include_pad ? W + PR : W;
            const int rows = (ih >= lo_h && ih < hi_h) + (ih + 1 >= lo_h && ih + 1 < hi_h);
            const int8 c0 = (int8)(iw) + (int8)(0, 2, 4, 6, 8, 10, 12, 14), c1 = c0 + 1;
            /* Vector comparisons are -1 where true. */
            const int8 cols = -((c0 >= lo_w) & (c0 < hi_w)) - ((c1 >= lo_w) & (c1 < hi_w));
            const float8 n = convert_float8(cols * rows);
            o = n > 0.0f ? o / n : 0.0f;
        }
#endif
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
}

#if LO_KERNEL_maxpool2d_2x2
kernel void maxpool2d_2x2(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                          int NC, int H, int W, int OH, int OW, int PT, int PL)
{
    pool_2x2(x, x_off, y, y_off, NC, H, W, OH, OW, PT, PL, 0, 0, 0, false);
}
#endif

#ifdef T_IS_FLOAT
/* AveragePool with the same window. */
#if LO_KERNEL_avgpool2d_2x2
kernel void avgpool2d_2x2(global const T *restrict x, int x_off, global T *restrict y, int y_off,
                          int NC, int H, int W, int OH, int OW, int PT, int PL, int PB, int PR,
                          int include_pad)
{
    pool_2x2(x, x_off, y, y_off, NC, H, W, OH, OW, PT, PL, PB, PR, include_pad, true);
}
#endif
#endif

/* 2-D average pooling (LO_STEP_AVGPOOL), float only: one work-item per output value, on the
 * grid maxpool2d takes. The sum
 * covers the window's input pixels; the divisor counts its positions inside the padded input
 * (include_pad) or inside the input only. Positions past the padded input (ceil_mode's last
 * windows) count in neither. The window is a product of rows and columns, so the count is
 * too. */
#ifdef T_IS_FLOAT
/* Output (oh, ow) of plane xp's window; shared by avgpool2d and network.cl. */
static float avgpool_value(const global float *xp, int H, int W, int KH, int KW, int SH, int SW,
                           int DH, int DW, int PT, int PL, int PB, int PR, int include_pad, int oh,
                           int ow)
{
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
    return count > 0 ? sum / (float)count : 0.0f;
}

#if LO_KERNEL_avgpool2d
kernel void avgpool2d(global const float *restrict x, int x_off, global float *restrict y,
                      int y_off, int NC, int H, int W, int OH, int OW, int KH, int KW, int SH,
                      int SW, int DH, int DW, int PT, int PL, int PB, int PR, int include_pad)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1), nc = (int)get_global_id(2);
    if (ow >= OW) return;
    y[y_off + (nc * OH + oh) * OW + ow] =
        avgpool_value(x + x_off + nc * H * W, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR,
                      include_pad, oh, ow);
}
#endif
#endif
