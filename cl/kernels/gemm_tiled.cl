/* Y = alpha * op(A) @ op(B) + beta * C, then the activation (semantics: plugin/seam/step.h,
 * LO_STEP_GEMM), for GPUs: the local-memory tiles of tiles.cl. C broadcasts through its
 * strides: element (m, n) is c[m * c_sm + n * c_sn], a stride being 0 along a broadcast axis.
 *
 * gemm_tiled: work-group (x, y) computes rows y * TM.. and columns x * TN.. of Y; op(A)'s slab
 *   is staged along k when A is [M, K] (trans_a 0) and along m when it is [K, M], op(B)'s
 *   along n when B is [K, N] and along k when it is [N, K]: each load is coalesced on the
 *   operand's fastest axis. Any M, N, K: the slabs are zero past the edges.
 *
 * Build options: those of tiles.cl. Activation `act`: activation.cl's float4.
 */
#include "tiles.cl"
#include "activation.cl"

#if LO_KERNEL_gemm_tiled
kernel __attribute__((reqd_work_group_size(LX, LY, 1))) void
gemm_tiled(global const float *restrict a, int a_off, global const float *restrict b, int b_off,
           global const float *restrict c, int c_off, int has_c, int c_sm, int c_sn,
           global float *restrict y, int y_off, int M, int N, int K, int trans_a, int trans_b,
           float alpha, float beta, float4 act)
{
    local float a_slab[TK * A_STRIDE];
    local float b_slab[TK * B_STRIDE];
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = ty * LX + tx;
    const int n0 = (int)get_group_id(0) * TN, m0 = (int)get_group_id(1) * TM;
    /* Element (m, k) of op(A) at a[m * a_rs + k * a_ks], (n, k) of op(B) at b[n * b_rs + ...]. */
    const int a_rs = trans_a ? 1 : K, a_ks = trans_a ? M : 1;
    const int b_rs = trans_b ? K : 1, b_ks = trans_b ? 1 : N;
    const int rows = M - m0, cols = N - n0;
    float acc[WM][WN];
    clear_tile(acc);
    for (int k0 = 0; k0 < K; k0 += TK) {
        const int depth = K - k0;
        /* The slab's origin only when it has one: a tile past M or N stages zeros. */
        const global float *as = rows > 0 ? a + a_off + m0 * a_rs + k0 * a_ks : a;
        const global float *bs = cols > 0 ? b + b_off + n0 * b_rs + k0 * b_ks : b;
        stage_slab(a_slab, A_STRIDE, TM, as, a_rs, a_ks, rows, depth, !trans_a, lid);
        stage_slab(b_slab, B_STRIDE, TN, bs, b_rs, b_ks, cols, depth, trans_b, lid);
        barrier(CLK_LOCAL_MEM_FENCE);
        multiply_slab(acc, a_slab, b_slab, tx, ty);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const global float *cp = c + c_off;
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + ty + LY * i;
        if (m >= M) break;
#pragma unroll
        for (int j = 0; j < WN; j++) {
            const int n = n0 + tx + LX * j;
            if (n >= N) break;
            float v = alpha * acc[i][j];
            if (has_c) v = fma(beta, cp[m * c_sm + n * c_sn], v);
            v = ACTIVATE(v, act);
            y[y_off + m * N + n] = v;
        }
    }
}
#endif
