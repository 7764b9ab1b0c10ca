/* The whole network as one kernel (cl_network.c): one work-group runs every step of the plan in
 * turn, a barrier between steps, so a run is one launch however many steps the plan has.
 * cl_network.c appends the kernel itself, generated per plan: one net_* call per step with
 * every size and attribute a literal, so each call specialises (windows and trip counts known)
 * as a program built for that step alone would.
 *
 * Each net_* runs one step over its output elements, the group's work-items striding through
 * them, with the element function of the step's own direct kernel (conv_pool_value,
 * maxpool_value, gemm_value, ...): both paths compute each value the same way. A Gemm chain is
 * its layers as net_gemm calls through a scratch buffer. Every tensor argument points at its
 * first element. Steps planned in place read element i before writing it, as step.h asks.
 */
#define T        float
#define T_LOWEST (-INFINITY)
#define T_IS_FLOAT
#include "conv.cl"
#include "pool.cl"
#include "gemm.cl"
#include "eltwise.cl"
#include "binary.cl"
#include "softmax.cl"
#include "batchnorm.cl"

/* The group's items stride through elements [0, total). */
#define NET_FOR(i, total)                                                                          \
    for (int i = (int)get_local_id(0); i < (total); i += (int)get_local_size(0))

static void net_conv(const global float *x, const global float *w, const global float *b,
                     int has_bias, global float *y, int N, int C, int H, int W, int M, int OH,
                     int OW, int group, int KH, int KW, int SH, int SW, int DH, int DW, int PT,
                     int PL, float4 act, int PH, int PW, int QKH, int QKW, int QSH, int QSW,
                     int QDH, int QDW, int QPT, int QPL)
{
    NET_FOR(i, N * M * PH * PW)
    y[i] = conv_pool_value(i, x, w, b, has_bias, C, H, W, M, OH, OW, group, KH, KW, SH, SW, DH, DW,
                           PT, PL, act, PH, PW, QKH, QKW, QSH, QSW, QDH, QDW, QPT, QPL);
}

static void net_maxpool(const global float *x, global float *y, int NC, int H, int W, int OH,
                        int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL)
{
    NET_FOR(i, NC * OH * OW)
    {
        const int ow = i % OW, row = i / OW, oh = row % OH, nc = row / OH;
        y[i] = maxpool_value(x + nc * H * W, H, W, KH, KW, SH, SW, DH, DW, PT, PL, oh, ow);
    }
}

static void net_avgpool(const global float *x, global float *y, int NC, int H, int W, int OH,
                        int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL,
                        int PB, int PR, int include_pad)
{
    NET_FOR(i, NC * OH * OW)
    {
        const int ow = i % OW, row = i / OW, oh = row % OH, nc = row / OH;
        y[i] = avgpool_value(x + nc * H * W, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR,
                             include_pad, oh, ow);
    }
}

static void net_gemm(const global float *a, const global float *b, const global float *c,
                     int has_c, int c_sm, int c_sn, global float *y, int M, int N, int K,
                     int trans_a, int trans_b, float alpha, float beta, float4 act)
{
    NET_FOR(i, M * N)
    y[i] = gemm_value(i / N, i % N, a, b, c, has_c, c_sm, c_sn, M, N, K, trans_a, trans_b, alpha,
                      beta, act);
}

/* Clip's bounds known only at run time are read from lo_in / hi_in. */
static void net_unary(const global float *x, global float *y, int n, int op, float alpha, float lo,
                      float hi, const global float *lo_in, int has_lo_in,
                      const global float *hi_in, int has_hi_in)
{
    if (has_lo_in) lo = lo_in[0];
    if (has_hi_in) hi = hi_in[0];
    NET_FOR(i, n)
    y[i] = unary_value(x[i], op, alpha, lo, hi);
}

static void net_copy(const global float *x, global float *y, int n)
{
    NET_FOR(i, n)
    y[i] = x[i];
}

static void net_binary(const global float *a, const global float *b, global float *y, int n, int op,
                       int direct, int8 dims, int8 a_str, int8 b_str)
{
    NET_FOR(i, n)
    y[i] = binary_value(i, a, b, op, direct, dims, a_str, b_str);
}

static void net_softmax(const global float *x, global float *y, int outer, int len, int inner,
                        int log_out)
{
    NET_FOR(i, outer * inner)
    softmax_line(i, x, y, len, inner, log_out);
}

static void net_batchnorm(const global float *x, const global float *scale,
                          const global float *bias, const global float *mean,
                          const global float *var, global float *y, int outer, int channels,
                          int inner, float epsilon)
{
    NET_FOR(i, outer * channels * inner)
    y[i] = batchnorm_value(x[i], (i / inner) % channels, scale, bias, mean, var, epsilon);
}
