/* The oracle: plain-C reference implementations of every step kind, written from the ONNX
 * operator specification with naive loops and double accumulators. They share nothing with the
 * library but the step and shape structs, so a kernel test compares a backend and an
 * independent reading of the spec on the very same step description.
 *
 * Every function returns 0 on success and -1 when the shapes or parameters do not describe a
 * valid step; ref_error() then says why. Nothing here allocates or depends on global state
 * other than that message, which is kept per thread.
 */
#ifndef LO_REF_OPS_H
#define LO_REF_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "step.h"

/* Why the last failing call failed ("" when none has). */
const char *ref_error(void);

/* Shapes. */
int64_t ref_numel(const lo_shape *shape); /* 1 for rank 0, -1 when a dim is negative */
size_t ref_dtype_size(lo_dtype dtype);    /* float and uint8 only; 0 otherwise */
lo_shape ref_shape(int rank, const int64_t *dims);
lo_shape ref_shape1(int64_t d0);
lo_shape ref_shape2(int64_t d0, int64_t d1);
lo_shape ref_shape4(int64_t d0, int64_t d1, int64_t d2, int64_t d3);
/* "[2,3,4]" into buf; returns buf. */
const char *ref_shape_str(const lo_shape *shape, char *buf, size_t size);

/* Output size along one spatial axis, per the ONNX Conv and MaxPool specs:
 *   floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride) + 1
 * Returns 0 when the dilated kernel does not fit in the padded input. */
int64_t ref_conv_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end);
/* The same with ceil instead of floor when ceil_mode, dropping the last window when it would
 * start past the input and its left padding (it would see right padding only). */
int64_t ref_pool_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end, bool ceil_mode);

/* Conv: x [N,C,H,W], w [M,C/group,KH,KW], b [M] or NULL (p->has_bias says which), y
 * [N,M,OH,OW] with OH, OW from ref_conv_out_dim; then p->activation. */
int ref_conv(const lo_conv_params *p, const lo_shape *x_shape, const float *x,
             const lo_shape *w_shape, const float *w, const float *b, const lo_shape *y_shape,
             float *y);

/* MaxPool: x [N,C,H,W], y [N,C,OH,OW] where OH, OW are the floor or ceil_mode sizes. Padding
 * never wins a max; a window with no input element at all gives -inf (0 for uint8). */
/* Conv with its activation, then MaxPool(p->pool) over the result (p->has_pool's step). */
int ref_conv_maxpool(const lo_conv_params *p, const lo_shape *x_shape, const float *x,
                     const lo_shape *w_shape, const float *w, const float *b,
                     const lo_shape *y_shape, float *y);
int ref_maxpool_f32(const lo_pool_params *p, const lo_shape *x_shape, const float *x,
                    const lo_shape *y_shape, float *y);
int ref_maxpool_u8(const lo_pool_params *p, const lo_shape *x_shape, const uint8_t *x,
                   const lo_shape *y_shape, uint8_t *y);

/* AveragePool: x [N,C,H,W], y [N,C,OH,OW] (floor or ceil_mode sizes). Each output is the mean
 * of its window's input elements, divided by the number of window positions inside the padded
 * input when p->count_include_pad, else inside the input; positions past the padded input
 * (ceil_mode) count in neither. A window with nothing to count gives 0. */
int ref_avgpool(const lo_pool_params *p, const lo_shape *x_shape, const float *x,
                const lo_shape *y_shape, float *y);

/* Constant Pad: y's dim d is x's plus p->pad_begin[d] + p->pad_end[d] (negative crops);
 * y[i] = x[i - pad_begin] inside x, else p->value. */
int ref_pad(const lo_pad_params *p, const lo_shape *x_shape, const float *x,
            const lo_shape *y_shape, float *y);

/* Concat of count inputs along p->axis. */
int ref_concat(const lo_concat_params *p, int count, const lo_shape *x_shapes,
               const float *const *x, const lo_shape *y_shape, float *y);

/* Transpose: y's dim d is x's dim p->perm[d]. */
int ref_transpose(const lo_transpose_params *p, const lo_shape *x_shape, const float *x,
                  const lo_shape *y_shape, float *y);

/* Gemm: y = alpha * op(a) @ op(b) + beta * c, then p->activation. c_shape and c are used only
 * when p->has_c; c has rank 0..2 and broadcasts to [M,N] numpy-style. */
int ref_gemm(const lo_gemm_params *p, const lo_shape *a_shape, const float *a,
             const lo_shape *b_shape, const float *b, const lo_shape *c_shape, const float *c,
             const lo_shape *y_shape, float *y);

/* Element-wise p->op (with its alpha or bounds) over numel(shape) values; x and y may be the
 * same array. */
int ref_unary(const lo_unary_params *p, const lo_shape *shape, const float *x, float *y);

/* y[i] = op(a[a_off(i)], b[b_off(i)]) over the output shape, the offsets from p's strides
 * (see lo_binary_params); fails when the strides reach outside a or b. */
int ref_binary(const lo_binary_params *p, const lo_shape *a_shape, const float *a,
               const lo_shape *b_shape, const float *b, const lo_shape *y_shape, float *y);

/* (Log-)softmax of x viewed as [outer, axis_len, inner] along the middle axis. */
int ref_softmax(const lo_softmax_params *p, const lo_shape *shape, const float *x, float *y);

/* Inference BatchNormalization of x viewed as [outer, channels, inner]. */
int ref_batchnorm(const lo_batchnorm_params *p, const lo_shape *shape, const float *x,
                  const float *scale, const float *bias, const float *mean, const float *var,
                  float *y);

/* numpy.matmul from the shapes alone: 1-D promotion and broadcast batch dims. */
int ref_matmul(const lo_shape *a_shape, const float *a, const lo_shape *b_shape, const float *b,
               const lo_shape *y_shape, float *y);

/* Copies numel elements of elem_size bytes; the shapes must have equal element counts. */
int ref_copy(const lo_shape *x_shape, const lo_shape *y_shape, size_t elem_size, const void *x,
             void *y);

/* Runs one step on host memory: inputs[i] holds step->inputs[i]'s bytes (offsets and buffers
 * are ignored), output receives step->output's bytes. Checks dtypes and input counts. */
int ref_run_step(const lo_step *step, const void *const *inputs, void *output);

/* A small deterministic generator (splitmix64), so a seed reproduces a whole test run. */
typedef struct ref_rng {
    uint64_t state;
} ref_rng;

void ref_rng_seed(ref_rng *rng, uint64_t seed);
uint64_t ref_rng_u64(ref_rng *rng);
int64_t ref_rng_int(ref_rng *rng, int64_t lo, int64_t hi); /* uniform in [lo, hi] */
float ref_rng_float(ref_rng *rng, float lo, float hi);     /* uniform in [lo, hi) */
bool ref_rng_chance(ref_rng *rng, double probability);
void ref_fill_f32(ref_rng *rng, float *x, size_t n, float lo, float hi);
void ref_fill_u8(ref_rng *rng, uint8_t *x, size_t n);

#endif
