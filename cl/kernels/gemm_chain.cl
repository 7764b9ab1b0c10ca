/* Gemm chains (semantics: plugin/seam/step.h, LO_STEP_GEMM_CHAIN): a classifier head in one
 * launch. One work-group per MR rows of A; the row, then each layer's output, lives in local
 * memory between barriers, so the intermediates never reach global memory and the layers cost
 * no launches of their own.
 *
 * The packed constants (cl_launch_chain.c) open with a header of 10 values per layer, ints
 * stored as float bit patterns: the offsets of B, re-laid out as [K][NB * VEC] (zero past N),
 * and of the bias beta * C as [NB * VEC]; K, N, NB, the activation (activation.cl); then
 * floats: alpha, and the activation's alpha, min and max.
 * Each work-item computes VEC columns at a time, as gemm_blocked does for one row.
 *
 * Build options: -DVEC=8|16, -DMR=1|2|4|8 (rows per work-group: each load of B serves them
 * all). The local memory comes as an argument: two sets of MR rows of `width` floats (the
 * widest row: A's K or a layer's N, at least), so one program serves every head.
 */
#include "floatv.cl"
#include "activation.cl"
#ifndef MR
#define MR 1
#endif

#define CHAIN_HEADER 10 /* values per layer */
#define CHAIN_W_OFF 0
#define CHAIN_B_OFF 1
#define CHAIN_K 2
#define CHAIN_N 3
#define CHAIN_NB 4
#define CHAIN_ACT 5
#define CHAIN_ALPHA 6
#define CHAIN_ACT_ARGS 7 /* LeakyRelu's alpha, Clip's min and max */

/* One layer on MR rows (row r of `in` and `out` at r * width): out = act(alpha * in @ B + bias)
 * for the layer's N columns, VEC columns per work-item at a time. */
static void chain_layer(local const float *in, local float *out, int width,
                        const global float *restrict w, const global float *restrict header)
{
    const int w_off = as_int(header[CHAIN_W_OFF]), b_off = as_int(header[CHAIN_B_OFF]);
    const int K = as_int(header[CHAIN_K]), N = as_int(header[CHAIN_N]);
    const int NB = as_int(header[CHAIN_NB]), act = as_int(header[CHAIN_ACT]);
    const float alpha = header[CHAIN_ALPHA];
    const int stride = NB * VEC;
    for (int nb = (int)get_local_id(0); nb < NB; nb += (int)get_local_size(0)) {
        const global float *bp = w + w_off + nb * VEC;
        floatv acc[MR];
#if MR == 1
        /* Four partial sums over k hide the fma latency (one row: nothing else to overlap). */
        floatv s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        int k = 0;
        for (; k + 4 <= K; k += 4) {
            s0 = fma((floatv)in[k], VLOAD(0, bp + k * stride), s0);
            s1 = fma((floatv)in[k + 1], VLOAD(0, bp + (k + 1) * stride), s1);
            s2 = fma((floatv)in[k + 2], VLOAD(0, bp + (k + 2) * stride), s2);
            s3 = fma((floatv)in[k + 3], VLOAD(0, bp + (k + 3) * stride), s3);
        }
        for (; k < K; k++)
            s0 = fma((floatv)in[k], VLOAD(0, bp + k * stride), s0);
        acc[0] = (s0 + s1) + (s2 + s3);
#else
        /* One load of B per k serves MR rows. */
#pragma unroll
        for (int r = 0; r < MR; r++)
            acc[r] = 0.0f;
        for (int k = 0; k < K; k++) {
            const floatv bv = VLOAD(0, bp + k * stride);
#pragma unroll
            for (int r = 0; r < MR; r++)
                acc[r] = fma((floatv)in[r * width + k], bv, acc[r]);
        }
#endif
        const floatv bias = VLOAD(0, w + b_off + nb * VEC);
        const int n0 = nb * VEC, cols = min(VEC, N - n0);
#pragma unroll
        for (int r = 0; r < MR; r++) {
            floatv v = fma((floatv)alpha, acc[r], bias);
            v = ACTIVATE(v, (float4)((float)act, header[CHAIN_ACT_ARGS],
                                     header[CHAIN_ACT_ARGS + 1], header[CHAIN_ACT_ARGS + 2]));
            float lanes[VEC];
            VSTORE(v, 0, lanes);
            for (int j = 0; j < cols; j++)
                out[r * width + n0 + j] = lanes[j];
        }
    }
}

/* MR rows of A per work-group: rows past M repeat the last one (computed, not stored). */
#if LO_KERNEL_gemm_chain
kernel void gemm_chain(global const float *restrict a, int a_off, int M,
                       global const float *restrict w, int layers, global float *restrict y,
                       int y_off, local float *rows, int width)
{
    local float *sets[2] = {rows, rows + MR * width};
    const int m0 = (int)get_group_id(1) * MR;
    const int lid = (int)get_local_id(0), items = (int)get_local_size(0);
    const int K0 = as_int(w[CHAIN_K]);
    for (int r = 0; r < MR; r++) {
        const int m = min(m0 + r, M - 1);
        for (int k = lid; k < K0; k += items)
            sets[0][r * width + k] = a[a_off + m * K0 + k];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int cur = 0;
    for (int l = 0; l < layers; l++) {
        chain_layer(sets[cur], sets[1 - cur], width, w, w + l * CHAIN_HEADER);
        barrier(CLK_LOCAL_MEM_FENCE);
        cur = 1 - cur;
    }
    const int N = as_int(w[(layers - 1) * CHAIN_HEADER + CHAIN_N]);
    const int count = min(MR, M - m0);
    for (int r = 0; r < count; r++)
        for (int n = lid; n < N; n += items)
            y[y_off + (m0 + r) * N + n] = sets[cur][r * width + n];
}
#endif
