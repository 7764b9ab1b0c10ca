/* Gemm chains on OpenCL (gemm_chain.cl): every layer's B and beta * C packed into one constant
 * buffer behind a header the kernel reads, one work-group per CHAIN_MR rows. */
#include "cl_launch_internal.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define CHAIN_HEADER 8  /* ints per layer: as gemm_chain.cl reads them */
#define CHAIN_DATA   32 /* floats before the first layer's data (64-byte aligned) */
#define CHAIN_MR     8  /* rows per work-group, at most: B is read once for them all */

/* Rows per work-group for M rows: the power of two up to CHAIN_MR that holds them all, else
 * CHAIN_MR (four programs in all). */
static int chain_rows(const lo_step *step)
{
    const int64_t M = step->output.shape.dims[0];
    int rows = 1;
    while (rows < CHAIN_MR && rows < M)
        rows *= 2;
    return rows;
}

/* A row's floats in local memory: the widest rounded up to 16 (whole 64-byte lines). */
static int64_t chain_row_floats(int64_t widest)
{
    return (widest + 15) / 16 * 16;
}

/* The widest row the kernel holds in local memory: A's K, or a layer's N. */
static int64_t chain_max_width(const lo_step *step)
{
    int64_t widest = step->inputs[0].shape.dims[1];
    for (int l = 0; l < step->params.gemm_chain.layers; l++) {
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        if (n > widest) widest = n;
    }
    return widest;
}

/* Floats of the packed buffer: the header, then per layer [K][NB * vec] and [NB * vec]. */
static int64_t chain_packed_floats(const lo_step *step, int vec)
{
    int64_t total = CHAIN_DATA;
    for (int l = 0; l < step->params.gemm_chain.layers; l++) {
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        const int64_t padded = (n + vec - 1) / vec * vec;
        total += (k + 1) * padded;
    }
    return total;
}

lo_status lo_cl_chain_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    /* Measured on an NVIDIA H200 (LeNet, batch 1): the chain, one work-group whose items each
     * run a whole 800-long dot product, took 0.144 ms; the three Gemms apart 0.057 ms. A GPU
     * needs the reduction split across its items first; until then the core keeps them apart. */
    if (ctx->tiled)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "Gemm chains run on CPU devices only (on GPUs, where the tiled kernels "
                       "run, the separate Gemms are faster)");
    for (int l = 0; l < p->layers; l++)
        if (p->layer[l].activation > LO_ACT_TANH)
            return lo_fail(err, LO_ERR_UNSUPPORTED,
                           "a chained Gemm with a fused %s is not supported (gemm_chain.cl "
                           "takes no activation parameters)",
                           lo_activation_name(p->layer[l].activation));
    const int64_t widest = chain_max_width(step), rows = chain_rows(step);
    /* Two sets of rows in local memory, and room to spare for the kernel's own. */
    if ((uint64_t)chain_row_floats(widest) * (uint64_t)rows * 2 * sizeof(float) + 1024 >
        ctx->local_mem_bytes)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "%lld rows of %lld values do not fit twice in %llu bytes of local memory",
                       (long long)rows, (long long)widest,
                       (unsigned long long)ctx->local_mem_bytes);
    if (!lo_cl_fits_int(chain_packed_floats(step, lo_cl_vector_width(ctx))) ||
        !lo_cl_fits_int(lo_shape_numel(&step->inputs[0].shape)) ||
        !lo_cl_fits_int(lo_shape_numel(&step->output.shape)))
        return lo_fail(err, LO_ERR_UNSUPPORTED, "the chain's sizes are past 32-bit indexing");
    return LO_OK;
}

/* The header and every layer's B as [K][NB * vec] and beta * C as [NB * vec], zero past N. */
static void pack_chain(const lo_step *step, const lo_cl_buffers *buffers, int vec, float *packed)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    int64_t at = CHAIN_DATA;
    for (int l = 0; l < p->layers; l++) {
        const lo_gemm_params *g = &p->layer[l];
        int64_t K, N;
        lo_gemm_chain_layer_dims(step, l, &K, &N);
        const int64_t NB = (N + vec - 1) / vec, stride = NB * vec;
        const float *b = lo_cl_constant_host(buffers, &step->inputs[p->b_input[l]]);
        for (int64_t k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++)
                packed[at + k * stride + n] = g->trans_b ? b[n * K + k] : b[k * N + n];
        const int64_t bias_at = at + K * stride;
        if (g->has_c) {
            const lo_tensor_ref *c = &step->inputs[p->c_input[l]];
            const float *cv = lo_cl_constant_host(buffers, c);
            const bool one = lo_shape_numel(&c->shape) == 1;
            for (int64_t n = 0; n < N; n++)
                packed[bias_at + n] = g->beta * cv[one ? 0 : n];
        }
        const int32_t header[CHAIN_HEADER] = {
            (int32_t)at, (int32_t)bias_at,       (int32_t)K, (int32_t)N,
            (int32_t)NB, (int32_t)g->activation, 0,          0};
        memcpy(packed + l * CHAIN_HEADER, header, sizeof header);
        packed[l * CHAIN_HEADER + 6] = g->alpha;
        at = bias_at + stride;
    }
}

lo_status lo_cl_prepare_chain(lo_backend_context *ctx, const lo_step *step,
                              const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err)
{
    const lo_gemm_chain_params *p = &step->params.gemm_chain;
    const int vec = lo_cl_vector_width(ctx);
    const int64_t widest = chain_max_width(step);
    const size_t count = (size_t)chain_packed_floats(step, vec);
    lo_cl_tensor a, y;
    lo_status status = lo_cl_place_tensor(step, buffers, &step->inputs[0], "A", &a, err);
    if (status == LO_OK) status = lo_cl_place_tensor(step, buffers, &step->output, "Y", &y, err);
    if (status != LO_OK) return status;
    const int rows = chain_rows(step);
    char options[64];
    snprintf(options, sizeof options, "-DVEC=%d -DMR=%d", vec, rows);
    status =
        lo_cl_make_kernel(ctx, step, "gemm_chain", options, "gemm_chain", &launch->kernel, err);
    if (status != LO_OK) return status;

    /* Shared by plans reading the same constants the same way; any constant without an id
     * makes the upload private. */
    lo_cl_constant_key key;
    memset(&key, 0, sizeof key);
    bool shareable = true;
    for (int i = 1; i < step->num_inputs && i <= LO_CL_KEY_IDS; i++) {
        key.ids[i - 1] = buffers->plan->constants[step->inputs[i].constant].id;
        shareable = shareable && key.ids[i - 1] != 0;
    }
    /* The layout: the vector width and every layer's sizes and parameters (alpha and beta are
     * folded into the packed values), hashed. */
    uint64_t hash = 1469598103934665603ull;
    for (int l = 0; l < p->layers; l++) {
        const lo_gemm_params *g = &p->layer[l];
        int64_t k, n;
        lo_gemm_chain_layer_dims(step, l, &k, &n);
        uint32_t alpha_bits, beta_bits;
        memcpy(&alpha_bits, &g->alpha, sizeof alpha_bits);
        memcpy(&beta_bits, &g->beta, sizeof beta_bits);
        const uint64_t fields[7] = {(uint64_t)k,   (uint64_t)n, g->trans_b, g->has_c,
                                    g->activation, alpha_bits,  beta_bits};
        for (int f = 0; f < 7; f++)
            hash = (hash ^ fields[f]) * 1099511628211ull;
    }
    snprintf(key.layout, sizeof key.layout, "chain v%d l%d %016llx", vec, p->layers,
             (unsigned long long)hash);
    if (!shareable || step->num_inputs - 1 > LO_CL_KEY_IDS) key.ids[0] = 0;
    /* alpha and beta are folded in: part of the key through their bits. */
    if (!lo_cl_constant_acquire(ctx, &key, &launch->extra)) {
        float *packed = lo_calloc(count, sizeof *packed);
        if (!packed)
            return lo_cl_step_fail(err, step, LO_ERR_NO_MEMORY,
                                   "out of memory re-laying out %zu weights", count);
        pack_chain(step, buffers, vec, packed);
        status = lo_cl_create_constant_buffer(ctx, step, &key, packed, count, &launch->extra, err);
        lo_free(packed);
        if (status != LO_OK) return status;
    }
    lo_cl_args args = {launch->kernel, 0, CL_SUCCESS, 0};
    lo_cl_arg_mem(&args, a.mem);
    lo_cl_arg_int(&args, a.offset);
    lo_cl_arg_int(&args, step->output.shape.dims[0]);
    lo_cl_arg_mem(&args, launch->extra);
    lo_cl_arg_int(&args, p->layers);
    lo_cl_arg_mem(&args, y.mem);
    lo_cl_arg_int(&args, y.offset);
    const int64_t width = chain_row_floats(widest);
    lo_cl_arg_raw(&args, (size_t)(2 * rows * width) * sizeof(float), NULL); /* local memory */
    lo_cl_arg_int(&args, width);
    launch->variant = "gemm_chain";
    /* Enough work-items for the widest layer's column blocks; the kernel strides past them. */
    const size_t blocks = (size_t)((widest + vec - 1) / vec);
    const size_t items[3] = {1, (size_t)((step->output.shape.dims[0] + rows - 1) / rows), 1};
    status = lo_cl_set_sizes(ctx, step, launch, 2, items, blocks < 256 ? blocks : 256, err);
    if (status == LO_OK && args.rc != CL_SUCCESS)
        status = lo_cl_step_fail(err, step, LO_ERR_DEVICE, "clSetKernelArg(%s, %u) failed: %s",
                                 launch->variant, (unsigned)args.failed, lo_cl_error_name(args.rc));
    return status;
}
