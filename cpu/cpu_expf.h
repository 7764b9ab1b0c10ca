/* exp(x) in float as plain arithmetic, so loops over it vectorise (libm's expf is a call the
 * compiler cannot vectorise without -ffast-math). Cephes' reduction and polynomial: within
 * about 2 ulp of the true value where the result is a normal float. Inputs are clamped to
 * [-87, 88], so results below exp(-87) come out as exp(-87) (~1.6e-38, not 0) and results
 * above exp(88) as exp(88) (~1.7e38, not inf). NaN stays NaN.
 */
#ifndef LO_CPU_EXPF_H
#define LO_CPU_EXPF_H

#include <stdint.h>
#include <string.h>

/* exp of an x already inside [-87, 88]. */
static inline float lo_cpu_expf_clamped(float x)
{
    /* n = round(x / ln 2) without a float-to-int conversion: adding 1.5 * 2^23 leaves n in the
     * low mantissa bits of t. */
    const float magic = 12582912.0f;
    const float t = x * 1.44269504088896341f + magic;
    const float n = t - magic;
    uint32_t t_bits;
    memcpy(&t_bits, &t, sizeof t_bits);
    const uint32_t n_biased = t_bits - 0x4B400000u + 127u; /* 0x4B400000: magic's bits */
    /* r = x - n ln 2 in two parts, ln 2's high part short enough that n * it is exact. */
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const uint32_t scale_bits = n_biased << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale;
}

/* y[i] = exp(x[i]) for i in [0, n); y may be x. The clamp is a loop of its own: fused with the
 * arithmetic, GCC (under the default -ftrapping-math) turns it into branches and gives up on
 * vectorising. */
static inline void lo_cpu_exp_span(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        v = v > 88.0f ? 88.0f : v;
        v = v < -87.0f ? -87.0f : v;
        y[i] = v;
    }
    for (int64_t i = 0; i < n; i++)
        y[i] = lo_cpu_expf_clamped(y[i]);
}

#endif
