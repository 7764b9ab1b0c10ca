/* conv2d_rows: 2-D convolution (plugin/seam/step.h, LO_STEP_CONV) vectorised over output
 * pixels instead of output channels, for convs with few taps per output channel (one input
 * channel per group: LeNet-5's conv1 is 1 -> 6 channels, 5x5), stride and dilation 1.
 * conv.cl's blocked kernel puts VEC output channels in the lanes: with 6 channels it wastes 10
 * of 16 lanes, and with 9 to 25 taps per block its per-item costs dominate (8% of the FMA
 * peak on PoCL).
 *
 * A work-item computes VEC consecutive output pixels of two output rows for MB output channels
 * of one group: per tap, one (unaligned) vector load of each row's input segment, shared by
 * the MB channels, and per channel one weight broadcast shared by the two rows and two fma()s.
 * The weights are re-laid out at prepare time as [group][channel block][C/group][KH][KW][MB],
 * the bias as [group][block][MB] behind them, zero past M/group (conv.cl's blocked layout with
 * MB lanes). The window's rows are a loop and its columns are unrolled for windows up to 3
 * wide only: unrolling more let the compiler hoist the broadcasts of later taps and spill
 * them (a 5x5 window ran 1.6x slower).
 *
 * With `pooled` (a 2x2, stride 2 MaxPool epilogue without padding whose windows lie inside
 * the conv output), the two rows are one pool row: their maximum, then that of even and odd
 * lanes (as pool.cl's pool_2x2), gives VEC/2 pooled pixels.
 *
 * Segments are placed so that none runs past the row (the last one starts VEC before its
 * end, recomputing a few pixels of its neighbour), and the last row pair of an odd height
 * repeats a row: the overlaps write equal values. Taps outside the input read zero: rows by
 * a clamped address and a test, columns by a lane mask; a work-item whose loads could leave
 * the tensor (the first and last rows of the whole batch) builds its vectors lane by lane.
 *
 * Build options: -DVEC=8|16, optionally -DFIXED_K=k (a k x k window known at build time).
 * Activation `act`: (op, alpha, min, max), activation.cl's float4.
 */
#include "floatv.cl"
#include "activation.cl"

/* Output channels per work-item: 2 x MB vector accumulators, 16 of AVX-512's 32 registers
 * (cl_launch_conv.c's LO_CL_CONV_ROWS_MB). */
#define MB 8

#if VEC == 16
typedef int16 intv;
typedef float8 floath;
#define VSTOREH vstore8
#define LANES   (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#else
typedef int8 intv;
typedef float4 floath;
#define VSTOREH vstore4
#define LANES   (int8)(0, 1, 2, 3, 4, 5, 6, 7)
#endif

#ifdef FIXED_K
#define ROWS_KH   FIXED_K
#define ROWS_KW   FIXED_K
#define UNROLL_KW (FIXED_K <= 3 ? FIXED_K : 1)
#else
#define ROWS_KH   KH
#define ROWS_KW   KW
#define UNROLL_KW 1
#endif

/* Loads xr[0 .. VEC-1] whose first element is input column `col`: `mode` 0 when all of them
 * lie in the row, 1 when some may not (those read zero; all addresses are in the tensor),
 * 2 when the addresses themselves may leave the tensor. */
__attribute__((always_inline)) static inline floatv load_taps(const global float *xr, int col,
                                                              int W, int mode)
{
    if (mode == 0) return VLOAD(0, xr);
    if (mode == 1) {
        const intv c = LANES + col;
        return select((floatv)0.0f, VLOAD(0, xr), c >= 0 && c < W);
    }
    float t[VEC];
#pragma unroll
    for (int l = 0; l < VEC; l++)
        t[l] = col + l >= 0 && col + l < W ? xr[l] : 0.0f;
    return VLOAD(0, t);
}

/* Adds to acc0 and acc1 the convolution of the output rows whose windows start at input
 * rows h and h + 1 (rows outside the input add nothing), VEC pixels from input column s. Each
 * weight broadcast serves both rows. Always inlined: `mode` is a constant at each call. */
__attribute__((always_inline)) static inline void
rows_accumulate(floatv *acc0, floatv *acc1, const global float *xg, const global float *wp, int Cg,
                int H, int W, int KH, int KW, int h, int s, int mode)
{
    for (int c = 0; c < Cg; c++) {
        const global float *xc = xg + c * H * W;
#pragma unroll 1
        for (int kh = 0; kh < ROWS_KH; kh++) {
            const int ih0 = h + kh, ih1 = h + kh + 1;
            const bool in0 = ih0 >= 0 && ih0 < H, in1 = ih1 >= 0 && ih1 < H;
            const global float *xr0 = xc + clamp(ih0, 0, H - 1) * W + s;
            const global float *xr1 = xc + clamp(ih1, 0, H - 1) * W + s;
            const global float *wk = wp + (c * ROWS_KH + kh) * ROWS_KW * MB;
#pragma unroll UNROLL_KW
            for (int kw = 0; kw < ROWS_KW; kw++) {
                const floatv v0 = in0 ? load_taps(xr0 + kw, s + kw, W, mode) : (floatv)0.0f;
                const floatv v1 = in1 ? load_taps(xr1 + kw, s + kw, W, mode) : (floatv)0.0f;
#pragma unroll
                for (int j = 0; j < MB; j++) {
                    const floatv w = (floatv)(wk[kw * MB + j]);
                    acc0[j] = fma(v0, w, acc0[j]);
                    acc1[j] = fma(v1, w, acc1[j]);
                }
            }
        }
    }
}

/* rows_accumulate with the mode that the item's reads allow (see load_taps). */
__attribute__((always_inline)) static inline void
rows_conv(floatv *acc0, floatv *acc1, const global float *xg, const global float *wp, int Cg, int H,
          int W, int KH, int KW, int h, int s, bool row_inside, bool tensor_inside)
{
    if (row_inside)
        rows_accumulate(acc0, acc1, xg, wp, Cg, H, W, KH, KW, h, s, 0);
    else if (tensor_inside)
        rows_accumulate(acc0, acc1, xg, wp, Cg, H, W, KH, KW, h, s, 1);
    else
        rows_accumulate(acc0, acc1, xg, wp, Cg, H, W, KH, KW, h, s, 2);
}

/* Stores the first `count` lanes of v at y (count < VEC only where the row is narrower than a
 * vector). */
static void store_lanes(global float *y, floatv v, int count)
{
    if (count == VEC) {
        VSTORE(v, 0, y);
        return;
    }
    float t[VEC];
    VSTORE(v, 0, t);
    for (int l = 0; l < count; l++)
        y[l] = t[l];
}

static void store_half(global float *y, floath v, int count)
{
    if (count == VEC / 2) {
        VSTOREH(v, 0, y);
        return;
    }
    float t[VEC / 2];
    VSTOREH(v, 0, t);
    for (int l = 0; l < count; l++)
        y[l] = t[l];
}

/* Grid: [group * MgB channel blocks x row pairs x segments, 1, N], the channel block varying
 * fastest: the work-items of a work-group then read different weights, which the compiler
 * would otherwise hoist out of the work-group's loop as splats, spilled to the stack. Without
 * a pool OH x OW is the output; with one the output is [PH, PW] (OH, OW the conv's, at least
 * 2 PH x 2 PW), and a work-item computes the two conv rows of one pooled row. */
#if LO_KERNEL_conv2d_rows
kernel void conv2d_rows(global const float *restrict x, int x_off, global const float *restrict wt,
                        int wt_off, int bias_off, global float *restrict y, int y_off, int N, int C,
                        int Cg, int H, int W, int M, int Mg, int MgB, int G, int OH, int OW, int KH,
                        int KW, int PT, int PL, float4 act, int pooled, int PH, int PW)
{
    const int out_w = pooled ? PW : OW;           /* output columns */
    const int lanes_out = pooled ? VEC / 2 : VEC; /* output pixels per row segment */
    const int segs = (out_w + lanes_out - 1) / lanes_out;
    const int pairs = pooled ? PH : (OH + 1) / 2;
    const int blocks = G * MgB;
    const int item = (int)get_global_id(0);
    if (item >= blocks * pairs * segs) return; /* the global size is rounded up */
    const int gb = item % blocks;              /* group * MgB + channel block */
    const int rest = item / blocks;
    const int pair = rest / segs, seg = rest - pair * segs;
    const int n = (int)get_global_id(2);
    const int g = gb / MgB;

    /* First output pixel (in out_w) and conv column of the segment, kept inside the row; the
     * first conv row of the pair (the last pair of an odd height repeats a row). */
    const int o0 = max(0, min(seg * lanes_out, out_w - lanes_out));
    const int count = min(lanes_out, out_w - o0);
    const int ow0 = pooled ? 2 * o0 : o0;
    const int oh0 = pooled ? 2 * pair : max(0, min(2 * pair, OH - 2));

    const global float *xg = x + x_off + (n * C + g * Cg) * H * W;
    const global float *wp = wt + wt_off + gb * Cg * KH * KW * MB;
    const global float *bp = wt + bias_off + gb * MB;
    const int s = ow0 - PL;
    const bool row_inside = s >= 0 && s + VEC + KW - 1 <= W;
    /* Else the reads' extent in the tensor (row addresses are clamped into the image). */
    const int first = (n * C + g * Cg) * H * W + s;
    const int last = (n * C + g * Cg + Cg - 1) * H * W + (H - 1) * W + s + VEC + KW - 2;
    const bool tensor_inside = first >= 0 && last < N * C * H * W;

    floatv acc0[MB], acc1[MB];
#pragma unroll
    for (int j = 0; j < MB; j++)
        acc0[j] = acc1[j] = (floatv)(bp[j]);
    rows_conv(acc0, acc1, xg, wp, Cg, H, W, KH, KW, oh0 - PT, s, row_inside, tensor_inside);

    const int mb = gb - g * MgB;
    const int m0 = g * Mg + mb * MB, mcount = min(MB, Mg - mb * MB);
    /* Unrolled with a guard, not a bound: the accumulators stay in registers. */
    if (!pooled) {
        const int oh1 = min(oh0 + 1, OH - 1);
        global float *yr = y + y_off + (n * M + m0) * OH * OW + o0;
#pragma unroll
        for (int j = 0; j < MB; j++) {
            if (j >= mcount) continue;
            store_lanes(yr + j * OH * OW + oh0 * OW, ACTIVATE(acc0[j], act), count);
            store_lanes(yr + j * OH * OW + oh1 * OW, ACTIVATE(acc1[j], act), count);
        }
        return;
    }
    global float *yr = y + y_off + ((n * M + m0) * PH + pair) * PW + o0;
#pragma unroll
    for (int j = 0; j < MB; j++) {
        if (j >= mcount) continue;
        /* v > best lane by lane from -inf, as MaxPool compares (a NaN never wins). */
        const floatv v0 = ACTIVATE(acc0[j], act), v1 = ACTIVATE(acc1[j], act);
        floatv b = select((floatv)(-INFINITY), v0, v0 > (floatv)(-INFINITY));
        b = select(b, v1, v1 > b);
        const floath e = b.even, o = b.odd;
        store_half(yr + j * PH * PW, select(e, o, o > e), count);
    }
}
#endif
