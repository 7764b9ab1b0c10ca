/* Conv steps on OpenCL: checks, kernel choice (blocked when the weights are constants and
 * the device prefers float vectors, else direct), weight re-layout, arguments and sizes.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

#include "alloc.h"

/* Output pixels per work-item of conv2d_blocked (its PIX): 8 vector accumulators. */
#define LO_CL_CONV_PIX 8

lo_status lo_cl_check_conv(const lo_step *step, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_tensor_ref *x = &step->inputs[0], *w = &step->inputs[1], *y = &step->output;
    char xs[128], ws[128], ys[128];
    lo_status status = LO_OK;
    if (step->num_inputs != (p->has_bias ? 3 : 2))
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "%d inputs with has_bias %d",
                               step->num_inputs, (int)p->has_bias);
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++)
        status = lo_cl_check_dtype(step, &step->inputs[i],
                                   i == 0   ? "X"
                                   : i == 1 ? "W"
                                            : "B",
                                   false, err);
    if (status == LO_OK) status = lo_cl_check_dtype(step, y, "Y", false, err);
    if (status == LO_OK) status = lo_cl_check_activation(step, p->activation, err);
    if (status == LO_OK)
        status = lo_cl_check_window(step, p->kernel, p->stride, p->dilation, p->pad_begin,
                                    p->pad_end, err);
    if (status != LO_OK) return status;
    if (x->shape.rank != 4 || w->shape.rank != 4 || y->shape.rank != 4)
        return lo_cl_step_fail(
            err, step, LO_ERR_UNSUPPORTED, "only 2-D convolution: X %s, W %s, Y %s",
            lo_cl_shape_text(&x->shape, xs, sizeof xs), lo_cl_shape_text(&w->shape, ws, sizeof ws),
            lo_cl_shape_text(&y->shape, ys, sizeof ys));
    const int64_t N = x->shape.dims[0], C = x->shape.dims[1], M = w->shape.dims[0];
    if (p->group < 1 || C % p->group != 0 || M % p->group != 0 ||
        w->shape.dims[1] != C / p->group || w->shape.dims[2] != p->kernel[0] ||
        w->shape.dims[3] != p->kernel[1] || y->shape.dims[0] != N || y->shape.dims[1] != M)
        return lo_cl_step_fail(
            err, step, LO_ERR_ARGUMENT,
            "inconsistent shapes: X %s, W %s, Y %s, group %lld, kernel %lldx%lld",
            lo_cl_shape_text(&x->shape, xs, sizeof xs), lo_cl_shape_text(&w->shape, ws, sizeof ws),
            lo_cl_shape_text(&y->shape, ys, sizeof ys), (long long)p->group,
            (long long)p->kernel[0], (long long)p->kernel[1]);
    if (p->has_bias && lo_shape_numel(&step->inputs[2].shape) != M)
        return lo_cl_step_fail(err, step, LO_ERR_ARGUMENT, "bias %s does not hold M = %lld values",
                               lo_cl_shape_text(&step->inputs[2].shape, ws, sizeof ws),
                               (long long)M);
    if (!lo_cl_window_fits_int(y->shape.dims + 2, x->shape.dims + 2, p->kernel, p->stride,
                               p->dilation))
        return lo_cl_step_fail(err, step, LO_ERR_UNSUPPORTED,
                               "sizes too large for 32-bit indexing");
    return LO_OK;
}

lo_status lo_cl_prepare_conv(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const int64_t N = xs->dims[0], C = xs->dims[1], H = xs->dims[2], W = xs->dims[3];
    const int64_t M = ys->dims[1], OH = ys->dims[2], OW = ys->dims[3];
    const int64_t G = p->group, Cg = C / G, Mg = M / G, KH = p->kernel[0], KW = p->kernel[1];
    const int vec = lo_cl_vector_width(ctx);
    const int64_t MgB = (Mg + vec - 1) / vec;
    const int64_t packed_w = G * MgB * Cg * KH * KW * vec, packed_b = G * MgB * vec;
    float *packed = NULL;
    lo_cl_tensor x, w, b = {NULL, 0}, y;
    char options[64];
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->inputs[1], "W", &w, err);
    if (status == LO_OK && p->has_bias)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[2], "B", &b, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;

    const bool constant_weights = step->inputs[1].buffer == LO_BUFFER_WEIGHTS &&
                                  buffers->weights_host &&
                                  (!p->has_bias || step->inputs[2].buffer == LO_BUFFER_WEIGHTS);
    const bool blocked = lo_cl_blocked_allowed(ctx) && constant_weights && Mg >= 4 && Cg > 0 &&
                         lo_cl_fits_int(packed_w + packed_b) && lo_cl_fits_int(N * C * H * W);
    /* Common square windows are unrolled at build time (a measured 15-25% on PoCL); one
     * program per such size, the rest share the runtime-window program. */
    const bool fixed =
        blocked && KH == KW && p->dilation[1] == 1 && (KW == 1 || KW == 3 || KW == 5 || KW == 7);
    if (fixed)
        snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d -DFIXED_K=%d", vec, LO_CL_CONV_PIX,
                 (int)KW);
    else
        snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d", vec, LO_CL_CONV_PIX);
    status = lo_cl_make_kernel(ctx, step, "conv", options,
                               blocked ? "conv2d_blocked" : "conv2d_direct", &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    const int act = p->activation == LO_ACT_RELU ? 1 : 0;
    if (blocked) {
        /* [g][block][c][kh][kw][vec] then the bias as [g][block][vec], zero past Mg. */
        packed = lo_calloc((size_t)(packed_w + packed_b), sizeof *packed);
        if (!packed) {
            status = lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                                     "out of memory re-laying out %lld weights",
                                     (long long)(packed_w + packed_b));
            goto done;
        }
        const unsigned char *host = buffers->weights_host;
        const float *wsrc = (const float *)(const void *)(host + step->inputs[1].offset);
        const float *bsrc =
            p->has_bias ? (const float *)(const void *)(host + step->inputs[2].offset) : NULL;
        const int64_t KK = KH * KW;
        for (int64_t m = 0; m < M; m++) {
            const int64_t g = m / Mg, mg = m % Mg, gb = g * MgB + mg / vec, j = mg % vec;
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t k = 0; k < KK; k++)
                    packed[((gb * Cg + c) * KK + k) * vec + j] = wsrc[(m * Cg + c) * KK + k];
            if (bsrc) packed[packed_w + gb * vec + j] = bsrc[m];
        }
        status = lo_cl_create_constant_buffer(ctx, step, packed, (size_t)(packed_w + packed_b),
                                              &launch->extra, err);
        if (status != LO_OK) goto done;
        lo_cl_arg_mem(&args, x.mem);
        lo_cl_arg_int(&args, x.offset);
        lo_cl_arg_mem(&args, launch->extra);
        lo_cl_arg_int(&args, 0);
        lo_cl_arg_int(&args, packed_w);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, C);
        lo_cl_arg_int(&args, Cg);
        lo_cl_arg_int(&args, H);
        lo_cl_arg_int(&args, W);
        lo_cl_arg_int(&args, M);
        lo_cl_arg_int(&args, Mg);
        lo_cl_arg_int(&args, MgB);
        lo_cl_arg_int(&args, OH);
        lo_cl_arg_int(&args, OW);
        lo_cl_arg_int(&args, KH);
        lo_cl_arg_int(&args, KW);
        lo_cl_arg_int(&args, p->stride[0]);
        lo_cl_arg_int(&args, p->stride[1]);
        lo_cl_arg_int(&args, p->dilation[0]);
        lo_cl_arg_int(&args, p->dilation[1]);
        lo_cl_arg_int(&args, p->pad_begin[0]);
        lo_cl_arg_int(&args, p->pad_begin[1]);
        lo_cl_arg_int(&args, act);
        launch->variant = fixed ? "conv2d_blocked[fixed window]" : "conv2d_blocked";
        const size_t items[3] = {(size_t)((OH * OW + LO_CL_CONV_PIX - 1) / LO_CL_CONV_PIX),
                                 (size_t)(G * MgB), (size_t)N};
        /* A small group (the SIMD width a kernel prefers) spreads even batch 1 over cores. */
        size_t multiple = 8;
        clGetKernelWorkGroupInfo(launch->kernel, ctx->device,
                                 CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof multiple,
                                 &multiple, NULL);
        status = lo_cl_set_sizes(ctx, step, launch, 3, items, multiple, err);
    } else {
        lo_cl_arg_mem(&args, x.mem);
        lo_cl_arg_int(&args, x.offset);
        lo_cl_arg_mem(&args, w.mem);
        lo_cl_arg_int(&args, w.offset);
        lo_cl_arg_mem(&args, p->has_bias ? b.mem : w.mem);
        lo_cl_arg_int(&args, b.offset);
        lo_cl_arg_int(&args, p->has_bias ? 1 : 0);
        lo_cl_arg_mem(&args, y.mem);
        lo_cl_arg_int(&args, y.offset);
        lo_cl_arg_int(&args, N);
        lo_cl_arg_int(&args, C);
        lo_cl_arg_int(&args, H);
        lo_cl_arg_int(&args, W);
        lo_cl_arg_int(&args, M);
        lo_cl_arg_int(&args, OH);
        lo_cl_arg_int(&args, OW);
        lo_cl_arg_int(&args, G);
        lo_cl_arg_int(&args, KH);
        lo_cl_arg_int(&args, KW);
        lo_cl_arg_int(&args, p->stride[0]);
        lo_cl_arg_int(&args, p->stride[1]);
        lo_cl_arg_int(&args, p->dilation[0]);
        lo_cl_arg_int(&args, p->dilation[1]);
        lo_cl_arg_int(&args, p->pad_begin[0]);
        lo_cl_arg_int(&args, p->pad_begin[1]);
        lo_cl_arg_int(&args, act);
        launch->variant = "conv2d_direct";
        const size_t items[3] = {(size_t)lo_shape_numel(ys), 1, 1};
        status = lo_cl_set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
    }
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
done:
    lo_free(packed);
    return status;
}
