/* Softmax and LogSoftmax (semantics: plugin/step.h, LO_STEP_SOFTMAX): X viewed as
 * [outer, len, inner], one work-item per (outer, inner) line along the middle axis. The line's
 * max is subtracted before exp(), so large inputs do not overflow. May run in place: each
 * element is read before it is written.
 */
/* Line i (outer * inner of them); shared by softmax and network.cl. */
static void softmax_line(int i, const global float *x, global float *y, int len, int inner,
                         int log_out)
{
    const int base = (i / inner) * len * inner + i % inner;
    const global float *xp = x + base;
    global float *yp = y + base;
    float top = -INFINITY;
    for (int k = 0; k < len; k++)
        top = fmax(top, xp[k * inner]);
    float sum = 0.0f;
    for (int k = 0; k < len; k++)
        sum += exp(xp[k * inner] - top);
    if (log_out) {
        const float shift = top + log(sum);
        for (int k = 0; k < len; k++)
            yp[k * inner] = xp[k * inner] - shift;
    } else {
        const float scale = 1.0f / sum;
        for (int k = 0; k < len; k++)
            yp[k * inner] = exp(xp[k * inner] - top) * scale;
    }
}

#if LO_KERNEL_softmax
kernel void softmax(global const float *x, int x_off, global float *y, int y_off, int outer,
                    int len, int inner, int log_out)
{
    const int i = (int)get_global_id(0);
    if (i < outer * inner) softmax_line(i, x + x_off, y + y_off, len, inner, log_out);
}
#endif
