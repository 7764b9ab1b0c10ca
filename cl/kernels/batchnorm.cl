/* BatchNormalization in inference form (semantics: plugin/step.h, LO_STEP_BATCHNORM): X viewed
 * as [outer, channels, inner], one work-item per element. May run in place.
 */
kernel void batchnorm(global const float *x, int x_off, global const float *scale, int s_off,
                      global const float *bias, int b_off, global const float *mean, int m_off,
                      global const float *var, int v_off, global float *y, int y_off, int n,
                      int channels, int inner, float epsilon)
{
    const int i = (int)get_global_id(0);
    if (i >= n) return;
    const int c = (i / inner) % channels;
    const float k = scale[s_off + c] / sqrt(var[v_off + c] + epsilon);
    y[y_off + i] = fma(x[x_off + i] - mean[m_off + c], k, bias[b_off + c]);
}
