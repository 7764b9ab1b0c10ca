/* Random element-wise steps: Relu and the other activations (Clip's bounds also as run-time
 * inputs), Copy (float and uint8, reshaped), Binary ops with numpy and legacy broadcasts,
 * (log-)softmax over any axis split, and BatchNormalization. */
#include "kernel_harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void gen_unary(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_UNARY;
    pc.st.params.unary.op = LO_ACT_RELU;
    snprintf(pc.st.label, sizeof pc.st.label, "Relu");
    const lo_shape s = random_shape(chance(0.05) ? 200000 : 6000);
    const int64_t n = ref_numel(&s);
    float *x = random_f32(b, n, -3.0f, 3.0f);
    /* Mixed signs, with exact zeros, negative zeros and tiny values among them. */
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rint_(0, 19);
        if (r == 0) x[i] = 0.0f;
        if (r == 1) x[i] = -0.0f;
        if (r == 2) x[i] *= 1e-30f;
        if (r == 3) x[i] *= 1e30f;
    }
    pc.in_place = chance(0.25);
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, x, pc.in_place ? 1.0 : 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

/* The activations past Relu with their parameters; Clip sometimes one-sided or unbounded. */
void gen_activation(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_UNARY;
    lo_unary_params *p = &pc.st.params.unary;
    static const lo_activation ops[4] = {LO_ACT_SIGMOID, LO_ACT_TANH, LO_ACT_LEAKY_RELU,
                                         LO_ACT_CLIP};
    p->op = ops[index % 4];
    p->alpha = chance(0.3) ? 0.01f : ref_rng_float(&rng, -2.0f, 2.0f);
    p->min = chance(0.2) ? -INFINITY : ref_rng_float(&rng, -4.0f, 0.5f);
    p->max = chance(0.2) ? INFINITY : ref_rng_float(&rng, 0.5f, 4.0f);
    /* min > max: ONNX's min(max(x, min), max) gives max everywhere (finite: the oracle
     * comparison takes differences). */
    if (isfinite(p->min) && isfinite(p->max) && chance(0.1)) {
        const float swap = p->min;
        p->min = p->max;
        p->max = swap;
    }
    snprintf(pc.st.label, sizeof pc.st.label, "%s", lo_activation_name(p->op));
    const lo_shape s = random_shape(chance(0.05) ? 200000 : 6000);
    const int64_t n = ref_numel(&s);
    float *x = random_f32(b, n, -8.0f, 8.0f);
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rint_(0, 19);
        if (r == 0) x[i] = 0.0f;
        if (r == 1) x[i] = -0.0f;
        if (r == 2) x[i] *= 1e-30f;
        if (r == 3) x[i] *= 1e4f; /* saturates sigmoid and tanh; exp overflows */
    }
    pc.in_place = chance(0.25);
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, x, pc.in_place ? 1.0 : 0.85);
    /* Clip's bounds, now and then, as inputs read at run time (the params then hold junk). */
    if (p->op == LO_ACT_CLIP) {
        float *bounds[2] = {&p->min, &p->max};
        int *which[2] = {&p->min_input, &p->max_input};
        for (int k = 0; k < 2; k++) {
            if (!chance(0.4)) continue;
            float *v = random_f32(b, 1, 0, 1);
            *v = *bounds[k];
            *bounds[k] = 12345.0f;
            *which[k] = pc.st.num_inputs;
            set_input(&pc, pc.st.num_inputs, LO_DTYPE_FLOAT,
                      chance(0.5) ? ref_shape(0, NULL) : ref_shape1(1), v, 0.5);
        }
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

/* An input shape that broadcasts to `out` numpy-style: a suffix of it, some dims set to 1. */
static lo_shape broadcast_operand(const lo_shape *out)
{
    const int rank = (int)rint_(0, out->rank);
    int64_t dims[LO_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        dims[d] = out->dims[out->rank - rank + d];
        if (chance(0.35)) dims[d] = 1;
    }
    return ref_shape(rank, dims);
}

void gen_binary(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_BINARY;
    lo_binary_params *p = &pc.st.params.binary;
    p->op = (lo_binary_op)(LO_BIN_ADD + index % 5);
    snprintf(pc.st.label, sizeof pc.st.label, "%s", lo_binary_op_name(p->op));
    int64_t dims[LO_MAX_RANK];
    const int rank = (int)rint_(0, chance(0.1) ? 8 : 5);
    int64_t numel = 1;
    for (int d = 0; d < rank; d++) {
        dims[d] = chance(0.2) ? 1 : rint_(1, rank > 5 ? 3 : 9);
        if (chance(0.03)) dims[d] = rint_(100, 600);
        if (numel * dims[d] > 100000) dims[d] = 1;
        numel *= dims[d];
    }
    const lo_shape ys = ref_shape(rank, dims);
    lo_shape as = ys, bs = ys;
    int b_at = 0;
    switch ((index / 5) % 4) {
    case 0: /* same shapes: the direct path */
        break;
    case 1: /* numpy broadcast of B (PRelu's only form: the slope broadcasts to X) */
        bs = broadcast_operand(&ys);
        break;
    case 2: /* numpy broadcast of both, A never bigger than the output */
        if (p->op != LO_BIN_PRELU) as = broadcast_operand(&ys);
        bs = broadcast_operand(&ys);
        break;
    default: { /* legacy: B a run of the output's dims aligned at an axis */
        const int len = (int)rint_(0, rank);
        b_at = (int)rint_(0, rank - len);
        bs = ref_shape(len, dims + b_at);
        break;
    }
    }
    /* numpy: broadcast operands align right; the legacy run sits at b_at. */
    if ((index / 5) % 4 != 3) b_at = rank - bs.rank;
    /* The output is what the operands broadcast to: where both have a 1, so does it. */
    lo_shape out = ys;
    for (int d = 0; d < rank; d++) {
        const int da = d - (rank - as.rank), db = d - b_at;
        const int64_t x = da >= 0 ? as.dims[da] : 1, z = db >= 0 && db < bs.rank ? bs.dims[db] : 1;
        out.dims[d] = x == 1 ? z : x;
    }
    test_strides(&as, rank - as.rank, p->a_strides);
    test_strides(&bs, b_at, p->b_strides);
    float *a = random_f32(b, ref_numel(&as), -3.0f, 3.0f);
    float *bv = random_f32(b, ref_numel(&bs), -3.0f, 3.0f);
    if (p->op == LO_BIN_DIV) /* divisors away from 0 */
        for (int64_t i = 0; i < ref_numel(&bs); i++)
            bv[i] = (bv[i] < 0 ? -0.5f : 0.5f) + bv[i];
    /* Now and then in place over an operand of the output's size (so laid out as it). */
    const bool a_fits = ref_numel(&as) == ref_numel(&out),
               b_fits = ref_numel(&bs) == ref_numel(&out);
    if ((a_fits || b_fits) && chance(0.25)) {
        pc.in_place = true;
        pc.in_place_input = a_fits && (!b_fits || chance(0.5)) ? 0 : 1;
    }
    set_input(&pc, 0, LO_DTYPE_FLOAT, as, a, pc.in_place && pc.in_place_input == 0 ? 1.0 : 0.7);
    set_input(&pc, 1, LO_DTYPE_FLOAT, bs, bv, pc.in_place && pc.in_place_input == 1 ? 1.0 : 0.5);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = out;
    batch_add(b, &pc);
}

void gen_softmax(batch *b, int index)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_SOFTMAX;
    lo_softmax_params *p = &pc.st.params.softmax;
    p->log = index & 1;
    snprintf(pc.st.label, sizeof pc.st.label, "%s", p->log ? "LogSoftmax" : "Softmax");
    lo_shape s = random_shape(chance(0.05) ? 100000 : 6000);
    if (s.rank == 0) s = ref_shape1(rint_(1, 1000));
    /* Split at a random axis: the legacy 2-D view (inner 1) or one axis (inner the rest). */
    const int axis = (int)rint_(0, s.rank - 1);
    const bool coerce = (index >> 1) & 1;
    p->outer = p->axis_len = p->inner = 1;
    for (int d = 0; d < s.rank; d++) {
        if (d < axis)
            p->outer *= s.dims[d];
        else if (d == axis || coerce)
            p->axis_len *= s.dims[d];
        else
            p->inner *= s.dims[d];
    }
    const int64_t n = ref_numel(&s);
    /* Now and then huge logits: exp() would overflow without the max subtracted. */
    const float range = chance(0.2) ? 500.0f : 8.0f;
    set_input(&pc, 0, LO_DTYPE_FLOAT, s, random_f32(b, n, -range, range), 0.85);
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = s;
    batch_add(b, &pc);
}

void gen_batchnorm(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_BATCHNORM;
    lo_batchnorm_params *p = &pc.st.params.batchnorm;
    snprintf(pc.st.label, sizeof pc.st.label, "BatchNormalization");
    const int rank = (int)rint_(2, 5);
    int64_t dims[LO_MAX_RANK];
    dims[0] = rint_(1, 4);
    dims[1] = rint_(1, 24);
    p->channels = dims[1];
    p->inner = 1;
    for (int d = 2; d < rank; d++) {
        dims[d] = rint_(1, rank > 3 ? 6 : 14);
        p->inner *= dims[d];
    }
    p->epsilon = chance(0.5) ? 1e-5f : ref_rng_float(&rng, 0.0f, 0.1f);
    const lo_shape xs = ref_shape(rank, dims), cs = ref_shape1(p->channels);
    pc.in_place = chance(0.25);
    set_input(&pc, 0, LO_DTYPE_FLOAT, xs, random_f32(b, ref_numel(&xs), -3, 3),
              pc.in_place ? 1.0 : 0.85);
    for (int i = 1; i < 5; i++) {
        const bool variance = i == 4;
        set_input(&pc, i, LO_DTYPE_FLOAT, cs,
                  random_f32(b, p->channels, variance ? 0.05f : -2.0f, 2.0f), 0.2);
    }
    pc.st.output.dtype = LO_DTYPE_FLOAT;
    pc.st.output.shape = xs;
    batch_add(b, &pc);
}

void gen_copy(batch *b)
{
    pending pc;
    memset(&pc, 0, sizeof pc);
    pc.st.kind = LO_STEP_COPY;
    snprintf(pc.st.label, sizeof pc.st.label, "Copy");
    const lo_dtype dtype = chance(0.3) ? LO_DTYPE_UINT8 : LO_DTYPE_FLOAT;
    const lo_shape xs = random_shape(chance(0.05) ? 200000 : 8000);
    const int64_t n = ref_numel(&xs);
    pc.in_place = chance(0.25);
    set_input(&pc, 0, dtype, xs, random_data(b, dtype, n), pc.in_place ? 1.0 : 0.8);
    pc.st.output.dtype = dtype;
    pc.st.output.shape = factor_shape(n, n == 1 ? (int)rint_(0, 3) : (int)rint_(1, 4));
    batch_add(b, &pc);
}
