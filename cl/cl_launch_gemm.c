/* Gemm and MatMul steps on OpenCL: kernel choice (Gemm tiled or reduce on a tiled context, see
 * cl_launch_tiled.c; blocked when B is a constant and the device prefers float vectors; else
 * direct), B's re-layout, arguments and sizes.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

#include "alloc.h"

/* Rows of A per work-item of gemm_blocked (its MR) from this many rows on; below, 1. */
#define LO_CL_GEMM_MR 8
/* Column vectors per work-item of gemm_blocked with MR rows (its NR); 1 with one row. */
#define LO_CL_GEMM_NR 2

/* C broadcasts, as validated. */
void lo_cl_gemm_c_strides(const lo_shape *c, int64_t *sm, int64_t *sn)
{
    const int64_t rows = c->rank == 2 ? c->dims[0] : 1;
    const int64_t cols = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    *sm = rows == 1 ? 0 : cols;
    *sn = cols == 1 ? 0 : 1;
}

/* gemm_blocked's NR for this many rows of A: two column vectors per item with MR rows. */
static int gemm_nr(int64_t M)
{
    return M >= LO_CL_GEMM_MR ? LO_CL_GEMM_NR : 1;
}

/* K and N of the product, and N in blocks of the vector width, rounded up to gemm_blocked's
 * NR (the packed B is zero there). */
static void gemm_sizes(const lo_backend_context *ctx, const lo_step *step, int64_t *K, int64_t *N,
                       int64_t *NB)
{
    const lo_shape *as = &step->inputs[0].shape;
    *K = step->params.gemm.trans_a ? as->dims[0] : as->dims[1];
    *N = step->output.shape.dims[1];
    const int vec = lo_cl_vector_width(ctx), nr = gemm_nr(step->output.shape.dims[0]);
    *NB = (*N + vec - 1) / vec;
    *NB = (*NB + nr - 1) / nr * nr;
}

bool lo_cl_gemm_blocked(const lo_backend_context *ctx, const lo_step *step)
{
    int64_t K, N, NB;
    gemm_sizes(ctx, step, &K, &N, &NB);
    return lo_cl_blocked_allowed(ctx) && !ctx->tiled && !ctx->reduce_forced &&
           step->inputs[1].buffer == LO_BUFFER_CONSTANT && K > 0 && N > 0 &&
           lo_cl_fits_int(K * NB * lo_cl_vector_width(ctx));
}

lo_status lo_cl_prepare_gemm(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    const int64_t M = step->output.shape.dims[0];
    int64_t K, N, NB;
    gemm_sizes(ctx, step, &K, &N, &NB);
    const int vec = lo_cl_vector_width(ctx);
    const int mr = M >= LO_CL_GEMM_MR ? LO_CL_GEMM_MR : 1;
    float *packed = NULL;
    lo_cl_tensor a, b = {NULL, 0}, c = {NULL, 0}, y;
    int64_t c_sm = 0, c_sn = 0;
    char options[64];
    const bool blocked = lo_cl_gemm_blocked(ctx, step);
    /* The blocked kernel reads B only through its own re-laid-out copy. */
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "A", &a, err);
    if (status == LO_OK && !blocked)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[1], "B", &b, err);
    if (status == LO_OK && p->has_c)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[2], "C", &c, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;
    if (p->has_c) lo_cl_gemm_c_strides(&step->inputs[2].shape, &c_sm, &c_sn);

    const int nr = gemm_nr(M);
    snprintf(options, sizeof options, "-DVEC=%d -DMR=%d -DNR=%d", vec, blocked ? mr : LO_CL_GEMM_MR,
             blocked ? nr : 1);
    /* gemm_tiled and gemm_reduce take gemm_direct's arguments; where the device cannot run
     * them, gemm_direct does. */
    const bool gpu_kernel = !blocked && (ctx->tiled || ctx->reduce_forced) &&
                            lo_cl_prepare_tiled(ctx, step, LO_CL_TILED_GEMM, M, N, 1, K, launch);
    if (!gpu_kernel)
        status = lo_cl_make_kernel(ctx, step, "gemm", options,
                                   blocked ? "gemm_blocked" : "gemm_direct", &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    lo_cl_arg_mem(&args, a.mem);
    lo_cl_arg_int(&args, a.offset);
    const size_t count = (size_t)(K * NB * vec);
    lo_cl_constant_key key = {{0, 0}, ""};
    if (blocked) {
        key.ids[0] = buffers->plan->constants[step->inputs[1].constant].id;
        snprintf(key.layout, sizeof key.layout, "gemm B v%d k%lld n%lld b%lld t%d", vec,
                 (long long)K, (long long)N, (long long)NB, p->trans_b ? 1 : 0);
    }
    if (blocked && lo_cl_constant_acquire(ctx, &key, &launch->extra)) {
        lo_cl_arg_mem(&args, launch->extra); /* another plan's upload of the packed B */
        lo_cl_arg_int(&args, 0);
    } else if (blocked) {
        /* op(B) as [K][NB * vec], zero past N. */
        packed = lo_calloc(count, sizeof *packed);
        if (!packed) {
            status = lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                                     "out of memory re-laying out %zu weights", count);
            goto done;
        }
        const float *src = lo_cl_constant_host(buffers, &step->inputs[1]);
        for (int64_t k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++)
                packed[k * NB * vec + n] = p->trans_b ? src[n * K + k] : src[k * N + n];
        status = lo_cl_create_constant_buffer(ctx, step, &key, packed, count, &launch->extra, err);
        if (status != LO_OK) goto done;
        lo_cl_arg_mem(&args, launch->extra);
        lo_cl_arg_int(&args, 0);
    } else {
        lo_cl_arg_mem(&args, b.mem);
        lo_cl_arg_int(&args, b.offset);
    }
    lo_cl_arg_mem(&args, p->has_c ? c.mem : y.mem);
    lo_cl_arg_int(&args, c.offset);
    lo_cl_arg_int(&args, p->has_c ? 1 : 0);
    lo_cl_arg_int(&args, c_sm);
    lo_cl_arg_int(&args, c_sn);
    lo_cl_arg_mem(&args, y.mem);
    lo_cl_arg_int(&args, y.offset);
    lo_cl_arg_int(&args, M);
    lo_cl_arg_int(&args, N);
    lo_cl_arg_int(&args, K);
    if (blocked) {
        lo_cl_arg_int(&args, NB);
        lo_cl_arg_int(&args, p->trans_a ? 1 : 0);
    } else {
        lo_cl_arg_int(&args, p->trans_a ? 1 : 0);
        lo_cl_arg_int(&args, p->trans_b ? 1 : 0);
    }
    lo_cl_arg_float(&args, p->alpha);
    lo_cl_arg_float(&args, p->beta);
    lo_cl_arg_activation(&args, p->activation, &p->activation_args);
    if (blocked) {
        launch->variant = mr == 1 ? "gemm_blocked[MR=1]" : "gemm_blocked";
        const size_t items[3] = {(size_t)(NB / nr), (size_t)((M + mr - 1) / mr), 1};
        status = lo_cl_set_sizes_preferred(ctx, step, launch, 2, items, err);
    } else if (!gpu_kernel) {
        launch->variant = "gemm_direct";
        const size_t items[3] = {(size_t)(M * N), 1, 1};
        status = lo_cl_set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    }
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
done:
    lo_free(packed);
    return status;
}

lo_status lo_cl_prepare_matmul(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_matmul_params *p = &step->params.matmul;
    const int64_t n = lo_shape_numel(&step->output.shape);
    lo_status status = lo_cl_make_kernel(ctx, step, "matmul", "", "matmul", &launch->kernel, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if ((status = lo_cl_bind_tensors(step, buffers, 2, &args, err)) != LO_OK) return status;
    lo_cl_arg_int(&args, p->m * p->n > 0 ? n / (p->m * p->n) : 0);
    lo_cl_arg_int(&args, p->m);
    lo_cl_arg_int(&args, p->n);
    lo_cl_arg_int(&args, p->k);
    lo_cl_arg_axes8(&args, p->batch_rank, p->batch_dims, 1);
    lo_cl_arg_axes8(&args, p->batch_rank, p->a_strides, 0);
    lo_cl_arg_axes8(&args, p->batch_rank, p->b_strides, 0);
    return lo_cl_finish_flat(ctx, step, launch, &args, "matmul", n, err);
}
