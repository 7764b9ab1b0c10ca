/* MaxPool (float, uint8) and AveragePool: one walk over the windows for all three. Each output
 * row starts from the combine's identity, and for each window tap (kh, kw) the run of output
 * columns whose tap lies inside the input is combined with the input row read at the pool's
 * stride: a contiguous loop the compiler vectorises. Taps in the padding or past the input
 * are never visited, so they never win a max; AveragePool then divides each sum by the taps
 * of its window inside the input, or inside the padded input (count_include_pad). Units of
 * work are output rows.
 */
#include <math.h>
#include <string.h>

#include "cpu_clones.h"
#include "cpu_plain_ops.h"

/* acc[j] = combine(acc[j], src[j * stride]) for j in [0, n). */
typedef void (*combine_fn)(void *restrict acc, const void *restrict src, int64_t n, int64_t stride);

LO_CPU_KERNEL static void max_f32(void *restrict acc, const void *restrict src, int64_t n,
                                  int64_t stride)
{
    float *restrict a = acc;
    const float *restrict s = src;
    if (stride == 1)
        for (int64_t j = 0; j < n; j++)
            a[j] = s[j] > a[j] ? s[j] : a[j];
    else if (stride == 2)
        for (int64_t j = 0; j < n; j++)
            a[j] = s[2 * j] > a[j] ? s[2 * j] : a[j];
    else
        for (int64_t j = 0; j < n; j++)
            a[j] = s[j * stride] > a[j] ? s[j * stride] : a[j];
}

LO_CPU_KERNEL static void max_u8(void *restrict acc, const void *restrict src, int64_t n,
                                 int64_t stride)
{
    uint8_t *restrict a = acc;
    const uint8_t *restrict s = src;
    if (stride == 1)
        for (int64_t j = 0; j < n; j++)
            a[j] = s[j] > a[j] ? s[j] : a[j];
    else if (stride == 2)
        for (int64_t j = 0; j < n; j++)
            a[j] = s[2 * j] > a[j] ? s[2 * j] : a[j];
    else
        for (int64_t j = 0; j < n; j++)
            a[j] = s[j * stride] > a[j] ? s[j * stride] : a[j];
}

LO_CPU_KERNEL static void sum_f32(void *restrict acc, const void *restrict src, int64_t n,
                                  int64_t stride)
{
    float *restrict a = acc;
    const float *restrict s = src;
    if (stride == 1)
        for (int64_t j = 0; j < n; j++)
            a[j] += s[j];
    else if (stride == 2)
        for (int64_t j = 0; j < n; j++)
            a[j] += s[2 * j];
    else
        for (int64_t j = 0; j < n; j++)
            a[j] += s[j * stride];
}

#define SPAN_TAPS 16

typedef struct pool_task {
    const lo_pool_params *p;
    bool average;
    size_t elem; /* bytes per element */
    combine_fn combine;
    int64_t h, w, oh, ow;
    int64_t rows; /* output rows: N * C * OH */
    /* Output columns [col0[kw], col1[kw]) have tap kw inside the input: the same for every
     * row, so worked out once for the first SPAN_TAPS taps (a global pool's may be more). */
    int64_t col0[SPAN_TAPS], col1[SPAN_TAPS];
    /* AveragePool: the taps a window counts lie in rows [lo_h, hi_h) and columns [lo_w,
     * hi_w) (the padding too under count_include_pad); the columns
     * [full0, full1) count all kernel[1] of them. */
    int64_t lo_h, hi_h, lo_w, hi_w, full0, full1;
    /* A float 2x2 window at stride 2: the columns [pair0, pair1) have both taps inside. */
    bool pair;
    int64_t pair0, pair1;
    const char *x;
    char *y;
    int units;
} pool_task;

/* a / b rounded up, for b > 0 and any sign of a. */
static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -(-a / b);
}

/* [*k0, *k1): the k in [0, count) with start + k * step inside [lo, hi) (step > 0). The same
 * question for the taps of a window and for the output columns a tap reaches. */
static void span_inside(int64_t start, int64_t step, int64_t count, int64_t lo, int64_t hi,
                        int64_t *k0, int64_t *k1)
{
    int64_t first = ceil_div(lo - start, step), end = ceil_div(hi - start, step);
    first = first < 0 ? 0 : first > count ? count : first;
    end = end < first ? first : end > count ? count : end;
    *k0 = first;
    *k1 = end;
}

/* Taps of the window starting at `start` inside [lo, hi). */
static int64_t taps_inside(int64_t start, int64_t dilation, int64_t kernel, int64_t lo, int64_t hi)
{
    int64_t k0, k1;
    span_inside(start, dilation, kernel, lo, hi, &k0, &k1);
    return k1 - k0;
}

/* Each sum of columns [ja, jb) of output row i over the taps it is averaged over: the
 * window's rows counted once per row, its columns once per column at the borders, and
 * kernel[1] between them. */
static void average_row(const pool_task *t, int64_t i, float *y, int64_t ja, int64_t jb)
{
    const lo_pool_params *p = t->p;
    const int64_t top = i * p->stride[0] - p->pad_begin[0];
    const int64_t rows = taps_inside(top, p->dilation[0], p->kernel[0], t->lo_h, t->hi_h);
    const int64_t full0 = t->full0 > ja ? t->full0 : ja, full1 = t->full1 < jb ? t->full1 : jb;
    for (int64_t j = ja; j < jb; j++) {
        if (j == full0 && full1 > full0) {
            const float count = (float)(rows * p->kernel[1]);
            for (int64_t k = full0; k < full1; k++)
                y[k] = rows ? y[k] / count : 0.0f;
            j = full1 - 1;
            continue;
        }
        const int64_t count = rows * taps_inside(j * p->stride[1] - p->pad_begin[1], p->dilation[1],
                                                 p->kernel[1], t->lo_w, t->hi_w);
        y[j] = count ? y[j] / (float)count : 0.0f;
    }
}

/* Columns [ja, jb) of output row `row`, any window: from the combine's identity, each tap's
 * run of columns inside the input combined in. */
static void pool_columns(const pool_task *t, int64_t row, int64_t ja, int64_t jb)
{
    const lo_pool_params *p = t->p;
    const int64_t plane = row / t->oh, i = row % t->oh;
    char *y = t->y + (size_t)(row * t->ow) * t->elem;
    if (t->combine == max_f32) {
        float *yf = (float *)y;
        for (int64_t j = ja; j < jb; j++)
            yf[j] = -INFINITY;
    } else { /* uint8's max and the sum start at 0 */
        memset(y + (size_t)ja * t->elem, 0, (size_t)(jb - ja) * t->elem);
    }
    const int64_t top = i * p->stride[0] - p->pad_begin[0];
    int64_t kh0, kh1;
    span_inside(top, p->dilation[0], p->kernel[0], 0, t->h, &kh0, &kh1);
    for (int64_t kh = kh0; kh < kh1; kh++) {
        const int64_t r = top + kh * p->dilation[0];
        const char *x_row = t->x + (size_t)((plane * t->h + r) * t->w) * t->elem;
        for (int64_t kw = 0; kw < p->kernel[1]; kw++) {
            const int64_t left = kw * p->dilation[1] - p->pad_begin[1];
            int64_t j0, j1;
            if (kw < SPAN_TAPS) {
                j0 = t->col0[kw];
                j1 = t->col1[kw];
            } else {
                span_inside(left, p->stride[1], t->ow, 0, t->w, &j0, &j1);
            }
            j0 = j0 > ja ? j0 : ja;
            j1 = j1 < jb ? j1 : jb;
            if (j1 > j0)
                t->combine(y + (size_t)j0 * t->elem,
                           x_row + (size_t)(j0 * p->stride[1] + left) * t->elem, j1 - j0,
                           p->stride[1]);
        }
    }
    if (t->average) average_row(t, i, (float *)y, ja, jb);
}

/* The 2x2, stride 2 window of float pools (LeNet's, and most networks'), where all four taps
 * lie inside the input: one pass over the two input rows. The sum adds the taps in the
 * order pool_columns does. */
LO_CPU_KERNEL static void max_2x2(const float *restrict r0, const float *restrict r1,
                                  float *restrict y, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        const float a = r0[2 * j] > r0[2 * j + 1] ? r0[2 * j] : r0[2 * j + 1];
        const float b = r1[2 * j] > r1[2 * j + 1] ? r1[2 * j] : r1[2 * j + 1];
        y[j] = a > b ? a : b;
    }
}

LO_CPU_KERNEL static void average_2x2(const float *restrict r0, const float *restrict r1,
                                      float *restrict y, int64_t n)
{
    for (int64_t j = 0; j < n; j++)
        y[j] = (((r0[2 * j] + r0[2 * j + 1]) + r1[2 * j]) + r1[2 * j + 1]) / 4.0f;
}

/* One output of a float 2x2, stride 2 window at the border (some tap in the padding): its
 * taps checked one by one, cheaper there than pool_columns' setup for one or two columns.
 * `plane` is the input plane, `top` the window's first row (from the row's start, worked out
 * once per row: a division per output cost more than its four taps). */
static float pool_2x2_edge(const pool_task *t, const float *plane, int64_t top, int64_t j)
{
    const lo_pool_params *p = t->p;
    const int64_t left = j * 2 - p->pad_begin[1];
    float acc = t->average ? 0.0f : -INFINITY;
    int64_t counted = 0;
    for (int64_t a = 0; a < 2; a++)
        for (int64_t b = 0; b < 2; b++) {
            const int64_t r = top + a, col = left + b;
            if (r >= t->lo_h && r < t->hi_h && col >= t->lo_w && col < t->hi_w) counted++;
            if (r < 0 || r >= t->h || col < 0 || col >= t->w) continue;
            const float v = plane[r * t->w + col];
            acc = t->average ? acc + v : (v > acc ? v : acc);
        }
    if (t->average) acc = counted ? acc / (float)counted : 0.0f;
    return acc;
}

static void pool_unit(void *task, int unit)
{
    const pool_task *t = task;
    const lo_pool_params *p = t->p;
    const int64_t begin = lo_cpu_unit_begin(t->rows, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->rows, t->units, unit + 1);
    for (int64_t row = begin; row < end; row++) {
        if (!t->pair) {
            pool_columns(t, row, 0, t->ow);
            continue;
        }
        const int64_t top = row % t->oh * 2 - p->pad_begin[0];
        const float *plane = (const float *)t->x + row / t->oh * t->h * t->w;
        float *y = (float *)t->y + row * t->ow;
        const bool inside = top >= 0 && top + 1 < t->h && t->pair1 > t->pair0;
        const int64_t pair0 = inside ? t->pair0 : t->ow, pair1 = inside ? t->pair1 : t->ow;
        if (inside) {
            const float *r0 = plane + top * t->w + (t->pair0 * 2 - p->pad_begin[1]);
            if (t->average)
                average_2x2(r0, r0 + t->w, y + t->pair0, t->pair1 - t->pair0);
            else
                max_2x2(r0, r0 + t->w, y + t->pair0, t->pair1 - t->pair0);
        }
        for (int64_t j = 0; j < pair0; j++)
            y[j] = pool_2x2_edge(t, plane, top, j);
        for (int64_t j = pair1; j < t->ow; j++)
            y[j] = pool_2x2_edge(t, plane, top, j);
    }
}

void lo_cpu_pool(lo_cpu_threads *threads, const lo_step *step, const void *x, void *y)
{
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    pool_task t = {
        .p = &step->params.pool,
        .average = step->kind == LO_STEP_AVGPOOL,
        .elem = step->output.dtype == LO_DTYPE_UINT8 ? 1 : sizeof(float),
        .h = xs->dims[2],
        .w = xs->dims[3],
        .oh = ys->dims[2],
        .ow = ys->dims[3],
        .rows = ys->dims[0] * ys->dims[1] * ys->dims[2],
        .x = x,
        .y = y,
    };
    t.combine = t.average ? sum_f32 : t.elem == 1 ? max_u8 : max_f32;
    if (t.rows < 1 || t.ow < 1) return;
    const lo_pool_params *p = t.p;
    for (int64_t kw = 0; kw < p->kernel[1] && kw < SPAN_TAPS; kw++)
        span_inside(kw * p->dilation[1] - p->pad_begin[1], p->stride[1], t.ow, 0, t.w, &t.col0[kw],
                    &t.col1[kw]);
    t.lo_h = p->count_include_pad ? -p->pad_begin[0] : 0;
    t.hi_h = p->count_include_pad ? t.h + p->pad_end[0] : t.h;
    t.lo_w = p->count_include_pad ? -p->pad_begin[1] : 0;
    t.hi_w = p->count_include_pad ? t.w + p->pad_end[1] : t.w;
    span_inside(-p->pad_begin[1], p->stride[1], t.ow, t.lo_w,
                t.hi_w - (p->kernel[1] - 1) * p->dilation[1], &t.full0, &t.full1);
    t.pair = t.elem == sizeof(float) && p->kernel[0] == 2 && p->kernel[1] == 2 &&
             p->stride[0] == 2 && p->stride[1] == 2 && p->dilation[0] == 1 && p->dilation[1] == 1;
    span_inside(-p->pad_begin[1], 2, t.ow, 0, t.w - 1, &t.pair0, &t.pair1);
    const int64_t row_bytes = t.ow * (t.p->kernel[0] * t.p->kernel[1] + 1) * (int64_t)t.elem;
    t.units = lo_cpu_units(threads, t.rows, row_bytes);
    lo_cpu_for(threads, pool_unit, &t, t.units);
}
