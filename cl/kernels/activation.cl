/* The activations a Conv or Gemm step may end with, by lo_activation's value (0 none, 1 ReLU,
 * 2 Sigmoid, 3 Tanh), on scalars and float vectors alike: the expressions of eltwise.cl's
 * unary, so a fused activation computes what the separate step would. Not a program of its
 * own: embed_kernels.cmake inlines it where a kernel source includes it. */
#define ACTIVATE(v, act)                                                                           \
    ((act) == 1   ? fmax((v), 0.0f)                                                                \
     : (act) == 2 ? 1.0f / (1.0f + exp(-(v)))                                                      \
     : (act) == 3 ? tanh(v)                                                                        \
                  : (v))
