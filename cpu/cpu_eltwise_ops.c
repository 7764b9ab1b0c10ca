/* Values computed element by element (Unary, Binary, BatchNormalization) or along one axis
 * (Softmax, LogSoftmax). Inner loops are contiguous and call nothing the compiler cannot
 * inline (exp is cpu_expf.h's), so they vectorise; accumulation is in float, in lanes and
 * blocks so long sums keep their precision. In place (output = an input, as step.h allows)
 * works because every loop reads element i before writing element i and nothing after.
 */
#include <math.h>
#include <string.h>

#include "cpu_activation.h"
#include "cpu_expf.h"
#include "cpu_clones.h"
#include "cpu_plain_ops.h"

/* ---- Unary ---- */

typedef struct unary_task {
    lo_unary_params p; /* Clip's run-time bounds already read */
    const float *x;
    float *y;
    int64_t n;
    int units;
} unary_task;

/* y = f(x) over n values: the activation Conv and Gemm fuse, here out of place. */
LO_CPU_KERNEL static void unary_span(const lo_unary_params *p, const float *x, float *y, int64_t n)
{
    const lo_activation_args args = {.alpha = p->alpha, .min = p->min, .max = p->max};
    lo_cpu_activate_from(x, y, n, p->op, &args);
}

static void unary_unit(void *task, int unit)
{
    const unary_task *t = task;
    const int64_t begin = lo_cpu_unit_begin(t->n, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->n, t->units, unit + 1);
    unary_span(&t->p, t->x + begin, t->y + begin, end - begin);
}

void lo_cpu_unary(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                  float *y)
{
    unary_task t = {.p = step->params.unary, .x = inputs[0], .y = y};
    if (t.p.min_input) t.p.min = inputs[t.p.min_input][0];
    if (t.p.max_input) t.p.max = inputs[t.p.max_input][0];
    t.n = lo_shape_numel(&step->output.shape);
    if (t.n < 1) return;
    /* exp costs about as much as moving a few more floats. */
    const bool exp_ops = t.p.op == LO_ACT_SIGMOID || t.p.op == LO_ACT_TANH;
    t.units = lo_cpu_units(threads, t.n, exp_ops ? 32 : 8);
    lo_cpu_for(threads, unary_unit, &t, t.units);
}

/* ---- Binary ---- */

/* The output with its dims of 1 dropped and neighbours merged where both operands walk them
 * as one (dense together, or both broadcast), so the innermost loop is as long as possible. */
typedef struct binary_layout {
    int rank; /* >= 1 */
    int64_t dims[LO_MAX_RANK];
    int64_t a[LO_MAX_RANK], b[LO_MAX_RANK]; /* strides in elements */
} binary_layout;

static binary_layout binary_layout_of(const lo_shape *out, const lo_binary_params *p)
{
    binary_layout l;
    memset(&l, 0, sizeof l);
    for (int d = 0; d < out->rank; d++) {
        const int64_t n = out->dims[d];
        if (n == 1) continue;
        const int r = l.rank;
        if (r > 0 && l.a[r - 1] == p->a_strides[d] * n && l.b[r - 1] == p->b_strides[d] * n) {
            l.dims[r - 1] *= n;
            l.a[r - 1] = p->a_strides[d];
            l.b[r - 1] = p->b_strides[d];
            continue;
        }
        l.dims[r] = n;
        l.a[r] = p->a_strides[d];
        l.b[r] = p->b_strides[d];
        l.rank++;
    }
    if (l.rank == 0) {
        l.rank = 1;
        l.dims[0] = 1;
    }
    return l;
}

/* One output row of n elements, the operands read at strides sa and sb: the dense and the
 * broadcast-scalar forms get loops of their own, which vectorise. */
#define BINARY_ROW(expr)                                                                           \
    do {                                                                                           \
        if (sa == 1 && sb == 1) {                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const float av = a[i], bv = b[i];                                                  \
                y[i] = (expr);                                                                     \
            }                                                                                      \
        } else if (sa == 1 && sb == 0) {                                                           \
            const float bv = b[0];                                                                 \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const float av = a[i];                                                             \
                y[i] = (expr);                                                                     \
            }                                                                                      \
        } else if (sa == 0 && sb == 1) {                                                           \
            const float av = a[0];                                                                 \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const float bv = b[i];                                                             \
                y[i] = (expr);                                                                     \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const float av = a[i * sa], bv = b[i * sb];                                        \
                y[i] = (expr);                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

LO_CPU_KERNEL static void binary_row(lo_binary_op op, const float *a, int64_t sa, const float *b,
                                     int64_t sb, float *y, int64_t n)
{
    switch (op) {
    case LO_BIN_ADD:
        BINARY_ROW(av + bv);
        break;
    case LO_BIN_SUB:
        BINARY_ROW(av - bv);
        break;
    case LO_BIN_MUL:
        BINARY_ROW(av * bv);
        break;
    case LO_BIN_DIV:
        BINARY_ROW(av / bv);
        break;
    case LO_BIN_PRELU:
        /* av < 0 ? bv * av : av, with no multiply under a condition (a branch to GCC). */
        BINARY_ROW((av > 0.0f ? av : 0.0f) + bv * (av < 0.0f ? av : 0.0f));
        break;
    }
}

typedef struct binary_task {
    lo_binary_op op;
    binary_layout l;
    int64_t rows; /* output rows: the product of every dim but the last */
    const float *a, *b;
    float *y;
    int units;
} binary_task;

static void binary_unit(void *task, int unit)
{
    const binary_task *t = task;
    const binary_layout *l = &t->l;
    const int last = l->rank - 1;
    const int64_t n = l->dims[last];
    const int64_t begin = lo_cpu_unit_begin(t->rows, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->rows, t->units, unit + 1);
    lo_cpu_walk w;
    lo_cpu_walk_start(&w, last, l->dims, l->a, l->b, begin);
    for (int64_t row = begin; row < end; row++, lo_cpu_walk_next(&w))
        binary_row(t->op, t->a + w.offset[0], l->a[last], t->b + w.offset[1], l->b[last],
                   t->y + row * n, n);
}

void lo_cpu_binary(lo_cpu_threads *threads, const lo_step *step, const float *a, const float *b,
                   float *y)
{
    binary_task t = {.op = step->params.binary.op, .a = a, .b = b, .y = y};
    t.l = binary_layout_of(&step->output.shape, &step->params.binary);
    const int64_t n = t.l.dims[t.l.rank - 1];
    const int64_t numel = lo_shape_numel(&step->output.shape);
    if (numel < 1) return;
    t.rows = numel / n;
    t.units = lo_cpu_units(threads, t.rows, n * 12);
    lo_cpu_for(threads, binary_unit, &t, t.units);
}

/* ---- Softmax ---- */

#define LANES           8
#define SUM_BLOCK       512 /* floats summed in lanes before joining the total */
#define SOFTMAX_COLUMNS 256 /* columns of a [len, inner] block done at once */

static float max_of(const float *x, int64_t n)
{
    float lane[LANES];
    for (int k = 0; k < LANES; k++)
        lane[k] = -INFINITY;
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++) {
            const float v = x[i + k];
            lane[k] = v > lane[k] ? v : lane[k];
        }
    float top = -INFINITY;
    for (; i < n; i++)
        top = x[i] > top ? x[i] : top;
    for (int k = 0; k < LANES; k++)
        top = lane[k] > top ? lane[k] : top;
    return top;
}

/* In lanes within blocks, blocks into the total: error grows with n / SUM_BLOCK + SUM_BLOCK /
 * LANES additions, not with n. */
static float sum_of(const float *x, int64_t n)
{
    float total = 0.0f;
    for (int64_t start = 0; start < n; start += SUM_BLOCK) {
        const int64_t end = start + SUM_BLOCK < n ? start + SUM_BLOCK : n;
        float lane[LANES] = {0};
        int64_t i = start;
        for (; i + LANES <= end; i += LANES)
            for (int k = 0; k < LANES; k++)
                lane[k] += x[i + k];
        float block = 0.0f;
        for (; i < end; i++)
            block += x[i];
        for (int k = 0; k < LANES; k++)
            block += lane[k];
        total += block;
    }
    return total;
}

/* One row along the axis (inner 1): y holds the exponentials first, then the results. */
LO_CPU_KERNEL static void softmax_row(const float *x, float *y, int64_t len, bool log_softmax)
{
    const float top = max_of(x, len);
    for (int64_t k = 0; k < len; k++)
        y[k] = x[k] - top;
    lo_cpu_exp_span(y, y, len);
    const float sum = sum_of(y, len);
    if (log_softmax) {
        const float log_sum = logf(sum);
        for (int64_t k = 0; k < len; k++)
            y[k] = (x[k] - top) - log_sum;
    } else {
        const float scale = 1.0f / sum;
        for (int64_t k = 0; k < len; k++)
            y[k] *= scale;
    }
}

/* Columns [0, cols) of a [len, inner] block, each column a softmax: rows of the block are
 * contiguous, so every loop runs along a row. */
LO_CPU_KERNEL static void softmax_columns(const float *x, float *y, int64_t len, int64_t inner,
                                          int64_t cols, bool log_softmax)
{
    float top[SOFTMAX_COLUMNS], sum[SOFTMAX_COLUMNS];
    for (int64_t j = 0; j < cols; j++) {
        top[j] = -INFINITY;
        sum[j] = 0.0f;
    }
    for (int64_t k = 0; k < len; k++) {
        const float *xr = x + k * inner;
        for (int64_t j = 0; j < cols; j++)
            top[j] = xr[j] > top[j] ? xr[j] : top[j];
    }
    for (int64_t k = 0; k < len; k++) {
        const float *xr = x + k * inner;
        float *yr = y + k * inner;
        for (int64_t j = 0; j < cols; j++)
            yr[j] = xr[j] - top[j];
        lo_cpu_exp_span(yr, yr, cols);
        for (int64_t j = 0; j < cols; j++)
            sum[j] += yr[j];
    }
    for (int64_t j = 0; j < cols; j++)
        sum[j] = log_softmax ? logf(sum[j]) : 1.0f / sum[j];
    for (int64_t k = 0; k < len; k++) {
        const float *xr = x + k * inner;
        float *yr = y + k * inner;
        if (log_softmax)
            for (int64_t j = 0; j < cols; j++)
                yr[j] = (xr[j] - top[j]) - sum[j];
        else
            for (int64_t j = 0; j < cols; j++)
                yr[j] *= sum[j];
    }
}

typedef struct softmax_task {
    const lo_softmax_params *p;
    int64_t tiles; /* column tiles per outer index */
    const float *x;
    float *y;
    int units;
} softmax_task;

static void softmax_unit(void *task, int unit)
{
    const softmax_task *t = task;
    const lo_softmax_params *p = t->p;
    const int64_t items = p->outer * t->tiles;
    const int64_t begin = lo_cpu_unit_begin(items, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(items, t->units, unit + 1);
    for (int64_t item = begin; item < end; item++) {
        const int64_t o = item / t->tiles, j0 = item % t->tiles * SOFTMAX_COLUMNS;
        const int64_t at = o * p->axis_len * p->inner + j0;
        if (p->inner == 1) {
            softmax_row(t->x + at, t->y + at, p->axis_len, p->log);
        } else {
            const int64_t cols = p->inner - j0 < SOFTMAX_COLUMNS ? p->inner - j0 : SOFTMAX_COLUMNS;
            softmax_columns(t->x + at, t->y + at, p->axis_len, p->inner, cols, p->log);
        }
    }
}

void lo_cpu_softmax(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y)
{
    const lo_softmax_params *p = &step->params.softmax;
    if (p->outer < 1 || p->axis_len < 1 || p->inner < 1) return;
    softmax_task t = {.p = p, .x = x, .y = y};
    t.tiles = (p->inner + SOFTMAX_COLUMNS - 1) / SOFTMAX_COLUMNS;
    const int64_t cols = p->inner < SOFTMAX_COLUMNS ? p->inner : SOFTMAX_COLUMNS;
    t.units = lo_cpu_units(threads, p->outer * t.tiles, p->axis_len * cols * 32);
    lo_cpu_for(threads, softmax_unit, &t, t.units);
}

/* ---- BatchNormalization ---- */

typedef struct batchnorm_task {
    const lo_batchnorm_params *p;
    int64_t planes; /* outer * channels, each `inner` elements of one channel */
    const float *x, *scale, *bias, *mean, *var;
    float *y;
    int units;
} batchnorm_task;

LO_CPU_KERNEL static void batchnorm_unit(void *task, int unit)
{
    const batchnorm_task *t = task;
    const int64_t inner = t->p->inner;
    const int64_t begin = lo_cpu_unit_begin(t->planes, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->planes, t->units, unit + 1);
    for (int64_t plane = begin; plane < end; plane++) {
        const int64_t c = plane % t->p->channels;
        const float mean = t->mean[c], bias = t->bias[c];
        const float factor = t->scale[c] / sqrtf(t->var[c] + t->p->epsilon);
        const float *x = t->x + plane * inner;
        float *y = t->y + plane * inner;
        /* (x - mean) first, as the formula: x * factor + a folded shift would cancel. */
        for (int64_t i = 0; i < inner; i++)
            y[i] = (x[i] - mean) * factor + bias;
    }
}

void lo_cpu_batchnorm(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                      float *y)
{
    const lo_batchnorm_params *p = &step->params.batchnorm;
    const int64_t numel = lo_shape_numel(&step->output.shape);
    if (numel < 1 || p->channels < 1 || p->inner < 1) return;
    batchnorm_task t = {.p = p,
                        .planes = numel / p->inner,
                        .x = inputs[0],
                        .scale = inputs[1],
                        .bias = inputs[2],
                        .mean = inputs[3],
                        .var = inputs[4],
                        .y = y};
    t.units = lo_cpu_units(threads, t.planes, p->inner * 8);
    lo_cpu_for(threads, batchnorm_unit, &t, t.units);
}
