/* Layout steps, which move values without computing any: Copy (any element size), Pad
 * (constant mode, negative pads crop), Concat and Transpose. Each first merges the dims it can
 * treat as one (unpadded inner dims, dims a transpose keeps together) so the innermost moves
 * are long runs: memcpy, a fill, or a tiled 2-D transpose.
 */
#include <string.h>

#include "cpu_plain_ops.h"

/* ---- Copy ---- */

typedef struct copy_task {
    const char *x;
    char *y;
    int64_t bytes;
    int units;
} copy_task;

static void copy_unit(void *task, int unit)
{
    const copy_task *t = task;
    const int64_t begin = lo_cpu_unit_begin(t->bytes, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->bytes, t->units, unit + 1);
    memcpy(t->y + begin, t->x + begin, (size_t)(end - begin));
}

void lo_cpu_copy(lo_cpu_threads *threads, const lo_step *step, const void *x, void *y)
{
    /* In place is the same bytes (step.h): nothing to move. */
    if (x == y) return;
    copy_task t = {.x = x, .y = y, .bytes = (int64_t)lo_tensor_ref_bytes(&step->output)};
    if (t.bytes < 1) return;
    t.units = lo_cpu_units(threads, t.bytes, 1);
    lo_cpu_for(threads, copy_unit, &t, t.units);
}

/* ---- Pad ---- */

/* Input and output dims with inner unpadded dims merged into the padded one above them (its
 * pads scaled by their size): padding whole rows of a block is padding runs of the merged
 * dim. */
typedef struct pad_layout {
    int rank; /* >= 1 */
    int64_t x[LO_MAX_RANK], y[LO_MAX_RANK], begin[LO_MAX_RANK];
    int64_t x_strides[LO_MAX_RANK], y_strides[LO_MAX_RANK];
} pad_layout;

static pad_layout pad_layout_of(const lo_shape *xs, const lo_pad_params *p)
{
    pad_layout l;
    memset(&l, 0, sizeof l);
    for (int d = 0; d < xs->rank; d++) {
        const int r = l.rank;
        const int64_t n = xs->dims[d];
        if (r > 0 && p->pad_begin[d] == 0 && p->pad_end[d] == 0) {
            l.x[r - 1] *= n;
            l.y[r - 1] *= n;
            l.begin[r - 1] *= n;
            continue;
        }
        l.x[r] = n;
        l.y[r] = n + p->pad_begin[d] + p->pad_end[d];
        l.begin[r] = p->pad_begin[d];
        l.rank++;
    }
    if (l.rank == 0) {
        l.rank = 1;
        l.x[0] = l.y[0] = 1;
    }
    int64_t xs_ = 1, ys_ = 1;
    for (int d = l.rank - 1; d >= 0; d--) {
        l.x_strides[d] = xs_;
        l.y_strides[d] = ys_;
        xs_ *= l.x[d];
        ys_ *= l.y[d];
    }
    return l;
}

typedef struct pad_task {
    pad_layout l;
    float value;
    int64_t rows; /* output rows: every output dim but the last */
    const float *x;
    float *y;
    int units;
} pad_task;

static void fill(float *y, int64_t n, float value)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = value;
}

static void pad_unit(void *task, int unit)
{
    const pad_task *t = task;
    const pad_layout *l = &t->l;
    const int last = l->rank - 1;
    const int64_t width = l->y[last];
    /* The output columns a source row lands on: [j0, j1), the same for every row. */
    int64_t j0 = l->begin[last], j1 = l->x[last] + l->begin[last];
    j0 = j0 < 0 ? 0 : j0 > width ? width : j0;
    j1 = j1 < j0 ? j0 : j1 > width ? width : j1;
    const int64_t begin = lo_cpu_unit_begin(t->rows, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(t->rows, t->units, unit + 1);
    lo_cpu_walk w; /* offset[0]: output row; offset[1] unused */
    lo_cpu_walk_start(&w, last, l->y, l->y_strides, l->y_strides, begin);
    for (int64_t row = begin; row < end; row++, lo_cpu_walk_next(&w)) {
        float *y = t->y + row * width;
        bool inside = true;
        int64_t x_row = 0;
        for (int d = 0; d < last; d++) {
            const int64_t i = w.index[d] - l->begin[d];
            inside = inside && i >= 0 && i < l->x[d];
            x_row += i * l->x_strides[d];
        }
        if (!inside) {
            fill(y, width, t->value);
            continue;
        }
        fill(y, j0, t->value);
        memcpy(y + j0, t->x + x_row + (j0 - l->begin[last]), (size_t)(j1 - j0) * sizeof *y);
        fill(y + j1, width - j1, t->value);
    }
}

void lo_cpu_pad(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y)
{
    pad_task t = {.value = step->params.pad.value, .x = x, .y = y};
    t.l = pad_layout_of(&step->inputs[0].shape, &step->params.pad);
    const int64_t width = t.l.y[t.l.rank - 1];
    const int64_t numel = lo_shape_numel(&step->output.shape);
    if (numel < 1 || width < 1) return;
    t.rows = numel / width;
    t.units = lo_cpu_units(threads, t.rows, width * 8);
    lo_cpu_for(threads, pad_unit, &t, t.units);
}

/* ---- Concat ---- */

typedef struct concat_task {
    int count;
    const float *const *inputs;
    int64_t block[LO_STEP_MAX_INPUTS]; /* input k's elements per outer index */
    int64_t start[LO_STEP_MAX_INPUTS]; /* where they land in an output row */
    int64_t row;                       /* the output's elements per outer index */
    int64_t outer;
    float *y;
    int units;
} concat_task;

static void concat_unit(void *task, int unit)
{
    const concat_task *t = task;
    const int64_t items = t->outer * t->count;
    const int64_t begin = lo_cpu_unit_begin(items, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(items, t->units, unit + 1);
    for (int64_t item = begin; item < end; item++) {
        const int64_t o = item / t->count;
        const int k = (int)(item % t->count);
        memcpy(t->y + o * t->row + t->start[k], t->inputs[k] + o * t->block[k],
               (size_t)t->block[k] * sizeof *t->y);
    }
}

void lo_cpu_concat(lo_cpu_threads *threads, const lo_step *step, const float *const *inputs,
                   float *y)
{
    const lo_shape *ys = &step->output.shape;
    const int axis = step->params.concat.axis;
    concat_task t = {.count = step->num_inputs, .inputs = inputs, .outer = 1, .y = y};
    int64_t inner = 1;
    for (int d = 0; d < ys->rank; d++) {
        if (d < axis) t.outer *= ys->dims[d];
        if (d > axis) inner *= ys->dims[d];
    }
    for (int k = 0; k < t.count; k++) {
        t.start[k] = t.row;
        t.block[k] = step->inputs[k].shape.dims[axis] * inner;
        t.row += t.block[k];
    }
    if (t.outer < 1 || t.row < 1) return;
    t.units = lo_cpu_units(threads, t.outer * t.count, t.row * 8 / t.count);
    lo_cpu_for(threads, concat_unit, &t, t.units);
}

/* ---- Transpose ---- */

/* The input's dims with those of size 1 dropped and runs the permutation keeps together
 * (consecutive in the input and in the output) merged into one; output dim d is input dim
 * perm[d]. */
typedef struct transpose_layout {
    int rank;
    int64_t dims[LO_MAX_RANK]; /* the input's */
    int perm[LO_MAX_RANK];
} transpose_layout;

static transpose_layout transpose_layout_of(const lo_shape *xs, const int *perm)
{
    /* Runs in output order: each run's first input dim and its size. */
    int first[LO_MAX_RANK];
    int64_t size[LO_MAX_RANK];
    int runs = 0, prev = -1;
    for (int d = 0; d < xs->rank; d++) {
        const int in = perm[d];
        if (xs->dims[in] == 1) continue;
        bool follows = runs > 0 && in > prev;
        for (int k = prev + 1; follows && k < in; k++)
            follows = xs->dims[k] == 1;
        if (follows) {
            size[runs - 1] *= xs->dims[in];
        } else {
            first[runs] = in;
            size[runs] = xs->dims[in];
            runs++;
        }
        prev = in;
    }
    /* A run's input position is how many runs start before it in the input. */
    transpose_layout l;
    memset(&l, 0, sizeof l);
    l.rank = runs;
    for (int m = 0; m < runs; m++) {
        int at = 0;
        for (int k = 0; k < runs; k++)
            at += first[k] < first[m];
        l.perm[m] = at;
        l.dims[at] = size[m];
    }
    return l;
}

#define TRANSPOSE_TILE 32

typedef struct transpose_task {
    int rank; /* of the walk over the outer output dims */
    int64_t dims[LO_MAX_RANK], x_strides[LO_MAX_RANK], y_strides[LO_MAX_RANK];
    /* Contiguous rows (x_step 1): the row length. A 2-D tile walk otherwise: output dim q (the
     * input's innermost, rows of the tile) and the output's last dim (columns, read at
     * x_step), each with its output stride. */
    int64_t columns, x_step;
    int64_t q_len, q_stride; /* 2-D only */
    int64_t q_tiles;         /* tiles of TRANSPOSE_TILE along q per outer position; 1 for rows */
    const float *x;
    float *y;
    int units;
} transpose_task;

static void transpose_tile(const transpose_task *t, const float *x, float *y, int64_t a0,
                           int64_t a1)
{
    for (int64_t b0 = 0; b0 < t->columns; b0 += TRANSPOSE_TILE) {
        const int64_t b1 = b0 + TRANSPOSE_TILE < t->columns ? b0 + TRANSPOSE_TILE : t->columns;
        for (int64_t a = a0; a < a1; a++) {
            const float *xa = x + a;
            float *ya = y + a * t->q_stride;
            for (int64_t b = b0; b < b1; b++)
                ya[b] = xa[b * t->x_step];
        }
    }
}

static void transpose_unit(void *task, int unit)
{
    const transpose_task *t = task;
    const int64_t items = t->q_tiles; /* per outer position */
    int64_t outer = 1;
    for (int d = 0; d < t->rank; d++)
        outer *= t->dims[d];
    const int64_t total = outer * items;
    const int64_t begin = lo_cpu_unit_begin(total, t->units, unit);
    const int64_t end = lo_cpu_unit_begin(total, t->units, unit + 1);
    if (begin >= end) return;
    lo_cpu_walk w;
    lo_cpu_walk_start(&w, t->rank, t->dims, t->x_strides, t->y_strides, begin / items);
    for (int64_t item = begin; item < end;) {
        const float *x = t->x + w.offset[0];
        float *y = t->y + w.offset[1];
        if (t->x_step == 1) {
            memcpy(y, x, (size_t)t->columns * sizeof *y);
            item++;
        } else {
            const int64_t a0 = item % items * TRANSPOSE_TILE;
            const int64_t a1 = a0 + TRANSPOSE_TILE < t->q_len ? a0 + TRANSPOSE_TILE : t->q_len;
            transpose_tile(t, x, y, a0, a1);
            item++;
            if (item % items) continue; /* more tiles of this outer position */
        }
        lo_cpu_walk_next(&w);
    }
}

void lo_cpu_transpose(lo_cpu_threads *threads, const lo_step *step, const float *x, float *y)
{
    const transpose_layout l =
        transpose_layout_of(&step->inputs[0].shape, step->params.transpose.perm);
    const int64_t numel = lo_shape_numel(&step->output.shape);
    if (numel < 1) return;
    if (l.rank <= 1) { /* the order is unchanged */
        if (x != y) memcpy(y, x, (size_t)numel * sizeof *y);
        return;
    }
    const int r = l.rank, last = r - 1;
    int64_t x_strides[LO_MAX_RANK], y_strides[LO_MAX_RANK]; /* per output dim */
    int64_t in_strides[LO_MAX_RANK], stride = 1;
    for (int d = last; d >= 0; d--) {
        in_strides[d] = stride;
        stride *= l.dims[d];
    }
    stride = 1;
    for (int d = last; d >= 0; d--) {
        x_strides[d] = in_strides[l.perm[d]];
        y_strides[d] = stride;
        stride *= l.dims[l.perm[d]];
    }
    transpose_task t = {
        .columns = l.dims[l.perm[last]], .x_step = x_strides[last], .q_tiles = 1, .x = x, .y = y};
    int q = -1; /* the output dim that is the input's innermost, unless that is the last */
    for (int d = 0; d < last; d++)
        if (l.perm[d] == last) q = d;
    for (int d = 0; d < last; d++) {
        if (d == q) continue;
        t.dims[t.rank] = l.dims[l.perm[d]];
        t.x_strides[t.rank] = x_strides[d];
        t.y_strides[t.rank] = y_strides[d];
        t.rank++;
    }
    if (q >= 0) {
        t.q_len = l.dims[last];
        t.q_stride = y_strides[q];
        t.q_tiles = (t.q_len + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE;
    }
    const int64_t items = numel / (t.columns * (q >= 0 ? t.q_len : 1)) * t.q_tiles;
    t.units = lo_cpu_units(threads, items, numel * 8 / items);
    lo_cpu_for(threads, transpose_unit, &t, t.units);
}
