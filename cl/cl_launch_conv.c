/* Conv steps on OpenCL: kernel choice (tiled or reduce on a tiled context, see
 * cl_launch_tiled.c; blocked when the weights are constants and the device prefers float
 * vectors; else direct; the _pool variants when the step has a MaxPool epilogue), weight
 * re-layout, arguments and sizes.
 */
#include "cl_launch_internal.h"

#include <stdio.h>

#include "alloc.h"

/* Output pixels per work-item of conv2d_blocked (its PIX): at most 8 vector accumulators
 * (the _pool variant holds as many running maxima beside them, 17 vectors with the weights:
 * within AVX-512's 32 registers). Each PIX is a program build per window size, so only a few
 * are offered. */
static const int conv_pix_choices[] = {8, 7, 5};

/* The PIX that wastes the fewest lanes on a plane of `pixels` (the last block of a plane is
 * partial), the first listed on ties: LeNet's pooled 5x5 of conv2 takes 5 (one partial block
 * of 8 out of 4 cost it 20%), its 14x14 of conv1 takes 7 (whole rows, so SPAN applies). */
static int conv_pix_for(int64_t pixels)
{
    int best = conv_pix_choices[0];
    int64_t best_padded = (pixels + best - 1) / best * best;
    for (size_t i = 1; i < sizeof conv_pix_choices / sizeof conv_pix_choices[0]; i++) {
        const int pix = conv_pix_choices[i];
        const int64_t padded = (pixels + pix - 1) / pix * pix;
        if (padded < best_padded) {
            best = pix;
            best_padded = padded;
        }
    }
    return best;
}

/* Pooled pixels per work-item of the POOL_KW kernel, as conv_pix_for chooses, at most 16
 * conv pixels (pooled times the pool width). */
static int pooled_pix_for(int64_t pixels, int pool_kw)
{
    static const int choices[] = {7, 5, 4};
    int best = 0;
    int64_t best_padded = 0;
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        const int64_t padded = (pixels + choices[i] - 1) / choices[i] * choices[i];
        if (choices[i] * pool_kw <= 16 && (best == 0 || padded < best_padded)) {
            best = choices[i];
            best_padded = padded;
        }
    }
    return best;
}

/* The sizes of the blocked layout: Mg output channels per group in blocks of `vec`. */
typedef struct conv_blocking {
    int vec;
    int64_t blocks;   /* MgB: blocks per group */
    int64_t packed_w; /* floats of the packed weights: [g][block][c][kh][kw][vec] */
    int64_t packed_b; /* then the bias: [g][block][vec] */
} conv_blocking;

static conv_blocking conv_blocking_of(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const int64_t G = p->group, Cg = step->inputs[0].shape.dims[1] / G;
    const int64_t Mg = step->output.shape.dims[1] / G;
    conv_blocking b;
    /* One width per device: 8-lane blocks for convs of at most 8 channels ran LeNet-5's conv1
     * (6 channels) no faster on PoCL (1.40 against 1.45 ms at batch 256) and doubled the
     * programs to compile. */
    b.vec = lo_cl_vector_width(ctx);
    b.blocks = (Mg + b.vec - 1) / b.vec;
    b.packed_w = G * b.blocks * Cg * p->kernel[0] * p->kernel[1] * b.vec;
    b.packed_b = G * b.blocks * b.vec;
    return b;
}

bool lo_cl_conv_blocked(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const int64_t Cg = step->inputs[0].shape.dims[1] / p->group;
    const int64_t Mg = step->output.shape.dims[1] / p->group;
    const bool constant_weights = step->inputs[1].buffer == LO_BUFFER_CONSTANT &&
                                  (!p->has_bias || step->inputs[2].buffer == LO_BUFFER_CONSTANT);
    if (!lo_cl_blocked_allowed(ctx) || ctx->tiled || ctx->reduce_forced || !constant_weights ||
        Mg < 4 || Cg <= 0)
        return false;
    const conv_blocking b = conv_blocking_of(ctx, step);
    return lo_cl_fits_int(b.packed_w + b.packed_b) &&
           lo_cl_fits_int(lo_shape_numel(&step->inputs[0].shape));
}

/* The _pool kernels' trailing arguments: the pooled size and the pool's window. */
static void add_pool_args(lo_cl_args *args, const lo_conv_params *p, int64_t PH, int64_t PW)
{
    const lo_pool_params *q = &p->pool;
    lo_cl_arg_int(args, PH);
    lo_cl_arg_int(args, PW);
    lo_cl_arg_int(args, q->kernel[0]);
    lo_cl_arg_int(args, q->kernel[1]);
    lo_cl_arg_int(args, q->stride[0]);
    lo_cl_arg_int(args, q->stride[1]);
    lo_cl_arg_int(args, q->dilation[0]);
    lo_cl_arg_int(args, q->dilation[1]);
    lo_cl_arg_int(args, q->pad_begin[0]);
    lo_cl_arg_int(args, q->pad_begin[1]);
}

lo_status lo_cl_prepare_conv(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape, *ys = &step->output.shape;
    const lo_shape full = lo_conv_full_shape(step); /* before the pool epilogue, if any */
    const int64_t N = xs->dims[0], C = xs->dims[1], H = xs->dims[2], W = xs->dims[3];
    const int64_t M = ys->dims[1], OH = full.dims[2], OW = full.dims[3];
    const int64_t PH = ys->dims[2], PW = ys->dims[3]; /* = OH, OW without a pool */
    const bool pooled = p->has_pool;
    const int64_t G = p->group, Cg = C / G, Mg = M / G, KH = p->kernel[0], KW = p->kernel[1];
    const conv_blocking blocking = conv_blocking_of(ctx, step);
    const int vec = blocking.vec;
    const int64_t MgB = blocking.blocks, packed_w = blocking.packed_w, packed_b = blocking.packed_b;
    float *packed = NULL;
    lo_cl_tensor x, w = {NULL, 0}, b = {NULL, 0}, y;
    char options[96];
    const bool blocked = lo_cl_conv_blocked(ctx, step);
    /* The blocked kernel reads W and B only through its own re-laid-out copy. */
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK && !blocked)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[1], "W", &w, err);
    if (status == LO_OK && p->has_bias && !blocked)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[2], "B", &b, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) goto done;

    /* Common square windows are unrolled at build time (a measured 15-25% on PoCL); one
     * program per such size, the rest share the runtime-window program. */
    /* Pools whose windows tile each row (kernel width = stride, 2 or 3, no dilation) take the
     * POOL_KW kernel: pooled pixels per work-item times the pool width are its PIX conv
     * pixels, consecutive in a conv row (at most 16 accumulators). */
    const lo_pool_params *q = &p->pool;
    const int pool_kw = pooled && blocked && q->dilation[1] == 1 && q->stride[1] == q->kernel[1] &&
                                (q->kernel[1] == 2 || q->kernel[1] == 3)
                            ? (int)q->kernel[1]
                            : 0;
    const int per_item = !blocked  ? 1
                         : pool_kw ? pooled_pix_for(PH * PW, pool_kw)
                                   : conv_pix_for(PH * PW); /* output pixels per work-item */
    const int pix = pool_kw ? per_item * pool_kw : per_item;
    /* Input columns between consecutive conv pixels of a block in one row: the conv's stride,
     * times the pool's for the general pooled kernel; spans past 2 take the general loop (one
     * program each otherwise). */
    const int64_t span = p->stride[1] * (pooled && !pool_kw ? q->stride[1] : 1);
    const bool fixed =
        blocked && KH == KW && p->dilation[1] == 1 && (KW == 1 || KW == 3 || KW == 5 || KW == 7);
    int used = snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d", vec, pix);
    if (fixed)
        used += snprintf(options + used, sizeof options - (size_t)used, " -DFIXED_K=%d", (int)KW);
    if (fixed && span <= 2)
        used += snprintf(options + used, sizeof options - (size_t)used, " -DSPAN=%d", (int)span);
    if (pool_kw) snprintf(options + used, sizeof options - (size_t)used, " -DPOOL_KW=%d", pool_kw);
    const char *name = blocked ? (pooled ? "conv2d_blocked_pool" : "conv2d_blocked")
                               : (pooled ? "conv2d_direct_pool" : "conv2d_direct");
    /* The GPU's kernels (tiled, or one work-group per output on small grids) take the direct
     * kernels' arguments; where the device cannot run them, the direct kernel does. */
    const bool gpu_kernel =
        !blocked && (ctx->tiled || ctx->reduce_forced) &&
        lo_cl_prepare_tiled(ctx, step, pooled ? LO_CL_TILED_CONV_POOL : LO_CL_TILED_CONV, Mg,
                            N * PH * PW, G, Cg * KH * KW, launch);
    if (!gpu_kernel)
        status = lo_cl_make_kernel(ctx, step, "conv", options, name, &launch->kernel, err);
    if (status != LO_OK) goto done;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    /* The packed bytes depend on the weights, the bias and these sizes only. */
    lo_cl_constant_key key = {{0, 0}, ""};
    if (blocked) {
        key.ids[0] = buffers->plan->constants[step->inputs[1].constant].id;
        key.ids[1] = p->has_bias ? buffers->plan->constants[step->inputs[2].constant].id : 0;
        snprintf(key.layout, sizeof key.layout, "conv v%d g%lld m%lld c%lld k%lldx%lld b%d", vec,
                 (long long)G, (long long)M, (long long)Cg, (long long)KH, (long long)KW,
                 p->has_bias ? 1 : 0);
        /* A blocked Conv's weights without an id are never shared (key.ids[0] 0). */
        if (p->has_bias && key.ids[1] == 0) key.ids[0] = 0;
    }
    if (blocked && lo_cl_constant_acquire(ctx, &key, &launch->extra)) {
        /* Another plan of this context uploaded these packed weights already. */
    } else if (blocked) {
        /* [g][block][c][kh][kw][vec] then the bias as [g][block][vec], zero past Mg. */
        packed = lo_calloc((size_t)(packed_w + packed_b), sizeof *packed);
        if (!packed) {
            status = lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                                     "out of memory re-laying out %lld weights",
                                     (long long)(packed_w + packed_b));
            goto done;
        }
        const float *wsrc = lo_cl_constant_host(buffers, &step->inputs[1]);
        const float *bsrc = p->has_bias ? lo_cl_constant_host(buffers, &step->inputs[2]) : NULL;
        const int64_t KK = KH * KW;
        for (int64_t m = 0; m < M; m++) {
            const int64_t g = m / Mg, mg = m % Mg, gb = g * MgB + mg / vec, j = mg % vec;
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t k = 0; k < KK; k++)
                    packed[((gb * Cg + c) * KK + k) * vec + j] = wsrc[(m * Cg + c) * KK + k];
            if (bsrc) packed[packed_w + gb * vec + j] = bsrc[m];
        }
        status = lo_cl_create_constant_buffer(ctx, step, &key, packed,
                                              (size_t)(packed_w + packed_b), &launch->extra, err);
        if (status != LO_OK) goto done;
    }
    if (blocked) {
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
        lo_cl_arg_activation(&args, p->activation, &p->activation_args);
        if (pooled) add_pool_args(&args, p, PH, PW);
        launch->variant =
            pooled ? (fixed ? "conv2d_blocked_pool[fixed window]" : "conv2d_blocked_pool")
                   : (fixed ? "conv2d_blocked[fixed window]" : "conv2d_blocked");
        const size_t items[3] = {(size_t)((PH * PW + per_item - 1) / per_item), (size_t)(G * MgB),
                                 (size_t)N};
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
        lo_cl_arg_activation(&args, p->activation, &p->activation_args);
        if (pooled) add_pool_args(&args, p, PH, PW);
        if (!gpu_kernel) {
            launch->variant = name;
            const size_t items[3] = {(size_t)lo_shape_numel(ys), 1, 1};
            status = lo_cl_set_sizes(ctx, step, launch, 1, items, LO_CL_FLAT_LOCAL, err);
        }
    }
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
done:
    lo_free(packed);
    return status;
}
