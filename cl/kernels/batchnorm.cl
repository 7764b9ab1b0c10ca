/* BatchNormalization in inference form (semantics: plugin/step.h, LO_STEP_BATCHNORM): X viewed
 * as [outer, channels, inner], one work-item per element, on a grid of [inner, channels,
 * outer]: the channel is the item's second index, not a division of a flat one (per-element
 * integer divisions keep PoCL from vectorising: 7 ns per element). May run in place.
 */
#if LO_KERNEL_batchnorm
kernel void batchnorm(global const float *x, int x_off, global const float *scale, int s_off,
                      global const float *bias, int b_off, global const float *mean, int m_off,
                      global const float *var, int v_off, global float *y, int y_off, int n,
                      int channels, int inner, float epsilon)
{
    const int j = (int)get_global_id(0), c = (int)get_global_id(1), o = (int)get_global_id(2);
    if (j >= inner) return; /* the grid's first size is rounded up to the group */
    const int i = (o * channels + c) * inner + j;
    (void)n;
    const float k = scale[s_off + c] / sqrt(var[v_off + c] + epsilon);
    y[y_off + i] = fma(x[x_off + i] - mean[m_off + c], k, bias[b_off + c]);
}
#endif
