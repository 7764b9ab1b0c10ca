/* Y = alpha * op(A) @ op(B) + beta * C, then the activation (semantics: plugin/step.h,
 * LO_STEP_GEMM). C broadcasts through its strides: element (m, n) is c[m * c_sm + n * c_sn],
 * a stride being 0 along a broadcast axis.
 *
 * gemm_direct: one work-item per output value, any operands.
 * gemm_blocked: op(B) re-laid out at prepare time as [K][NB * VEC] (zero-filled past N); one
 *   work-item per MR rows x NR * VEC columns, MR * NR vector accumulators: per k NR vector
 *   loads of B and MR broadcasts, each serving NR fma()s (with NR 2 the loop is bound by the
 *   fma()s, not by the loads: one vector of B per 8 rows left it at 50-64% of the peak). NB is
 *   then a multiple of NR. With MR == 1 (batch 1) four partial sums over k hide the fma
 *   latency instead (NR 1).
 *
 * Build options: -DVEC=8|16, -DMR=n, -DNR=1|2. Activation `act`: activation.cl's float4.
 */
#include "floatv.cl"
#include "activation.cl"
#ifndef MR
#define MR 8
#endif
#ifndef NR
#define NR 1
#endif

static float gemm_epilogue(float sum, int m, int n, global const float *c, int has_c, int c_sm,
                           int c_sn, float alpha, float beta, float4 act)
{
    float v = alpha * sum;
    if (has_c) v = fma(beta, c[m * c_sm + n * c_sn], v);
    v = ACTIVATE(v, act);
    return v;
}

/* Output (m, n); shared by gemm_direct and network.cl. */
static float gemm_value(int m, int n, const global float *a, const global float *b,
                        const global float *c, int has_c, int c_sm, int c_sn, int M, int N, int K,
                        int trans_a, int trans_b, float alpha, float beta, float4 act)
{
    const global float *ap = a + (trans_a ? m : m * K);
    const global float *bp = b + (trans_b ? n * K : n);
    const int as = trans_a ? M : 1, bs = trans_b ? 1 : N;
    float sum = 0.0f;
    for (int k = 0; k < K; k++)
        sum = fma(ap[k * as], bp[k * bs], sum);
    return gemm_epilogue(sum, m, n, c, has_c, c_sm, c_sn, alpha, beta, act);
}

#if LO_KERNEL_gemm_direct
kernel void gemm_direct(global const float *restrict a, int a_off, global const float *restrict b,
                        int b_off, global const float *restrict c, int c_off, int has_c, int c_sm,
                        int c_sn, global float *restrict y, int y_off, int M, int N, int K,
                        int trans_a, int trans_b, float alpha, float beta, float4 act)
{
    const int i = (int)get_global_id(0);
    if (i >= M * N) return;
    y[y_off + i] = gemm_value(i / N, i % N, a + a_off, b + b_off, c + c_off, has_c, c_sm, c_sn, M,
                              N, K, trans_a, trans_b, alpha, beta, act);
}
#endif

/* Stores rows m0.. (`rows` of them) of accumulators acc for the VEC columns from n0 (`cols` of
 * them), after the epilogue on whole vectors: a scalar activation per element (Tanh) cost as
 * much as the product of a 400 x 120 Gemm. */
static void gemm_store(const floatv *acc, int m0, int rows, int n0, int cols,
                       global const float *restrict c, int c_off, int has_c, int c_sm, int c_sn,
                       global float *restrict y, int y_off, int N, float alpha, float beta,
                       float4 act)
{
    for (int r = 0; r < rows; r++) {
        const int m = m0 + r;
        float cs[VEC];
        for (int j = 0; j < VEC; j++)
            cs[j] = has_c && j < cols ? c[c_off + m * c_sm + (n0 + j) * c_sn] : 0.0f;
        floatv v = alpha * acc[r];
        if (has_c) v = fma((floatv)beta, VLOAD(0, cs), v);
        v = ACTIVATE(v, act);
        global float *yr = y + y_off + m * N + n0;
        if (cols == VEC) {
            VSTORE(v, 0, yr);
        } else {
            float out[VEC];
            VSTORE(v, 0, out);
            for (int j = 0; j < cols; j++)
                yr[j] = out[j];
        }
    }
}

#if LO_KERNEL_gemm_blocked
kernel void gemm_blocked(global const float *restrict a, int a_off, global const float *restrict bt,
                         int bt_off, global const float *restrict c, int c_off, int has_c, int c_sm,
                         int c_sn, global float *restrict y, int y_off, int M, int N, int K, int NB,
                         int trans_a, float alpha, float beta, float4 act)
{
    const int nb = (int)get_global_id(0) * NR; /* the first of the item's NR column blocks */
    const int m0 = (int)get_global_id(1) * MR;
    if (nb >= NB || m0 >= M) return; /* the global size is rounded up to the local size */
    const int ks = trans_a ? M : 1;  /* step between A's elements along k */
    const global float *ap = a + a_off;
    const global float *bp = bt + bt_off + nb * VEC;
    const int bstride = NB * VEC;
    floatv acc[NR][MR];
#if MR == 1
    const global float *ar = ap + (trans_a ? m0 : m0 * K);
    floatv s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        s0 = fma((floatv)ar[k * ks], VLOAD(0, bp + k * bstride), s0);
        s1 = fma((floatv)ar[(k + 1) * ks], VLOAD(0, bp + (k + 1) * bstride), s1);
        s2 = fma((floatv)ar[(k + 2) * ks], VLOAD(0, bp + (k + 2) * bstride), s2);
        s3 = fma((floatv)ar[(k + 3) * ks], VLOAD(0, bp + (k + 3) * bstride), s3);
    }
    for (; k < K; k++)
        s0 = fma((floatv)ar[k * ks], VLOAD(0, bp + k * bstride), s0);
    acc[0][0] = (s0 + s1) + (s2 + s3);
#else
    /* Rows past M repeat the last row, so every read stays in bounds. */
    int rb[MR];
#pragma unroll
    for (int r = 0; r < MR; r++) {
        const int m = min(m0 + r, M - 1);
        rb[r] = trans_a ? m : m * K;
#pragma unroll
        for (int j = 0; j < NR; j++)
            acc[j][r] = 0.0f;
    }
    for (int k = 0; k < K; k++) {
        floatv bv[NR];
#pragma unroll
        for (int j = 0; j < NR; j++)
            bv[j] = VLOAD(j, bp + k * bstride);
        const global float *ak = ap + k * ks;
#pragma unroll
        for (int r = 0; r < MR; r++) {
            const floatv av = (floatv)ak[rb[r]];
#pragma unroll
            for (int j = 0; j < NR; j++)
                acc[j][r] = fma(av, bv[j], acc[j][r]);
        }
    }
#endif
    const int rows = min(MR, M - m0);
#pragma unroll
    for (int j = 0; j < NR; j++) {
        const int n0 = (nb + j) * VEC; /* a block past N (NB rounded up to NR) stores nothing */
        if (n0 < N)
            gemm_store(acc[j], m0, rows, n0, min(VEC, N - n0), c, c_off, has_c, c_sm, c_sn, y,
                       y_off, N, alpha, beta, act);
    }
}
#endif
