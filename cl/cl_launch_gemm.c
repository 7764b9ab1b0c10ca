/* Gemm and MatMul steps on OpenCL: checks, kernel choice (Gemm blocked when B is a
 * constant and the device prefers float vectors, else direct), arguments and sizes.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

#include "alloc.h"

/* Rows of A per work-item of gemm_blocked (its MR) from this many rows on; below, 1. */
#define LO_CL_GEMM_MR 8

/* Strides of C over [M, N] (0 along a broadcast axis), or false when C cannot broadcast. */
static bool gemm_c_strides(const lo_shape *c, int64_t M, int64_t N, int64_t *sm, int64_t *sn)
{
    *sm = 0;
    *sn = 0;
    if (c->rank == 0) return true;
    if (c->rank == 1) {
        if (c->dims[0] != 1 && c->dims[0] != N) return false;
        *sn = c->dims[0] == 1 ? 0 : 1;
        return true;
    }
    if (c->rank == 2) {
        if ((c->dims[0] != 1 && c->dims[0] != M) || (c->dims[1] != 1 && c->dims[1] != N))
            return false;
        *sm = c->dims[0] == 1 ? 0 : c->dims[1];
        *sn = c->dims[1] == 1 ? 0 : 1;
        return true;
    }
    return false;
}

lo_status lo_cl_check_gemm(const lo_step *step, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    char as[128], bs[128], ys[128];
    lo_status status = LO_OK;
    if (step->num_inputs != (p->has_c ? 3 : 2))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs with has_c %d",
                               step->num_inputs, (int)p->has_c);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = lo_cl_check_dtype(step, &step->inputs[i],
                                   i == 0   ? "A"
                                   : i == 1 ? "B"
                                            : "C",
                                   false, err);
    if (status == LO_OK) status = lo_cl_check_dtype(step, &step->output, "Y", false, err);
    if (status == LO_OK) status = lo_cl_check_activation(step, p->activation, err);
    if (status != LO_OK) return status;
    const lo_shape *a = &step->inputs[0].shape, *b = &step->inputs[1].shape,
                   *y = &step->output.shape;
    if (a->rank != 2 || b->rank != 2 || y->rank != 2)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "A %s, B %s and Y %s must be matrices",
                               lo_cl_shape_text(a, as, sizeof as),
                               lo_cl_shape_text(b, bs, sizeof bs),
                               lo_cl_shape_text(y, ys, sizeof ys));
    const int64_t M = p->trans_a ? a->dims[1] : a->dims[0];
    const int64_t K = p->trans_a ? a->dims[0] : a->dims[1];
    const int64_t KB = p->trans_b ? b->dims[1] : b->dims[0];
    const int64_t N = p->trans_b ? b->dims[0] : b->dims[1];
    if (K != KB || y->dims[0] != M || y->dims[1] != N)
        return lo_cl_step_fail(
            err, step, LO_ERR_ARGUMENT, "A %s (trans_a %d) and B %s (trans_b %d) do not make Y %s",
            lo_cl_shape_text(a, as, sizeof as), (int)p->trans_a, lo_cl_shape_text(b, bs, sizeof bs),
            (int)p->trans_b, lo_cl_shape_text(y, ys, sizeof ys));
    int64_t sm, sn;
    if (p->has_c && !gemm_c_strides(&step->inputs[2].shape, M, N, &sm, &sn))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "C %s does not broadcast to [%lld,%lld]",
                               lo_cl_shape_text(&step->inputs[2].shape, as, sizeof as),
                               (long long)M, (long long)N);
    return LO_OK;
}

lo_status lo_cl_check_matmul(const lo_step *step, lo_error *err)
{
    const lo_matmul_params *p = &step->params.matmul;
    if (step->num_inputs != 2)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs, expected 2",
                               step->num_inputs);
    lo_status status = lo_cl_check_all_float(step, err);
    if (status != LO_OK) return status;
    int64_t batch = 1;
    bool ok =
        p->batch_rank >= 0 && p->batch_rank <= LO_MAX_RANK && p->m >= 0 && p->n >= 0 && p->k >= 0;
    for (int d = 0; ok && d < p->batch_rank; d++) {
        ok = p->batch_dims[d] >= 0;
        batch *= p->batch_dims[d];
    }
    const lo_shape *as = &step->inputs[0].shape, *bs = &step->inputs[1].shape;
    ok = ok && batch * p->m * p->n == lo_shape_numel(&step->output.shape) &&
         lo_cl_strides_fit(as, p->batch_rank, p->batch_dims, p->a_strides) &&
         lo_cl_strides_fit(bs, p->batch_rank, p->batch_dims, p->b_strides);
    /* Each operand's last matrix must end inside it. */
    if (ok && batch > 0 && p->m > 0 && p->n > 0 && p->k > 0) {
        int64_t ra = p->m * p->k, rb = p->k * p->n;
        for (int d = 0; d < p->batch_rank; d++) {
            ra += (p->batch_dims[d] - 1) * p->a_strides[d];
            rb += (p->batch_dims[d] - 1) * p->b_strides[d];
        }
        ok = ra <= lo_shape_numel(as) && rb <= lo_shape_numel(bs) && lo_cl_fits_int(ra) &&
             lo_cl_fits_int(rb);
    }
    if (!ok)
        return lo_cl_step_fail(
            err, step, LO_ERR_ARGUMENT,
            "batch of %lld [%lld,%lld]x[%lld,%lld] products does not fit its tensors",
            (long long)batch, (long long)p->m, (long long)p->k, (long long)p->k, (long long)p->n);
    return LO_OK;
}

lo_status lo_cl_prepare_gemm(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_gemm_params *p = &step->params.gemm;
    const lo_shape *as = &step->inputs[0].shape;
    const int64_t M = step->output.shape.dims[0], N = step->output.shape.dims[1];
    const int64_t K = p->trans_a ? as->dims[0] : as->dims[1];
    const int vec = lo_cl_vector_width(ctx);
    const int64_t NB = (N + vec - 1) / vec;
    const int mr = M >= LO_CL_GEMM_MR ? LO_CL_GEMM_MR : 1;
    float *packed = NULL;
    lo_cl_tensor a, b, c = {NULL, 0}, y;
    int64_t c_sm = 0, c_sn = 0;
    char options[64];
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "A", &a, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->inputs[1], "B", &b, err);
    if (status == LO_OK && p->has_c)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[2], "C", &c, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;
    if (p->has_c) gemm_c_strides(&step->inputs[2].shape, M, N, &c_sm, &c_sn);

    const bool blocked = lo_cl_blocked_allowed(ctx) &&
                         step->inputs[1].buffer == LO_BUFFER_WEIGHTS && buffers->weights_host &&
                         K > 0 && N > 0 && lo_cl_fits_int(K * NB * vec);
    snprintf(options, sizeof options, "-DVEC=%d -DMR=%d", vec, blocked ? mr : LO_CL_GEMM_MR);
    status = lo_cl_make_kernel(ctx, step, "gemm", options, blocked ? "gemm_blocked" : "gemm_direct",
                               &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    const int act = p->activation == LO_ACT_RELU ? 1 : 0;
    lo_cl_arg_mem(&args, a.mem);
    lo_cl_arg_int(&args, a.offset);
    if (blocked) {
        /* op(B) as [K][NB * vec], zero past N. */
        const size_t count = (size_t)(K * NB * vec);
        packed = lo_calloc(count, sizeof *packed);
        if (!packed) {
            status = lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                                     "out of memory re-laying out %zu weights", count);
            goto done;
        }
        const unsigned char *host = buffers->weights_host;
        const float *src = (const float *)(const void *)(host + step->inputs[1].offset);
        for (int64_t k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++)
                packed[k * NB * vec + n] = p->trans_b ? src[n * K + k] : src[k * N + n];
        status = lo_cl_create_constant_buffer(ctx, step, packed, count, &launch->extra, err);
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
    lo_cl_arg_int(&args, act);
    if (blocked) {
        launch->variant = mr == 1 ? "gemm_blocked[MR=1]" : "gemm_blocked";
        const size_t items[3] = {(size_t)NB, (size_t)((M + mr - 1) / mr), 1};
        size_t multiple = 8;
        clGetKernelWorkGroupInfo(launch->kernel, ctx->device,
                                 CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof multiple,
                                 &multiple, NULL);
        status = lo_cl_set_sizes(ctx, step, launch, 2, items, multiple, err);
    } else {
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
