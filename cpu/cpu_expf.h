/* exp(x) in float as plain arithmetic, so loops that call it vectorise (libm's expf is a call
 * the compiler cannot vectorise without -ffast-math). Cephes' reduction and polynomial: within
 * about 2 ulp of the true value where the result is a normal float; inputs are clamped to
 * [-87, 88], so results below exp(-87) come out as exp(-87) (~1.6e-38, not 0) and results
 * above exp(88) as exp(88) (~1.7e38, not inf). NaN stays NaN.
 */
#ifndef LO_CPU_EXPF_H
#define LO_CPU_EXPF_H

#include <stdint.h>
#include <string.h>

static inline float lo_cpu_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* n = round(x / ln 2) without a float-to-int conversion: adding 1.5 * 2^23 leaves n in the
     * low mantissa bits of t. */
    const float magic = 12582912.0f;
    const float t = x * 1.44269504088896341f + magic;
    const float n = t - magic;
    uint32_t t_bits;
    memcpy(&t_bits, &t, sizeof t_bits);
    const uint32_t n_biased = t_bits - 0x4B400000u + 127u; /* 0x4B400000: magic's bits */
    /* r = x - n ln 2 in two parts, ln 2's high part exact in few bits so n * it is exact. */
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

#endif
