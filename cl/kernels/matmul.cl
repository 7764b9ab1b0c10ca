/* Batched matrix product (semantics: plugin/step.h, LO_STEP_MATMUL): one work-item per output
 * element. The batch index is taken apart over `dims` (the batch shape right-aligned in 8
 * axes, leading axes 1); each operand's matrix starts at the sum of index * stride.
 */
#if LO_KERNEL_matmul
kernel void matmul(global const float *restrict a, int a_off, global const float *restrict b,
                   int b_off, global float *restrict y, int y_off, int batch, int M, int N, int K,
                   int8 dims, int8 a_str, int8 b_str)
{
    const int i = (int)get_global_id(0);
    if (i >= batch * M * N) return;
    const int n = i % N, m = (i / N) % M;
    const int d[8] = {dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7};
    const int sa[8] = {a_str.s0, a_str.s1, a_str.s2, a_str.s3,
                       a_str.s4, a_str.s5, a_str.s6, a_str.s7};
    const int sb[8] = {b_str.s0, b_str.s1, b_str.s2, b_str.s3,
                       b_str.s4, b_str.s5, b_str.s6, b_str.s7};
    int rest = i / (M * N), ia = 0, ib = 0;
    for (int k = 7; k >= 0; k--) {
        const int idx = rest % d[k];
        rest /= d[k];
        ia += idx * sa[k];
        ib += idx * sb[k];
    }
    const global float *ap = a + a_off + ia + m * K;
    const global float *bp = b + b_off + ib + n;
    float sum = 0.0f;
    for (int k = 0; k < K; k++)
        sum = fma(ap[k], bp[k * N], sum);
    y[y_off + i] = sum;
}
#endif
