/* BatchNormalization in inference form (semantics: plugin/step.h, LO_STEP_BATCHNORM): X viewed
 * as [outer, channels, inner], one work-item per element, on a grid of [inner, channels,
 * outer]: the channel is the item's second index, not a division of a flat one (per-element
 * integer divisions keep PoCL from vectorising: 7 ns per element). May run in place.
 */
/* Element x of channel c; shared by batchnorm and network.cl. */
static float batchnorm_value(float x, int c, const global float *scale, const global float *bias,
                             const global float *mean, const global float *var, float epsilon)
{
    const float k = scale[c] / sqrt(var[c] + epsilon);
    return fma(x - mean[c], k, bias[c]);
}

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
    y[y_off + i] = batchnorm_value(x[x_off + i], c, scale + s_off, bias + b_off, mean + m_off,
                                   var + v_off, epsilon);
}
#endif
