#include "ref_ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per thread: prepared plans of the ref backend may run on several threads at once. */
static _Thread_local char ref_message[512];

const char *ref_error(void)
{
    return ref_message;
}

static int ref_fail(const char *fmt, ...) LO_PRINTF(1, 2);

static int ref_fail(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(ref_message, sizeof ref_message, fmt, args);
    va_end(args);
    return -1;
}

int64_t ref_numel(const lo_shape *shape)
{
    int64_t n = 1;
    for (int i = 0; i < shape->rank; i++) {
        if (shape->dims[i] < 0) return -1;
        n *= shape->dims[i];
    }
    return n;
}

size_t ref_dtype_size(lo_dtype dtype)
{
    switch (dtype) {
    case LO_DTYPE_FLOAT:
        return 4;
    case LO_DTYPE_UINT8:
        return 1;
    default:
        return 0;
    }
}

lo_shape ref_shape(int rank, const int64_t *dims)
{
    lo_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank; i++)
        s.dims[i] = dims[i];
    return s;
}

lo_shape ref_shape1(int64_t d0)
{
    return ref_shape(1, &d0);
}

lo_shape ref_shape2(int64_t d0, int64_t d1)
{
    int64_t d[2] = {d0, d1};
    return ref_shape(2, d);
}

lo_shape ref_shape4(int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    int64_t d[4] = {d0, d1, d2, d3};
    return ref_shape(4, d);
}

const char *ref_shape_str(const lo_shape *shape, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < shape->rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld",
                                 (long long)shape->dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/* Size of the padded input the dilated kernel slides over, minus the kernel's extent. */
static int64_t slack(int64_t in, int64_t kernel, int64_t dilation, int64_t pad_begin,
                     int64_t pad_end)
{
    return in + pad_begin + pad_end - (dilation * (kernel - 1) + 1);
}

int64_t ref_conv_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end)
{
    int64_t s = slack(in, kernel, dilation, pad_begin, pad_end);
    if (s < 0 || stride < 1) return 0;
    return s / stride + 1;
}

int64_t ref_pool_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end, bool ceil_mode)
{
    int64_t s = slack(in, kernel, dilation, pad_begin, pad_end);
    if (s < 0 || stride < 1) return 0;
    if (!ceil_mode) return s / stride + 1;
    int64_t out = (s + stride - 1) / stride + 1;
    /* ONNX (like PyTorch): the last window must start inside the input or the left padding. */
    if ((out - 1) * stride >= in + pad_begin) out--;
    return out;
}

static double activate_with(const lo_unary_params *p, double v);

/* A fused activation of Conv and Gemm, with its parameters: what the Unary op computes. */
static double activate(lo_activation act, const lo_activation_args *args, double v)
{
    const lo_unary_params p = {act, args->alpha, args->min, args->max, 0, 0};
    return activate_with(&p, v);
}

static int check_activation(lo_activation act)
{
    if (act < LO_ACT_NONE || act > LO_ACT_CLIP) return ref_fail("unknown activation %d", (int)act);
    return 0;
}

static int check_window(const char *what, const int64_t kernel[2], const int64_t stride[2],
                        const int64_t dilation[2], const int64_t pad_begin[2],
                        const int64_t pad_end[2])
{
    for (int i = 0; i < 2; i++) {
        if (kernel[i] < 1 || stride[i] < 1 || dilation[i] < 1 || pad_begin[i] < 0 || pad_end[i] < 0)
            return ref_fail("%s: bad window on axis %d: kernel %lld stride %lld dilation %lld "
                            "pads %lld,%lld",
                            what, i, (long long)kernel[i], (long long)stride[i],
                            (long long)dilation[i], (long long)pad_begin[i], (long long)pad_end[i]);
    }
    return 0;
}

int ref_conv(const lo_conv_params *p, const lo_shape *x_shape, const float *x,
             const lo_shape *w_shape, const float *w, const float *b, const lo_shape *y_shape,
             float *y)
{
    if (x_shape->rank != 4 || w_shape->rank != 4 || y_shape->rank != 4)
        return ref_fail("conv: X, W and Y must have rank 4");
    if (check_window("conv", p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end) ||
        check_activation(p->activation))
        return -1;
    const int64_t n_batch = x_shape->dims[0], c_in = x_shape->dims[1];
    const int64_t h = x_shape->dims[2], wd = x_shape->dims[3];
    const int64_t m_out = w_shape->dims[0], group = p->group;
    if (group < 1 || c_in % group || m_out % group)
        return ref_fail("conv: group %lld does not divide C=%lld and M=%lld", (long long)group,
                        (long long)c_in, (long long)m_out);
    const int64_t cg = c_in / group, mg = m_out / group;
    if (w_shape->dims[1] != cg || w_shape->dims[2] != p->kernel[0] ||
        w_shape->dims[3] != p->kernel[1])
        return ref_fail("conv: W must be [M,C/group,KH,KW]");
    const int64_t oh = ref_conv_out_dim(h, p->kernel[0], p->stride[0], p->dilation[0],
                                        p->pad_begin[0], p->pad_end[0]);
    const int64_t ow = ref_conv_out_dim(wd, p->kernel[1], p->stride[1], p->dilation[1],
                                        p->pad_begin[1], p->pad_end[1]);
    if (oh < 1 || ow < 1 || y_shape->dims[0] != n_batch || y_shape->dims[1] != m_out ||
        y_shape->dims[2] != oh || y_shape->dims[3] != ow)
        return ref_fail("conv: Y must be [%lld,%lld,%lld,%lld]", (long long)n_batch,
                        (long long)m_out, (long long)oh, (long long)ow);
    if (p->has_bias && !b) return ref_fail("conv: has_bias without B");

    const int64_t kh_n = p->kernel[0], kw_n = p->kernel[1];
    for (int64_t n = 0; n < n_batch; n++)
        for (int64_t m = 0; m < m_out; m++) {
            const int64_t g = m / mg;
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) {
                    double acc = p->has_bias ? (double)b[m] : 0.0;
                    for (int64_t c = 0; c < cg; c++) {
                        const int64_t ci = g * cg + c;
                        for (int64_t kh = 0; kh < kh_n; kh++) {
                            const int64_t r =
                                i * p->stride[0] - p->pad_begin[0] + kh * p->dilation[0];
                            if (r < 0 || r >= h) continue; /* zero padding */
                            for (int64_t kw = 0; kw < kw_n; kw++) {
                                const int64_t q =
                                    j * p->stride[1] - p->pad_begin[1] + kw * p->dilation[1];
                                if (q < 0 || q >= wd) continue;
                                acc += (double)x[((n * c_in + ci) * h + r) * wd + q] *
                                       (double)w[((m * cg + c) * kh_n + kh) * kw_n + kw];
                            }
                        }
                    }
                    y[((n * m_out + m) * oh + i) * ow + j] =
                        (float)activate(p->activation, &p->activation_args, acc);
                }
        }
    return 0;
}

/* Validates a pool step and returns its geometry in dims: N, C, H, W, OH, OW. */
static int pool_geometry(const lo_pool_params *p, const lo_shape *x_shape, const lo_shape *y_shape,
                         int64_t dims[6])
{
    if (x_shape->rank != 4 || y_shape->rank != 4) return ref_fail("maxpool: X, Y need rank 4");
    if (check_window("maxpool", p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end))
        return -1;
    for (int i = 0; i < 4; i++)
        dims[i] = x_shape->dims[i];
    dims[4] = y_shape->dims[2];
    dims[5] = y_shape->dims[3];
    if (y_shape->dims[0] != dims[0] || y_shape->dims[1] != dims[1])
        return ref_fail("maxpool: Y's N and C must equal X's");
    for (int a = 0; a < 2; a++) {
        const int64_t in = dims[2 + a], out = dims[4 + a];
        const int64_t lo = ref_pool_out_dim(in, p->kernel[a], p->stride[a], p->dilation[a],
                                            p->pad_begin[a], p->pad_end[a], false);
        const int64_t hi = ref_pool_out_dim(in, p->kernel[a], p->stride[a], p->dilation[a],
                                            p->pad_begin[a], p->pad_end[a], true);
        if (out < 1 || (out != lo && out != hi))
            return ref_fail("maxpool: output dim %d is %lld, expected %lld (floor) or %lld (ceil)",
                            2 + a, (long long)out, (long long)lo, (long long)hi);
    }
    return 0;
}

/* One loop for both element types: values are compared as doubles, exact for float and uint8.
 * Padding and positions past the input are skipped, so they never win. */
static void maxpool(const lo_pool_params *p, const int64_t d[6], const void *x, void *y, bool u8)
{
    for (int64_t n = 0; n < d[0]; n++)
        for (int64_t c = 0; c < d[1]; c++) {
            const int64_t in_base = (n * d[1] + c) * d[2] * d[3];
            const int64_t out_base = (n * d[1] + c) * d[4] * d[5];
            for (int64_t i = 0; i < d[4]; i++)
                for (int64_t j = 0; j < d[5]; j++) {
                    double best = u8 ? 0.0 : -INFINITY;
                    for (int64_t kh = 0; kh < p->kernel[0]; kh++) {
                        const int64_t r = i * p->stride[0] - p->pad_begin[0] + kh * p->dilation[0];
                        if (r < 0 || r >= d[2]) continue;
                        for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
                            const int64_t q =
                                j * p->stride[1] - p->pad_begin[1] + kw * p->dilation[1];
                            if (q < 0 || q >= d[3]) continue;
                            const int64_t at = in_base + r * d[3] + q;
                            const double v = u8 ? ((const uint8_t *)x)[at] : ((const float *)x)[at];
                            if (v > best) best = v;
                        }
                    }
                    const int64_t at = out_base + i * d[5] + j;
                    if (u8)
                        ((uint8_t *)y)[at] = (uint8_t)best;
                    else
                        ((float *)y)[at] = (float)best;
                }
        }
}

int ref_maxpool_f32(const lo_pool_params *p, const lo_shape *x_shape, const float *x,
                    const lo_shape *y_shape, float *y)
{
    int64_t d[6];
    if (pool_geometry(p, x_shape, y_shape, d)) return -1;
    maxpool(p, d, x, y, false);
    return 0;
}

int ref_maxpool_u8(const lo_pool_params *p, const lo_shape *x_shape, const uint8_t *x,
                   const lo_shape *y_shape, uint8_t *y)
{
    int64_t d[6];
    if (pool_geometry(p, x_shape, y_shape, d)) return -1;
    maxpool(p, d, x, y, true);
    return 0;
}

int ref_conv_maxpool(const lo_conv_params *p, const lo_shape *x_shape, const float *x,
                     const lo_shape *w_shape, const float *w, const float *b,
                     const lo_shape *y_shape, float *y)
{
    if (x_shape->rank != 4 || w_shape->rank != 4 || y_shape->rank != 4)
        return ref_fail("conv+maxpool: X, W and Y must have rank 4");
    if (check_window("conv", p->kernel, p->stride, p->dilation, p->pad_begin, p->pad_end))
        return -1;
    /* The whole convolution, stored, then the pool over it: the plainest reading of the
     * fused step. */
    const lo_shape full =
        ref_shape4(x_shape->dims[0], w_shape->dims[0],
                   ref_conv_out_dim(x_shape->dims[2], p->kernel[0], p->stride[0], p->dilation[0],
                                    p->pad_begin[0], p->pad_end[0]),
                   ref_conv_out_dim(x_shape->dims[3], p->kernel[1], p->stride[1], p->dilation[1],
                                    p->pad_begin[1], p->pad_end[1]));
    const int64_t numel = ref_numel(&full);
    if (numel < 1) return ref_fail("conv+maxpool: the convolution's output is empty");
    float *conv = malloc((size_t)numel * sizeof *conv);
    if (!conv) return ref_fail("conv+maxpool: out of memory");
    int rc = ref_conv(p, x_shape, x, w_shape, w, b, &full, conv);
    if (rc == 0) rc = ref_maxpool_f32(&p->pool, &full, conv, y_shape, y);
    free(conv);
    return rc;
}

int ref_gemm(const lo_gemm_params *p, const lo_shape *a_shape, const float *a,
             const lo_shape *b_shape, const float *b, const lo_shape *c_shape, const float *c,
             const lo_shape *y_shape, float *y)
{
    if (a_shape->rank != 2 || b_shape->rank != 2 || y_shape->rank != 2)
        return ref_fail("gemm: A, B and Y must have rank 2");
    if (check_activation(p->activation)) return -1;
    const int64_t m = p->trans_a ? a_shape->dims[1] : a_shape->dims[0];
    const int64_t k = p->trans_a ? a_shape->dims[0] : a_shape->dims[1];
    const int64_t kb = p->trans_b ? b_shape->dims[1] : b_shape->dims[0];
    const int64_t n = p->trans_b ? b_shape->dims[0] : b_shape->dims[1];
    if (k != kb)
        return ref_fail("gemm: inner dims differ (%lld vs %lld)", (long long)k, (long long)kb);
    if (y_shape->dims[0] != m || y_shape->dims[1] != n)
        return ref_fail("gemm: Y must be [%lld,%lld]", (long long)m, (long long)n);

    /* C's rows and columns after right-aligning its dims to [M,N]; 1 means broadcast. */
    int64_t c_rows = 1, c_cols = 1;
    if (p->has_c) {
        if (!c_shape || !c) return ref_fail("gemm: has_c without C");
        if (c_shape->rank > 2) return ref_fail("gemm: C has rank %d", c_shape->rank);
        if (c_shape->rank >= 1) c_cols = c_shape->dims[c_shape->rank - 1];
        if (c_shape->rank == 2) c_rows = c_shape->dims[0];
        if ((c_rows != 1 && c_rows != m) || (c_cols != 1 && c_cols != n))
            return ref_fail("gemm: C does not broadcast to [%lld,%lld]", (long long)m,
                            (long long)n);
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (int64_t t = 0; t < k; t++) {
                const double av = p->trans_a ? a[t * m + i] : a[i * k + t];
                const double bv = p->trans_b ? b[j * k + t] : b[t * n + j];
                acc += av * bv;
            }
            double v = (double)p->alpha * acc;
            if (p->has_c) {
                const int64_t ci = (c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j);
                v += (double)p->beta * (double)c[ci];
            }
            y[i * n + j] = (float)activate(p->activation, &p->activation_args, v);
        }
    return 0;
}

/* One activation with its parameters, per the ONNX operator of that name. */
static double activate_with(const lo_unary_params *p, double v)
{
    switch (p->op) {
    case LO_ACT_RELU:
        return v > 0.0 ? v : 0.0;
    case LO_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-v));
    case LO_ACT_TANH:
        return tanh(v);
    case LO_ACT_LEAKY_RELU:
        return v < 0.0 ? (double)p->alpha * v : v;
    case LO_ACT_CLIP: /* min(max(v, min), max): max wins when min > max */
        if (v < (double)p->min) v = (double)p->min;
        if (v > (double)p->max) v = (double)p->max;
        return v;
    case LO_ACT_NONE:
        break;
    }
    return v;
}

int ref_unary(const lo_unary_params *p, const lo_shape *shape, const float *x, float *y)
{
    if (p->op < LO_ACT_NONE || p->op > LO_ACT_CLIP)
        return ref_fail("unknown activation %d", (int)p->op);
    const int64_t count = ref_numel(shape);
    if (count < 0) return ref_fail("unary: shape has a negative dim");
    for (int64_t i = 0; i < count; i++)
        y[i] = (float)activate_with(p, (double)x[i]);
    return 0;
}

/* Offset of output element `flat` in an input read through `strides` over `out`. */
static int64_t strided_offset(const lo_shape *out, const int64_t *strides, int64_t flat)
{
    int64_t offset = 0;
    for (int d = out->rank - 1; d >= 0; d--) {
        offset += (flat % out->dims[d]) * strides[d];
        flat /= out->dims[d];
    }
    return offset;
}

/* The largest offset strides reach over out must lie inside an input of `numel` elements. */
static int strides_inside(const lo_shape *out, const int64_t *strides, int64_t numel)
{
    int64_t reach = 0;
    for (int d = 0; d < out->rank; d++) {
        if (strides[d] < 0) return 0;
        reach += (out->dims[d] - 1) * strides[d];
    }
    return ref_numel(out) == 0 || reach < numel;
}

int ref_binary(const lo_binary_params *p, const lo_shape *a_shape, const float *a,
               const lo_shape *b_shape, const float *b, const lo_shape *y_shape, float *y)
{
    const int64_t n = ref_numel(y_shape);
    if (n < 0) return ref_fail("binary: Y has a negative dim");
    if (!strides_inside(y_shape, p->a_strides, ref_numel(a_shape)) ||
        !strides_inside(y_shape, p->b_strides, ref_numel(b_shape)))
        return ref_fail("binary: strides reach outside A or B");
    for (int64_t i = 0; i < n; i++) {
        const double av = a[strided_offset(y_shape, p->a_strides, i)];
        const double bv = b[strided_offset(y_shape, p->b_strides, i)];
        double v;
        switch (p->op) {
        case LO_BIN_ADD:
            v = av + bv;
            break;
        case LO_BIN_SUB:
            v = av - bv;
            break;
        case LO_BIN_MUL:
            v = av * bv;
            break;
        case LO_BIN_DIV:
            v = av / bv;
            break;
        case LO_BIN_PRELU:
            v = av < 0.0 ? bv * av : av;
            break;
        default:
            return ref_fail("binary: unknown op %d", (int)p->op);
        }
        y[i] = (float)v;
    }
    return 0;
}

int ref_softmax(const lo_softmax_params *p, const lo_shape *shape, const float *x, float *y)
{
    if (p->outer < 0 || p->axis_len < 0 || p->inner < 0 ||
        p->outer * p->axis_len * p->inner != ref_numel(shape))
        return ref_fail("softmax: [outer,len,inner] does not match the shape");
    for (int64_t o = 0; o < p->outer; o++)
        for (int64_t j = 0; j < p->inner; j++) {
            const float *xl = x + o * p->axis_len * p->inner + j;
            float *yl = y + o * p->axis_len * p->inner + j;
            double top = -INFINITY, sum = 0.0;
            for (int64_t k = 0; k < p->axis_len; k++)
                if (xl[k * p->inner] > top) top = xl[k * p->inner];
            for (int64_t k = 0; k < p->axis_len; k++)
                sum += exp((double)xl[k * p->inner] - top);
            for (int64_t k = 0; k < p->axis_len; k++) {
                const double shifted = (double)xl[k * p->inner] - top;
                yl[k * p->inner] = (float)(p->log ? shifted - log(sum) : exp(shifted) / sum);
            }
        }
    return 0;
}

int ref_batchnorm(const lo_batchnorm_params *p, const lo_shape *shape, const float *x,
                  const float *scale, const float *bias, const float *mean, const float *var,
                  float *y)
{
    const int64_t n = ref_numel(shape);
    if (p->channels < 1 || p->inner < 1 || n < 0 || n % (p->channels * p->inner) != 0)
        return ref_fail("batchnorm: channels x inner does not tile the input");
    for (int64_t i = 0; i < n; i++) {
        const int64_t c = (i / p->inner) % p->channels;
        const double norm = ((double)x[i] - mean[c]) / sqrt((double)var[c] + (double)p->epsilon);
        y[i] = (float)(norm * scale[c] + bias[c]);
    }
    return 0;
}

int ref_matmul(const lo_shape *a_shape, const float *a, const lo_shape *b_shape, const float *b,
               const lo_shape *y_shape, float *y)
{
    const int ra = a_shape->rank, rb = b_shape->rank;
    if (ra < 1 || rb < 1) return ref_fail("matmul: A and B must have rank 1 or more");
    /* numpy: a 1-D A is a row [1,K], a 1-D B a column [K,1]. */
    const int64_t m = ra == 1 ? 1 : a_shape->dims[ra - 2], k = a_shape->dims[ra - 1];
    const int64_t kb = rb == 1 ? b_shape->dims[0] : b_shape->dims[rb - 2];
    const int64_t n = rb == 1 ? 1 : b_shape->dims[rb - 1];
    if (k != kb) return ref_fail("matmul: inner dims differ");
    const int abr = ra > 2 ? ra - 2 : 0, bbr = rb > 2 ? rb - 2 : 0;
    const int br = abr > bbr ? abr : bbr;
    int64_t batch_dims[LO_MAX_RANK], batch = 1;
    for (int d = 0; d < br; d++) {
        const int da = d - (br - abr), db = d - (br - bbr);
        const int64_t x = da >= 0 ? a_shape->dims[da] : 1, z = db >= 0 ? b_shape->dims[db] : 1;
        if (x != z && x != 1 && z != 1) return ref_fail("matmul: batch dims do not broadcast");
        batch_dims[d] = x == 1 ? z : x;
        batch *= batch_dims[d];
    }
    if (ref_numel(y_shape) != batch * m * n) return ref_fail("matmul: Y has the wrong size");
    for (int64_t t = 0; t < batch; t++) {
        /* The batch index's coordinates, each operand's matrix number from its own dims. */
        int64_t rest = t, ia = 0, ib = 0, sa = 1, sb = 1;
        for (int d = br - 1; d >= 0; d--) {
            const int64_t idx = rest % batch_dims[d];
            rest /= batch_dims[d];
            const int da = d - (br - abr), db = d - (br - bbr);
            if (da >= 0) {
                if (a_shape->dims[da] != 1) ia += idx * sa;
                sa *= a_shape->dims[da];
            }
            if (db >= 0) {
                if (b_shape->dims[db] != 1) ib += idx * sb;
                sb *= b_shape->dims[db];
            }
        }
        const float *am = a + ia * m * k, *bm = b + ib * k * n;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = 0.0;
                for (int64_t q = 0; q < k; q++)
                    acc += (double)am[i * k + q] * (double)bm[q * n + j];
                y[(t * m + i) * n + j] = (float)acc;
            }
    }
    return 0;
}

int ref_copy(const lo_shape *x_shape, const lo_shape *y_shape, size_t elem_size, const void *x,
             void *y)
{
    const int64_t count = ref_numel(x_shape);
    if (count < 0 || count != ref_numel(y_shape))
        return ref_fail("copy: element counts differ (%lld vs %lld)", (long long)count,
                        (long long)ref_numel(y_shape));
    if (elem_size == 0) return ref_fail("copy: unsupported dtype");
    memmove(y, x, (size_t)count * elem_size);
    return 0;
}

int ref_avgpool(const lo_pool_params *p, const lo_shape *x_shape, const float *x,
                const lo_shape *y_shape, float *y)
{
    int64_t d[6];
    if (pool_geometry(p, x_shape, y_shape, d)) return -1;
    for (int64_t nc = 0; nc < d[0] * d[1]; nc++)
        for (int64_t i = 0; i < d[4]; i++)
            for (int64_t j = 0; j < d[5]; j++) {
                double sum = 0.0;
                int64_t count = 0;
                for (int64_t kh = 0; kh < p->kernel[0]; kh++)
                    for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
                        const int64_t r = i * p->stride[0] - p->pad_begin[0] + kh * p->dilation[0];
                        const int64_t q = j * p->stride[1] - p->pad_begin[1] + kw * p->dilation[1];
                        const bool in_x = r >= 0 && r < d[2] && q >= 0 && q < d[3];
                        const bool in_padded = r >= -p->pad_begin[0] && r < d[2] + p->pad_end[0] &&
                                               q >= -p->pad_begin[1] && q < d[3] + p->pad_end[1];
                        if (in_x) sum += (double)x[(nc * d[2] + r) * d[3] + q];
                        if (p->count_include_pad ? in_padded : in_x) count++;
                    }
                y[(nc * d[4] + i) * d[5] + j] = count ? (float)(sum / (double)count) : 0.0f;
            }
    return 0;
}

/* Row-major multi-index of flat position `flat` in shape. */
static void unravel(const lo_shape *shape, int64_t flat, int64_t *idx)
{
    for (int d = shape->rank - 1; d >= 0; d--) {
        idx[d] = flat % shape->dims[d];
        flat /= shape->dims[d];
    }
}

/* Flat position of multi-index idx in shape. */
static int64_t ravel(const lo_shape *shape, const int64_t *idx)
{
    int64_t flat = 0;
    for (int d = 0; d < shape->rank; d++)
        flat = flat * shape->dims[d] + idx[d];
    return flat;
}

int ref_pad(const lo_pad_params *p, const lo_shape *x_shape, const float *x,
            const lo_shape *y_shape, float *y)
{
    if (x_shape->rank != y_shape->rank) return ref_fail("pad: X and Y ranks differ");
    for (int d = 0; d < x_shape->rank; d++)
        if (x_shape->dims[d] + p->pad_begin[d] + p->pad_end[d] != y_shape->dims[d])
            return ref_fail("pad: axis %d: %lld + %lld + %lld != %lld", d,
                            (long long)x_shape->dims[d], (long long)p->pad_begin[d],
                            (long long)p->pad_end[d], (long long)y_shape->dims[d]);
    const int64_t n = ref_numel(y_shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t idx[LO_MAX_RANK];
        unravel(y_shape, i, idx);
        bool inside = true;
        for (int d = 0; d < y_shape->rank; d++) {
            idx[d] -= p->pad_begin[d];
            inside = inside && idx[d] >= 0 && idx[d] < x_shape->dims[d];
        }
        y[i] = inside ? x[ravel(x_shape, idx)] : p->value;
    }
    return 0;
}

int ref_concat(const lo_concat_params *p, int count, const lo_shape *x_shapes,
               const float *const *x, const lo_shape *y_shape, float *y)
{
    const int axis = p->axis;
    if (count < 1 || axis < 0 || axis >= y_shape->rank) return ref_fail("concat: bad axis");
    int64_t total = 0;
    for (int k = 0; k < count; k++) {
        if (x_shapes[k].rank != y_shape->rank) return ref_fail("concat: ranks differ");
        for (int d = 0; d < y_shape->rank; d++)
            if (d != axis && x_shapes[k].dims[d] != y_shape->dims[d])
                return ref_fail("concat: input %d differs off the axis", k);
        total += x_shapes[k].dims[axis];
    }
    if (total != y_shape->dims[axis]) return ref_fail("concat: axis sizes do not add up");
    /* Walk the inputs in order, writing each element where its index lands in y. */
    int64_t start = 0;
    for (int k = 0; k < count; k++) {
        const int64_t n = ref_numel(&x_shapes[k]);
        for (int64_t i = 0; i < n; i++) {
            int64_t idx[LO_MAX_RANK];
            unravel(&x_shapes[k], i, idx);
            idx[axis] += start;
            y[ravel(y_shape, idx)] = x[k][i];
        }
        start += x_shapes[k].dims[axis];
    }
    return 0;
}

int ref_transpose(const lo_transpose_params *p, const lo_shape *x_shape, const float *x,
                  const lo_shape *y_shape, float *y)
{
    if (x_shape->rank != y_shape->rank) return ref_fail("transpose: ranks differ");
    for (int d = 0; d < y_shape->rank; d++)
        if (p->perm[d] < 0 || p->perm[d] >= x_shape->rank ||
            y_shape->dims[d] != x_shape->dims[p->perm[d]])
            return ref_fail("transpose: perm[%d] = %d does not match the shapes", d, p->perm[d]);
    const int64_t n = ref_numel(x_shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t xi[LO_MAX_RANK], yi[LO_MAX_RANK];
        unravel(x_shape, i, xi);
        for (int d = 0; d < y_shape->rank; d++)
            yi[d] = xi[p->perm[d]];
        y[ravel(y_shape, yi)] = x[i];
    }
    return 0;
}

static int check_inputs(const lo_step *step, int lo, int hi, const void *const *inputs)
{
    if (step->num_inputs < lo || step->num_inputs > hi)
        return ref_fail("step kind %d: %d inputs, expected %d..%d", (int)step->kind,
                        step->num_inputs, lo, hi);
    for (int i = 0; i < step->num_inputs; i++)
        if (!inputs[i]) return ref_fail("step kind %d: input %d is NULL", (int)step->kind, i);
    return 0;
}

static int all_float(const lo_step *step)
{
    for (int i = 0; i < step->num_inputs; i++)
        if (step->inputs[i].dtype != LO_DTYPE_FLOAT)
            return ref_fail("step kind %d: input %d is not float", (int)step->kind, i);
    if (step->output.dtype != LO_DTYPE_FLOAT)
        return ref_fail("step kind %d: output is not float", (int)step->kind);
    return 0;
}

/* MaxPool and Copy: float or uint8, output type equal to input type. */
static int same_small_type(const lo_step *step)
{
    const lo_dtype t = step->inputs[0].dtype;
    if ((t != LO_DTYPE_FLOAT && t != LO_DTYPE_UINT8) || step->output.dtype != t)
        return ref_fail("step kind %d: dtypes %d -> %d not supported", (int)step->kind, (int)t,
                        (int)step->output.dtype);
    return 0;
}

/* Each layer as its own Gemm, the intermediates in host scratch: the chain's oracle is the
 * composition of the single-Gemm oracle. */
static int ref_gemm_chain(const lo_step *step, const void *const *inputs, void *output)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    const int64_t rows = step->inputs[0].shape.dims[0];
    const float *a = inputs[0];
    lo_shape a_shape = step->inputs[0].shape;
    float *scratch[2] = {NULL, NULL};
    int rc = 0;
    for (int l = 0; l < p->layers && rc == 0; l++) {
        const lo_gemm_params *g = &p->layer[l];
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        const bool last = l == p->layers - 1;
        float *y = last ? output : NULL;
        if (!last) {
            free(scratch[l % 2]);
            y = scratch[l % 2] = malloc((size_t)(rows * n > 0 ? rows * n : 1) * sizeof *y);
            if (!y) {
                rc = ref_fail("gemm chain: out of memory for a [%lld,%lld] intermediate",
                              (long long)rows, (long long)n);
                break;
            }
        }
        const lo_shape y_shape = ref_shape2(rows, n);
        rc = ref_gemm(g, &a_shape, a, &step->inputs[p->b_input[l]].shape, inputs[p->b_input[l]],
                      g->has_c ? &step->inputs[p->c_input[l]].shape : NULL,
                      g->has_c ? inputs[p->c_input[l]] : NULL, &y_shape, y);
        a = y;
        a_shape = y_shape;
    }
    free(scratch[0]);
    free(scratch[1]);
    return rc;
}

int ref_run_step(const lo_step *step, const void *const *inputs, void *output)
{
    const lo_tensor_ref *in = step->inputs;
    switch (step->kind) {
    case LO_STEP_CONV: {
        const lo_conv_params *p = &step->params.conv;
        if (check_inputs(step, p->has_bias ? 3 : 2, p->has_bias ? 3 : 2, inputs) || all_float(step))
            return -1;
        if (p->has_bias && (in[2].shape.rank != 1 || in[2].shape.dims[0] != in[1].shape.dims[0]))
            return ref_fail("conv: B must be [M]");
        if (p->has_pool)
            return ref_conv_maxpool(p, &in[0].shape, inputs[0], &in[1].shape, inputs[1],
                                    p->has_bias ? inputs[2] : NULL, &step->output.shape, output);
        return ref_conv(p, &in[0].shape, inputs[0], &in[1].shape, inputs[1],
                        p->has_bias ? inputs[2] : NULL, &step->output.shape, output);
    }
    case LO_STEP_MAXPOOL:
        if (check_inputs(step, 1, 1, inputs) || same_small_type(step)) return -1;
        if (in[0].dtype == LO_DTYPE_UINT8)
            return ref_maxpool_u8(&step->params.pool, &in[0].shape, inputs[0], &step->output.shape,
                                  output);
        return ref_maxpool_f32(&step->params.pool, &in[0].shape, inputs[0], &step->output.shape,
                               output);
    case LO_STEP_GEMM: {
        const lo_gemm_params *p = &step->params.gemm;
        if (check_inputs(step, p->has_c ? 3 : 2, p->has_c ? 3 : 2, inputs) || all_float(step))
            return -1;
        return ref_gemm(p, &in[0].shape, inputs[0], &in[1].shape, inputs[1],
                        p->has_c ? &in[2].shape : NULL, p->has_c ? inputs[2] : NULL,
                        &step->output.shape, output);
    }
    case LO_STEP_UNARY:
        /* Clip's bounds may follow as inputs; their values are in the params. */
        if (check_inputs(step, 1, 3, inputs) || all_float(step)) return -1;
        if (ref_numel(&in[0].shape) != ref_numel(&step->output.shape))
            return ref_fail("unary: input and output sizes differ");
        {
            /* Clip's bounds known only at run time come from their inputs. */
            lo_unary_params p = step->params.unary;
            const int bounds[2] = {p.min_input, p.max_input};
            float *values[2] = {&p.min, &p.max};
            for (int b = 0; b < 2; b++) {
                if (!bounds[b]) continue;
                if (bounds[b] >= step->num_inputs || ref_numel(&in[bounds[b]].shape) != 1)
                    return ref_fail("unary: bound input %d is not one value", bounds[b]);
                *values[b] = *(const float *)inputs[bounds[b]];
            }
            return ref_unary(&p, &in[0].shape, inputs[0], output);
        }
    case LO_STEP_COPY:
        if (check_inputs(step, 1, 1, inputs) || same_small_type(step)) return -1;
        return ref_copy(&in[0].shape, &step->output.shape, ref_dtype_size(in[0].dtype), inputs[0],
                        output);
    case LO_STEP_AVGPOOL:
        if (check_inputs(step, 1, 1, inputs) || all_float(step)) return -1;
        return ref_avgpool(&step->params.pool, &in[0].shape, inputs[0], &step->output.shape,
                           output);
    case LO_STEP_PAD:
        if (check_inputs(step, 1, 1, inputs) || all_float(step)) return -1;
        return ref_pad(&step->params.pad, &in[0].shape, inputs[0], &step->output.shape, output);
    case LO_STEP_CONCAT: {
        if (check_inputs(step, 1, LO_STEP_MAX_INPUTS, inputs) || all_float(step)) return -1;
        lo_shape shapes[LO_STEP_MAX_INPUTS];
        for (int i = 0; i < step->num_inputs; i++)
            shapes[i] = in[i].shape;
        return ref_concat(&step->params.concat, step->num_inputs, shapes,
                          (const float *const *)inputs, &step->output.shape, output);
    }
    case LO_STEP_TRANSPOSE:
        if (check_inputs(step, 1, 1, inputs) || all_float(step)) return -1;
        return ref_transpose(&step->params.transpose, &in[0].shape, inputs[0], &step->output.shape,
                             output);
    case LO_STEP_BINARY:
        if (check_inputs(step, 2, 2, inputs) || all_float(step)) return -1;
        return ref_binary(&step->params.binary, &in[0].shape, inputs[0], &in[1].shape, inputs[1],
                          &step->output.shape, output);
    case LO_STEP_SOFTMAX:
        if (check_inputs(step, 1, 1, inputs) || all_float(step)) return -1;
        if (ref_numel(&in[0].shape) != ref_numel(&step->output.shape))
            return ref_fail("softmax: input and output sizes differ");
        return ref_softmax(&step->params.softmax, &in[0].shape, inputs[0], output);
    case LO_STEP_BATCHNORM: {
        const lo_batchnorm_params *p = &step->params.batchnorm;
        if (check_inputs(step, 5, 5, inputs) || all_float(step)) return -1;
        for (int i = 1; i < 5; i++)
            if (ref_numel(&in[i].shape) != p->channels)
                return ref_fail("batchnorm: input %d does not hold one value per channel", i);
        if (ref_numel(&in[0].shape) != ref_numel(&step->output.shape))
            return ref_fail("batchnorm: input and output sizes differ");
        return ref_batchnorm(p, &in[0].shape, inputs[0], inputs[1], inputs[2], inputs[3], inputs[4],
                             output);
    }
    case LO_STEP_MATMUL:
        /* From the shapes alone, numpy's way; the step's strides are the backend's business. */
        if (check_inputs(step, 2, 2, inputs) || all_float(step)) return -1;
        return ref_matmul(&in[0].shape, inputs[0], &in[1].shape, inputs[1], &step->output.shape,
                          output);
    case LO_STEP_GEMM_CHAIN:
        if (check_inputs(step, 1, LO_STEP_MAX_INPUTS, inputs) || all_float(step)) return -1;
        return ref_gemm_chain(step, inputs, output);
    }
    return ref_fail("unknown step kind %d", (int)step->kind);
}

void ref_rng_seed(ref_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t ref_rng_u64(ref_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int64_t ref_rng_int(ref_rng *rng, int64_t lo, int64_t hi)
{
    if (hi <= lo) return lo;
    return lo + (int64_t)(ref_rng_u64(rng) % (uint64_t)(hi - lo + 1));
}

float ref_rng_float(ref_rng *rng, float lo, float hi)
{
    /* 24 random bits: every value is exact in a float. */
    const double unit = (double)(ref_rng_u64(rng) >> 40) / 16777216.0;
    return (float)(lo + (hi - lo) * unit);
}

bool ref_rng_chance(ref_rng *rng, double probability)
{
    return (double)(ref_rng_u64(rng) >> 11) / 9007199254740992.0 < probability;
}

void ref_fill_f32(ref_rng *rng, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = ref_rng_float(rng, lo, hi);
}

void ref_fill_u8(ref_rng *rng, uint8_t *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)(ref_rng_u64(rng) >> 56);
}
