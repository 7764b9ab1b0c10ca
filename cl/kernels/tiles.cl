/* The tile geometry gemm_tiled.cl and conv_tiled.cl share (an include, not a program).
 *
 * A work-group of LX x LY work-items computes a TM x TN tile of a matrix product Y = A @ B
 * (TM = LY * WM rows, TN = LX * WN columns), staging TK-deep slabs of A and B in local memory
 * per step of the reduction. Work-item (tx, ty) owns rows ty + LY * i and columns tx + LX * j:
 * neighbouring work-items write neighbouring columns (coalesced stores) and read neighbouring
 * words of the B slab (no bank conflicts) while the A slab's words are broadcast. The slabs are
 * stored reduction-major, t[k][r], each row padded by one word so a slab staged along its
 * other axis spreads over the banks too.
 *
 * Build options: -DLX, -DLY (LX * LY <= 256, a multiple of TN), -DWM, -DWN; TK is fixed.
 */
#ifndef LX
#define LX 16
#endif
#ifndef LY
#define LY 16
#endif
#ifndef WM
#define WM 4
#endif
#ifndef WN
#define WN 4
#endif
#define TK          16
#define TM          (LY * WM)
#define TN          (LX * WN)
#define GROUP_ITEMS (LX * LY)
#define A_STRIDE    (TM + 1)
#define B_STRIDE    (TN + 1)

#if GROUP_ITEMS % TN != 0
#error "the work-group size must be a multiple of the tile's columns"
#endif

/* Stages rows x TK of a matrix whose element (r, k) of this slab is at src[r * rs + k * ks],
 * into t[k * stride + r], zero past `rows` rows and `depth` reduction steps (the tile's tails).
 * k_fast: the reduction is the matrix's fastest axis, so consecutive work-items take
 * consecutive k (coalesced loads); otherwise consecutive r. R is TM or TN. */
static inline void stage_slab(local float *t, int stride, int R, const global float *src, int rs,
                              int ks, int rows, int depth, int k_fast, int lid)
{
    for (int idx = lid; idx < R * TK; idx += GROUP_ITEMS) {
        const int k = k_fast ? idx % TK : idx / R;
        const int r = k_fast ? idx / TK : idx % R;
        t[k * stride + r] = r < rows && k < depth ? src[r * rs + k * ks] : 0.0f;
    }
}

/* acc[i][j] += sum over the slab's k of a[k][ty + LY * i] * b[k][tx + LX * j]. */
static inline void multiply_slab(float acc[WM][WN], const local float *a, const local float *b,
                                 int tx, int ty)
{
#pragma unroll
    for (int k = 0; k < TK; k++) {
        float av[WM], bv[WN];
#pragma unroll
        for (int i = 0; i < WM; i++)
            av[i] = a[k * A_STRIDE + ty + LY * i];
#pragma unroll
        for (int j = 0; j < WN; j++)
            bv[j] = b[k * B_STRIDE + tx + LX * j];
#pragma unroll
        for (int i = 0; i < WM; i++)
#pragma unroll
            for (int j = 0; j < WN; j++)
                acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
}

static inline void clear_tile(float acc[WM][WN])
{
#pragma unroll
    for (int i = 0; i < WM; i++)
#pragma unroll
        for (int j = 0; j < WN; j++)
            acc[i][j] = 0.0f;
}
