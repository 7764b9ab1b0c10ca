/* Binary element-wise step with broadcasting (semantics: plugin/step.h, LO_STEP_BINARY): one
 * work-item per output element. The output index is taken apart over `dims` (the output shape
 * right-aligned in 8 axes, leading axes 1) and each input read at the sum of index * stride (0
 * along a broadcast axis). `direct`: both inputs have the output's shape, so element i is
 * read at i.
 *
 * `op` is an lo_binary_op: 1 Add, 2 Sub, 3 Mul, 4 Div, 5 PRelu (B is the slope).
 */

static float binary_apply(int op, float a, float b)
{
    switch (op) {
    case 1:
        return a + b;
    case 2:
        return a - b;
    case 3:
        return a * b;
    case 4:
        return a / b;
    default:
        return a < 0.0f ? b * a : a;
    }
}

/* Output element i; shared by binary and network.cl. */
static float binary_value(int i, const global float *a, const global float *b, int op, int direct,
                          int8 dims, int8 a_str, int8 b_str)
{
    if (direct) return binary_apply(op, a[i], b[i]);
    const int d[8] = {dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7};
    const int sa[8] = {a_str.s0, a_str.s1, a_str.s2, a_str.s3,
                       a_str.s4, a_str.s5, a_str.s6, a_str.s7};
    const int sb[8] = {b_str.s0, b_str.s1, b_str.s2, b_str.s3,
                       b_str.s4, b_str.s5, b_str.s6, b_str.s7};
    int rest = i, ia = 0, ib = 0;
    for (int k = 7; k >= 0; k--) {
        const int idx = rest % d[k];
        rest /= d[k];
        ia += idx * sa[k];
        ib += idx * sb[k];
    }
    return binary_apply(op, a[ia], b[ib]);
}

#if LO_KERNEL_binary
kernel void binary(global const float *a, int a_off, global const float *b, int b_off,
                   global float *y, int y_off, int n, int op, int direct, int8 dims, int8 a_str,
                   int8 b_str)
{
    const int i = (int)get_global_id(0);
    if (i < n) y[y_off + i] = binary_value(i, a + a_off, b + b_off, op, direct, dims, a_str, b_str);
}
#endif
