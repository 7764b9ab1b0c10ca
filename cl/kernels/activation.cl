/* The activations a Conv or Gemm step may end with, on scalars and float vectors alike: `act`
 * is a float4 kernel argument (lo_activation's value: 0 none, 1 ReLU, 2 Sigmoid, 3 Tanh,
 * 4 LeakyRelu, 5 Clip; then LeakyRelu's alpha, Clip's min, Clip's max), so the parameters
 * cost no program build per value. The expressions are eltwise.cl's unary ones, so a fused
 * activation computes what the separate step would. Not a program of its own:
 * embed_kernels.cmake inlines it where a kernel source includes it. */
#ifndef LO_ACTIVATION_CL
#define LO_ACTIVATION_CL
/* Clip as eltwise.cl's: compares (a NaN stays NaN), the max winning where min > max. */
#define ACT_CLIP_LOW(v, act) ((v) < (act).z ? (act).z : (v))
#define ACTIVATE(v, act)                                                                           \
    ((act).x == 1.0f   ? fmax((v), 0.0f)                                                           \
     : (act).x == 2.0f ? 1.0f / (1.0f + exp(-(v)))                                                 \
     : (act).x == 3.0f ? tanh(v)                                                                   \
     : (act).x == 4.0f ? ((v) < 0.0f ? (act).y * (v) : (v))                                        \
     : (act).x == 5.0f ? (ACT_CLIP_LOW(v, act) > (act).w ? (act).w : ACT_CLIP_LOW(v, act))         \
                       : (v))
#endif
