/* Gemm, Gemm chains and MatMul on the host CPU: rows of A by 16-lane blocks of B's columns
 * (cpu_block.h), with B packed once at prepare when it is a constant (at each run when it
 * lies in the arena). The epilogue scales, adds C through broadcast strides and applies the
 * activation on whole rows of a block.
 */
#include <string.h>

#include "alloc.h"
#include "cpu_activation.h"
#include "cpu_block.h"
#include "cpu_clones.h"
#include "cpu_kernel_types.h"

/* Vectors per block: wide ones for few rows (B's loads dominate), else two. */
static int vectors_for(int64_t rows, int64_t columns)
{
    if (columns <= LO_CPU_LANES) return 1;
    if (columns <= 2 * LO_CPU_LANES || rows > 3) return 2;
    return 4;
}

static size_t packed_floats(const lo_cpu_dense *d)
{
    return (size_t)(d->packed_batches * d->column_blocks * d->k * d->lanes);
}

/* B's matrix (row-major [k,n], or [n,k] when trans_b) into [column_blocks][k][lanes]. */
static void pack_matrix(const lo_cpu_dense *d, const float *b, float *packed)
{
    for (int64_t block = 0; block < d->column_blocks; block++) {
        float *to = packed + block * d->k * d->lanes;
        for (int64_t t = 0; t < d->k; t++)
            for (int64_t j = 0; j < d->lanes; j++) {
                const int64_t col = block * d->lanes + j;
                to[t * d->lanes + j] = col >= d->n  ? 0.0f
                                       : d->trans_b ? b[col * d->k + t]
                                                    : b[t * d->n + col];
            }
    }
}

/* The element offset of MatMul's batch matrix `index` for an operand's strides. */
static int64_t batch_offset(const lo_matmul_params *p, const int64_t *strides, int64_t index)
{
    int64_t offset = 0;
    for (int d = p->batch_rank - 1; d >= 0; d--) {
        offset += (index % p->batch_dims[d]) * strides[d];
        index /= p->batch_dims[d];
    }
    return offset;
}

static int64_t matmul_batches(const lo_matmul_params *p)
{
    int64_t count = 1;
    for (int d = 0; d < p->batch_rank; d++)
        count *= p->batch_dims[d];
    return count;
}

static bool strides_zero(const lo_matmul_params *p, const int64_t *strides)
{
    for (int d = 0; d < p->batch_rank; d++)
        if (strides[d] != 0 && p->batch_dims[d] > 1) return false;
    return true;
}

/* B's matrices: one, or one per batch matrix of a MatMul whose B varies along the batch. */
static void pack_all(const lo_cpu_kernel *kernel, const lo_cpu_dense *d, const float *b,
                     float *packed)
{
    const size_t one = (size_t)(d->column_blocks * d->k * d->lanes);
    for (int64_t i = 0; i < d->packed_batches; i++) {
        const int64_t offset =
            kernel->step.kind == LO_STEP_MATMUL
                ? batch_offset(&kernel->step.params.matmul, kernel->step.params.matmul.b_strides, i)
                : 0;
        pack_matrix(d, b + offset, packed + (size_t)i * one);
    }
}

static lo_status prepare_layer(lo_cpu_dense *d, const lo_gemm_params *g, int64_t m, int64_t n,
                               int64_t k, const lo_tensor_ref *c_ref, lo_error *err)
{
    d->m = m;
    d->n = n;
    d->k = k;
    d->trans_a = g->trans_a;
    d->trans_b = g->trans_b;
    d->alpha = g->alpha;
    d->beta = g->beta;
    d->has_c = g->has_c;
    d->activation = g->activation;
    d->activation_args = g->activation_args;
    if (d->has_c) {
        const lo_shape *cs = &c_ref->shape;
        const int64_t cm = cs->rank == 2 ? cs->dims[0] : 1;
        const int64_t cn = cs->rank >= 1 ? cs->dims[cs->rank - 1] : 1;
        d->c_col_stride = cn == 1 ? 0 : 1;
        d->c_row_stride = cm == 1 ? 0 : cn;
    }
    d->nv = vectors_for(m, n);
    d->lanes = (int64_t)d->nv * LO_CPU_LANES;
    d->column_blocks = lo_cpu_ceil_div(n, d->lanes);
    if (d->packed_batches == 0) d->packed_batches = 1;
    if ((d->trans_a ? k * m : k) > INT32_MAX)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "A (%lld x %lld) passes the CPU kernels' 32-bit "
                       "offsets",
                       (long long)m, (long long)k);
    d->tap_offset = lo_malloc((size_t)(k > 0 ? k : 1) * sizeof(int32_t));
    if (!d->tap_offset) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory for a Gemm's taps");
    for (int64_t t = 0; t < k; t++)
        d->tap_offset[t] = (int32_t)(d->trans_a ? t * m : t);
    const int rows = lo_cpu_block_rows(d->nv);
    d->row_chunk = lo_cpu_chunk(m, rows, k * d->lanes);
    d->units = lo_cpu_ceil_div(m, d->row_chunk) * d->column_blocks;
    return LO_OK;
}

/* Packs a constant B now, or raises *deferred to the scratch a run packs it into. */
static lo_status pack_or_defer(lo_cpu_kernel *kernel, lo_cpu_dense *d, const void *b,
                               size_t *deferred, lo_error *err)
{
    const size_t bytes = packed_floats(d) * sizeof(float);
    if (!b) {
        if (bytes > *deferred) *deferred = bytes;
        return LO_OK;
    }
    d->packed = lo_malloc(bytes ? bytes : 1);
    if (!d->packed)
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory packing B (%zu bytes)", bytes);
    pack_all(kernel, d, b, d->packed);
    kernel->bytes += bytes + (size_t)d->k * sizeof(int32_t);
    return LO_OK;
}

lo_status lo_cpu_dense_prepare(lo_cpu_kernel *kernel, const void *const *constants,
                               size_t *scratch_bytes, lo_error *err)
{
    const lo_step *step = &kernel->step;
    size_t scratch = 0;
    lo_status status = LO_OK;
    if (step->kind == LO_STEP_GEMM) {
        const lo_gemm_params *g = &step->params.gemm;
        const lo_shape *a = &step->inputs[0].shape, *y = &step->output.shape;
        const int64_t k = g->trans_a ? a->dims[0] : a->dims[1];
        kernel->layers = 1;
        status =
            prepare_layer(&kernel->dense[0], g, y->dims[0], y->dims[1], k, &step->inputs[2], err);
        if (status == LO_OK)
            status = pack_or_defer(kernel, &kernel->dense[0], constants[1], &scratch, err);
    } else if (step->kind == LO_STEP_MATMUL) {
        const lo_matmul_params *p = &step->params.matmul;
        const lo_gemm_params g = {.alpha = 1.0f, .beta = 0.0f};
        lo_cpu_dense *d = &kernel->dense[0];
        kernel->layers = 1;
        d->packed_batches = strides_zero(p, p->b_strides) ? 1 : matmul_batches(p);
        status = prepare_layer(d, &g, p->m, p->n, p->k, NULL, err);
        if (status == LO_OK) status = pack_or_defer(kernel, d, constants[1], &scratch, err);
    } else { /* LO_STEP_GEMM_CHAIN: each layer's rows but the last's, then the packing */
        const lo_gemm_chain_params *p = &step->params.gemm_chain;
        const int64_t m = step->inputs[0].shape.dims[0];
        size_t rows_end = 0;
        kernel->layers = p->layers;
        for (int l = 0; l < p->layers && status == LO_OK; l++) {
            int64_t k = 0, n = 0;
            lo_gemm_chain_layer_dims(step, l, &k, &n);
            status = prepare_layer(&kernel->dense[l], &p->layer[l], m, n, k,
                                   &step->inputs[p->c_input[l]], err);
            if (status == LO_OK)
                status = pack_or_defer(kernel, &kernel->dense[l], constants[p->b_input[l]],
                                       &scratch, err);
            if (l + 1 < p->layers) {
                kernel->chain_offset[l] = rows_end;
                rows_end += ((size_t)(m * n) * sizeof(float) + 63) / 64 * 64;
            }
        }
        kernel->packing_offset = rows_end;
        scratch += rows_end;
    }
    *scratch_bytes = scratch;
    return status;
}

void lo_cpu_dense_free(lo_cpu_dense *d)
{
    lo_free(d->tap_offset);
    lo_free(d->packed);
}

typedef struct dense_task {
    const lo_cpu_dense *d;
    const float *a, *packed, *c;
    float *y;
    /* MatMul: the batch matrices' strides; units run over batch x rows x columns */
    const lo_matmul_params *matmul;
    int64_t batches;
} dense_task;

LO_CPU_KERNEL static void dense_unit(void *arg, int unit)
{
    const dense_task *task = arg;
    const lo_cpu_dense *d = task->d;
    int64_t rest = unit;
    const int64_t block = rest % d->column_blocks;
    rest /= d->column_blocks;
    const int64_t row_chunks = lo_cpu_ceil_div(d->m, d->row_chunk);
    const int64_t chunk = rest % row_chunks, batch = rest / row_chunks;

    const float *a = task->a;
    const float *packed = task->packed;
    float *y = task->y + batch * d->m * d->n;
    if (task->matmul) {
        a += batch_offset(task->matmul, task->matmul->a_strides, batch);
        if (d->packed_batches > 1) packed += batch * d->column_blocks * d->k * d->lanes;
    }
    packed += block * d->k * d->lanes;
    const int64_t first_col = block * d->lanes;
    const int64_t cols = d->n - first_col < d->lanes ? d->n - first_col : d->lanes;
    float tile[LO_CPU_MAX_ROWS * LO_CPU_MAX_NV * LO_CPU_LANES];
    const int max_rows = lo_cpu_block_rows(d->nv);
    const int64_t end = (chunk + 1) * d->row_chunk < d->m ? (chunk + 1) * d->row_chunk : d->m;
    for (int64_t row = chunk * d->row_chunk; row < end; row += max_rows) {
        const int rows = end - row < max_rows ? (int)(end - row) : max_rows;
        /* A transposed A's rows are adjacent: evenly spaced, no pointer each. */
        const float *row_at[LO_CPU_MAX_ROWS];
        for (int i = 0; i < rows && !d->trans_a; i++)
            row_at[i] = a + (row + i) * d->k;
        const lo_cpu_rows at = {.row_at = row_at, .base = a + row};
        lo_cpu_block_any(d->nv, rows, d->trans_a ? 1 : 0, at, d->tap_offset, d->k, packed, NULL,
                         tile);
        for (int i = 0; i < rows; i++) {
            float *values = tile + i * d->lanes;
            if (d->alpha != 1.0f)
                for (int64_t j = 0; j < cols; j++)
                    values[j] *= d->alpha;
            if (d->has_c) {
                const float *c = task->c + (row + i) * d->c_row_stride;
                for (int64_t j = 0; j < cols; j++)
                    values[j] += d->beta * c[(first_col + j) * d->c_col_stride];
            }
            lo_cpu_activate(values, cols, d->activation, &d->activation_args);
            memcpy(y + (row + i) * d->n + first_col, values, (size_t)cols * sizeof(float));
        }
    }
}

/* One product: B packed into the scratch first when it lies in the arena. */
static void run_dense(const lo_cpu_kernel *kernel, const lo_cpu_dense *d, lo_cpu_threads *threads,
                      const float *a, const float *b, const float *c, float *y,
                      unsigned char *scratch)
{
    dense_task task = {.d = d, .a = a, .packed = d->packed, .c = c, .y = y, .batches = 1};
    if (!d->packed) {
        pack_all(kernel, d, b, (float *)scratch);
        task.packed = (const float *)scratch;
    }
    if (kernel->step.kind == LO_STEP_MATMUL) {
        task.matmul = &kernel->step.params.matmul;
        task.batches = matmul_batches(task.matmul);
    }
    const int64_t units = d->units * task.batches;
    lo_cpu_threads_run(threads, dense_unit, &task, (int)units);
}

void lo_cpu_dense_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                      const void *const *inputs, float *output, void *scratch)
{
    const lo_step *step = &kernel->step;
    unsigned char *free_scratch = scratch;
    if (step->kind != LO_STEP_GEMM_CHAIN) {
        const lo_cpu_dense *d = &kernel->dense[0];
        run_dense(kernel, d, threads, inputs[0], inputs[1],
                  step->kind == LO_STEP_GEMM && d->has_c ? inputs[2] : NULL, output, free_scratch);
        return;
    }
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    const float *a = inputs[0];
    for (int l = 0; l < p->layers; l++) {
        const lo_cpu_dense *d = &kernel->dense[l];
        float *y = l + 1 < p->layers ? (float *)(free_scratch + kernel->chain_offset[l]) : output;
        run_dense(kernel, d, threads, a, inputs[p->b_input[l]],
                  d->has_c ? inputs[p->c_input[l]] : NULL, y,
                  free_scratch + kernel->packing_offset);
        a = y;
    }
}
