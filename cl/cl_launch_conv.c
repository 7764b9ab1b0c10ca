/* Conv steps on OpenCL: kernel choice, weight re-layout, arguments and sizes. The forms, in
 * the order they are chosen:
 * - tiled or reduce on a tiled (GPU) context, see cl_launch_tiled.c;
 * - on a device that prefers float vectors, with constant weights (conv_blockable):
 *   - a window covering the whole unpadded input, one output pixel per image (LeNet-5's
 *     conv3, 16 -> 120 channels 5x5 on 5x5): the blocked Gemm on X as [N, C*H*W] and W as
 *     [M, C*KH*KW] transposed; conv2d_blocked's pixel blocks could not span images there and
 *     ran at 9% of the FMA peak;
 *   - one input channel per group, stride and dilation 1 (LeNet-5's conv1, 1 -> 6 channels):
 *     conv_rows.cl, pixels in the lanes and 8 channels per work-item; blocks of VEC channels
 *     wasted 10 of 16 lanes on 6 channels, and 9 to 25 taps per block left the per-item costs
 *     dominant (8% of peak);
 *   - else conv2d_blocked, VEC channels in the lanes (conv.cl), dilated windows included;
 * - else direct;
 * the _pool variants when the step has a MaxPool epilogue.
 */
#include "cl_launch_internal.h"

#include <stdio.h>
#include <string.h>

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

/* Output channels per work-item of conv2d_rows (conv_rows.cl's MB): its weights are packed as
 * the blocked kernel's with this many lanes. */
#define LO_CL_CONV_ROWS_MB 8

/* Whether the blocked kernels may run this step at all: a CPU-like device (float vectors, not
 * a tiled GPU context) and constant weights, re-laid out at prepare time. */
static bool conv_blockable(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const int64_t Cg = step->inputs[0].shape.dims[1] / p->group;
    const int64_t Mg = step->output.shape.dims[1] / p->group;
    const bool constant_weights = step->inputs[1].buffer == LO_BUFFER_CONSTANT &&
                                  (!p->has_bias || step->inputs[2].buffer == LO_BUFFER_CONSTANT);
    return lo_cl_blocked_allowed(ctx) && !ctx->tiled && !ctx->reduce_forced && constant_weights &&
           Mg >= 4 && Cg > 0;
}

/* conv2d_rows' case: one input channel per group (few taps per output channel), stride and
 * dilation 1, rows at least half a vector wide; a pool epilogue only as 2x2 windows with
 * stride 2 inside the conv output. */
static bool conv_rows_fits(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_pool_params *q = &p->pool;
    const lo_shape full = lo_conv_full_shape(step);
    const int64_t OH = full.dims[2], OW = full.dims[3];
    const int64_t PH = step->output.shape.dims[2], PW = step->output.shape.dims[3];
    const int vec = lo_cl_vector_width(ctx);
    const bool pool_ok =
        !p->has_pool ||
        (q->kernel[0] == 2 && q->kernel[1] == 2 && q->stride[0] == 2 && q->stride[1] == 2 &&
         q->dilation[0] == 1 && q->dilation[1] == 1 && q->pad_begin[0] == 0 &&
         q->pad_begin[1] == 0 && 2 * PH <= OH && 2 * PW <= OW);
    return step->inputs[0].shape.dims[1] == p->group && p->stride[0] == 1 && p->stride[1] == 1 &&
           p->dilation[0] == 1 && p->dilation[1] == 1 && 2 * (p->has_pool ? 2 * PW : OW) >= vec &&
           pool_ok;
}

/* The Gemm a whole-window conv is: one output pixel per image from a window covering the
 * whole unpadded input, so X [N,C,H,W] is the matrix [N, C*H*W] and W [M, C*KH*KW] is op(B)
 * with trans_b. Its output [N,M,1,1] is the Gemm's [N,M]. */
static lo_step conv_gemm_step(const lo_step *step)
{
    const lo_conv_params p = step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape;
    const int64_t N = xs->dims[0], K = xs->dims[1] * xs->dims[2] * xs->dims[3];
    const int64_t M = step->output.shape.dims[1];
    lo_step g = *step;
    g.kind = LO_STEP_GEMM;
    memset(&g.params, 0, sizeof g.params);
    g.params.gemm.alpha = g.params.gemm.beta = 1.0f;
    g.params.gemm.trans_b = true;
    g.params.gemm.has_c = p.has_bias;
    g.params.gemm.activation = p.activation;
    g.params.gemm.activation_args = p.activation_args;
    g.inputs[0].shape = (lo_shape){2, {N, K}};
    g.inputs[1].shape = (lo_shape){2, {M, K}};
    g.output.shape = (lo_shape){2, {N, M}};
    return g;
}

static bool conv_gemm_fits(const lo_backend_context *ctx, const lo_step *step)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *xs = &step->inputs[0].shape;
    if (p->group != 1 || p->has_pool || p->kernel[0] != xs->dims[2] ||
        p->kernel[1] != xs->dims[3] || p->dilation[0] != 1 || p->dilation[1] != 1)
        return false;
    for (int a = 0; a < 2; a++)
        if (p->pad_begin[a] != 0 || p->pad_end[a] != 0) return false;
    const lo_step g = conv_gemm_step(step);
    return lo_cl_gemm_blocked(ctx, &g);
}

typedef enum conv_form { CONV_DIRECT, CONV_BLOCKED, CONV_ROWS, CONV_GEMM } conv_form;

/* The sizes of the blocked layout: Mg output channels per group in blocks of `vec`. */
typedef struct conv_blocking {
    int vec;
    int64_t blocks;   /* MgB: blocks per group */
    int64_t packed_w; /* floats of the packed weights: [g][block][c][kh][kw][vec] */
    int64_t packed_b; /* then the bias: [g][block][vec] */
} conv_blocking;

static conv_blocking conv_blocking_of(const lo_backend_context *ctx, const lo_step *step,
                                      conv_form form)
{
    const lo_conv_params *p = &step->params.conv;
    const int64_t G = p->group, Cg = step->inputs[0].shape.dims[1] / G;
    const int64_t Mg = step->output.shape.dims[1] / G;
    conv_blocking b;
    /* One width per device: 8-lane blocks for convs of at most 8 channels ran LeNet-5's conv1
     * (6 channels) no faster on PoCL (1.40 against 1.45 ms at batch 256) and doubled the
     * programs to compile. */
    b.vec = form == CONV_ROWS ? LO_CL_CONV_ROWS_MB : lo_cl_vector_width(ctx);
    b.blocks = (Mg + b.vec - 1) / b.vec;
    b.packed_w = G * b.blocks * Cg * p->kernel[0] * p->kernel[1] * b.vec;
    b.packed_b = G * b.blocks * b.vec;
    return b;
}

static conv_form conv_form_of(const lo_backend_context *ctx, const lo_step *step)
{
    if (!conv_blockable(ctx, step)) return CONV_DIRECT;
    if (conv_gemm_fits(ctx, step)) return CONV_GEMM;
    const conv_form form = conv_rows_fits(ctx, step) ? CONV_ROWS : CONV_BLOCKED;
    const conv_blocking b = conv_blocking_of(ctx, step, form);
    return lo_cl_fits_int(b.packed_w + b.packed_b) &&
                   lo_cl_fits_int(lo_shape_numel(&step->inputs[0].shape))
               ? form
               : CONV_DIRECT;
}

bool lo_cl_conv_reads_plain(const lo_backend_context *ctx, const lo_step *step, int input)
{
    const conv_form form = conv_form_of(ctx, step);
    /* The blocked forms read W and B re-laid out; the Gemm form only W (as its packed B). */
    return input == 0 || form == CONV_DIRECT || (form == CONV_GEMM && input == 2);
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

/* Packs W (and B) as [g][block][c][kh][kw][vec] then [g][block][vec], zero past Mg, into
 * the context's shared copy for this layout (another plan's upload when there is one). */
static lo_status upload_blocked_weights(lo_backend_context *ctx, const lo_step *step,
                                        const lo_cl_buffers *buffers, const conv_blocking *bl,
                                        cl_mem *out, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const int64_t G = p->group, M = step->output.shape.dims[1], Mg = M / G;
    const int64_t Cg = step->inputs[0].shape.dims[1] / G, KH = p->kernel[0], KW = p->kernel[1];
    const int vec = bl->vec;
    /* The packed bytes depend on the weights, the bias and these sizes only. */
    lo_cl_constant_key key = {{0, 0}, ""};
    key.ids[0] = buffers->plan->constants[step->inputs[1].constant].id;
    key.ids[1] = p->has_bias ? buffers->plan->constants[step->inputs[2].constant].id : 0;
    snprintf(key.layout, sizeof key.layout, "conv v%d g%lld m%lld c%lld k%lldx%lld b%d", vec,
             (long long)G, (long long)M, (long long)Cg, (long long)KH, (long long)KW,
             p->has_bias ? 1 : 0);
    /* A blocked Conv's weights without an id are never shared (key.ids[0] 0). */
    if (p->has_bias && key.ids[1] == 0) key.ids[0] = 0;
    if (lo_cl_constant_acquire(ctx, &key, out)) return LO_OK;
    float *packed = lo_calloc((size_t)(bl->packed_w + bl->packed_b), sizeof *packed);
    if (!packed)
        return lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                               "out of memory re-laying out %lld weights",
                               (long long)(bl->packed_w + bl->packed_b));
    const float *wsrc = lo_cl_constant_host(buffers, &step->inputs[1]);
    const float *bsrc = p->has_bias ? lo_cl_constant_host(buffers, &step->inputs[2]) : NULL;
    const int64_t KK = KH * KW, MgB = bl->blocks;
    for (int64_t m = 0; m < M; m++) {
        const int64_t g = m / Mg, mg = m % Mg, gb = g * MgB + mg / vec, j = mg % vec;
        for (int64_t c = 0; c < Cg; c++)
            for (int64_t k = 0; k < KK; k++)
                packed[((gb * Cg + c) * KK + k) * vec + j] = wsrc[(m * Cg + c) * KK + k];
        if (bsrc) packed[bl->packed_w + gb * vec + j] = bsrc[m];
    }
    const lo_status status = lo_cl_create_constant_buffer(
        ctx, step, &key, packed, (size_t)(bl->packed_w + bl->packed_b), out, err);
    lo_free(packed);
    return status;
}

/* The blocked kernels' leading arguments, shared by conv2d_blocked(_pool) and conv2d_rows. */
static void add_blocked_args(lo_cl_args *args, const lo_cl_tensor *x, cl_mem packed,
                             const conv_blocking *bl, const lo_cl_tensor *y)
{
    lo_cl_arg_mem(args, x->mem);
    lo_cl_arg_int(args, x->offset);
    lo_cl_arg_mem(args, packed);
    lo_cl_arg_int(args, 0);
    lo_cl_arg_int(args, bl->packed_w);
    lo_cl_arg_mem(args, y->mem);
    lo_cl_arg_int(args, y->offset);
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
    const conv_form form = conv_form_of(ctx, step);
    if (form == CONV_GEMM) {
        const lo_step gemm = conv_gemm_step(step);
        const lo_status status = lo_cl_prepare_gemm(ctx, &gemm, buffers, launch, err);
        if (status == LO_OK) launch->variant = "conv as gemm_blocked";
        return status;
    }
    const bool blocked = form == CONV_BLOCKED || form == CONV_ROWS;
    const conv_blocking blocking = conv_blocking_of(ctx, step, form);
    const int vec = lo_cl_vector_width(ctx);
    const int64_t MgB = blocking.blocks;
    lo_cl_tensor x, w = {NULL, 0}, b = {NULL, 0}, y;
    char options[96];
    /* The blocked kernels read W and B only through their own re-laid-out copy. */
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "X", &x, err);
    if (status == LO_OK && !blocked)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[1], "W", &w, err);
    if (status == LO_OK && p->has_bias && !blocked)
        status = lo_cl_place_tensor(step, buffers, &step->inputs[2], "B", &b, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;

    /* Common square windows are unrolled at build time (a measured 15-25% on PoCL); one
     * program per such size, the rest share the runtime-window program. conv2d_blocked keeps
     * the unrolled loops for a dilation of 2 with stride 1 (-DDIL=2: the BN CNN's dilated conv
     * ran 5x slower in the runtime-window loop, with or without its pool epilogue), only
     * there: each is a program of its own to compile. */
    const bool fixed =
        blocked && KH == KW && (KW == 1 || KW == 3 || KW == 5 || KW == 7) &&
        (p->dilation[1] == 1 || (p->dilation[1] == 2 && KW > 1 && p->stride[1] == 1));
    if (form == CONV_ROWS) {
        if (fixed)
            snprintf(options, sizeof options, "-DVEC=%d -DFIXED_K=%d", vec, (int)KW);
        else
            snprintf(options, sizeof options, "-DVEC=%d", vec);
        status =
            lo_cl_make_kernel(ctx, step, "conv_rows", options, "conv2d_rows", &launch->kernel, err);
        if (status == LO_OK)
            status = upload_blocked_weights(ctx, step, buffers, &blocking, &launch->extra, err);
        if (status != LO_OK) return status;
        lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
        add_blocked_args(&args, &x, launch->extra, &blocking, &y);
        const int64_t ints[] = {
            N, C, Cg, H, W, M, Mg, MgB, G, OH, OW, KH, KW, p->pad_begin[0], p->pad_begin[1]};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            lo_cl_arg_int(&args, ints[i]);
        lo_cl_arg_activation(&args, p->activation, &p->activation_args);
        lo_cl_arg_int(&args, pooled);
        lo_cl_arg_int(&args, PH);
        lo_cl_arg_int(&args, PW);
        /* Channel blocks x rows x row segments of VEC conv pixels (VEC / 2 pooled ones). */
        const int64_t out_w = pooled ? PW : OW, lanes = pooled ? vec / 2 : vec;
        const size_t items[3] = {
            (size_t)(G * MgB * (pooled ? PH : (OH + 1) / 2) * ((out_w + lanes - 1) / lanes)), 1,
            (size_t)N};
        launch->variant = pooled ? "conv2d_rows[pool]" : "conv2d_rows";
        status = lo_cl_set_sizes_preferred(ctx, step, launch, 3, items, err);
        if (status == LO_OK && args.rc != CL_SUCCESS)
            status =
                lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
        return status;
    }

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
    int used = snprintf(options, sizeof options, "-DVEC=%d -DPIX=%d", vec, pix);
    if (fixed)
        used += snprintf(options + used, sizeof options - (size_t)used, " -DFIXED_K=%d", (int)KW);
    if (fixed && p->dilation[1] != 1)
        used += snprintf(options + used, sizeof options - (size_t)used, " -DDIL=%d",
                         (int)p->dilation[1]);
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
    if (status == LO_OK && blocked)
        status = upload_blocked_weights(ctx, step, buffers, &blocking, &launch->extra, err);
    if (status != LO_OK) return status;
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    if (blocked) {
        add_blocked_args(&args, &x, launch->extra, &blocking, &y);
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
        status = lo_cl_set_sizes_preferred(ctx, step, launch, 3, items, err);
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
    return status;
}
