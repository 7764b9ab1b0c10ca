/* What each step kind runs on Vulkan: which shader, which buffer ranges it binds (every tensor
 * is bound at its own offset, so shaders index from 0), its push constants and its grid; and,
 * at plan time, what the device cannot run. Constants are placed in one buffer by slot, each in
 * the layout its shader reads (conv weights with output channels contiguous, Gemm's B with N
 * contiguous), plus tables made here (MatMul's batch offsets).
 */
#include "vk_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

static const char *kind_name(lo_step_kind kind)
{
    static const char *const names[] = {[LO_STEP_CONV] = "Conv",
                                        [LO_STEP_MAXPOOL] = "MaxPool",
                                        [LO_STEP_GEMM] = "Gemm",
                                        [LO_STEP_UNARY] = "Unary",
                                        [LO_STEP_COPY] = "Copy",
                                        [LO_STEP_AVGPOOL] = "AveragePool",
                                        [LO_STEP_PAD] = "Pad",
                                        [LO_STEP_CONCAT] = "Concat",
                                        [LO_STEP_TRANSPOSE] = "Transpose",
                                        [LO_STEP_BINARY] = "Binary",
                                        [LO_STEP_SOFTMAX] = "Softmax",
                                        [LO_STEP_BATCHNORM] = "BatchNormalization",
                                        [LO_STEP_MATMUL] = "MatMul",
                                        [LO_STEP_GEMM_CHAIN] = "GemmChain"};
    if ((int)kind < 1 || (size_t)kind >= sizeof names / sizeof names[0]) return "?";
    return names[kind];
}

static lo_status refuse(lo_error *err, const lo_step *step, const char *fmt, ...) LO_PRINTF(3, 4);

static lo_status refuse(lo_error *err, const lo_step *step, const char *fmt, ...)
{
    /* The reason alone: the core prefixes the file, node and op. */
    (void)step;
    char why[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(why, sizeof why, fmt, args);
    va_end(args);
    return lo_fail(err, LO_ERR_UNSUPPORTED, "%s", why);
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint32_t f32_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static int64_t numel(const lo_tensor_ref *ref)
{
    return lo_shape_numel(&ref->shape);
}

/* Storage buffers each kind binds (output included). */
static uint32_t bindings_of(lo_step_kind kind)
{
    switch (kind) {
    case LO_STEP_CONV:
        return lo_vk_shader_get(LO_VK_SHADER_CONV)->bindings;
    case LO_STEP_GEMM:
    case LO_STEP_MATMUL:
        return lo_vk_shader_get(LO_VK_SHADER_GEMM)->bindings;
    case LO_STEP_UNARY:
        return lo_vk_shader_get(LO_VK_SHADER_UNARY)->bindings;
    case LO_STEP_BATCHNORM:
        return lo_vk_shader_get(LO_VK_SHADER_BATCHNORM)->bindings;
    case LO_STEP_BINARY:
        return 3;
    default:
        return 2;
    }
}

/* ---------------------------------------------------------------- supports */

static bool fits_u32(int64_t v)
{
    return v >= 0 && v <= (int64_t)UINT32_MAX;
}

/* Work-groups of LO_VK_GROUP_SIZE invocations covering `count`, folded into x and y (each axis
 * has a device limit; shaders rebuild the flat index). */
static void linear_groups(const lo_backend_context *ctx, uint64_t count, uint64_t groups[3])
{
    const uint64_t total = (count + LO_VK_GROUP_SIZE - 1) / LO_VK_GROUP_SIZE;
    const uint64_t max_x = ctx->properties.limits.maxComputeWorkGroupCount[0];
    groups[0] = total < max_x ? total : max_x;
    groups[1] = groups[0] ? (total + groups[0] - 1) / groups[0] : 0;
    groups[2] = 1;
}

static uint64_t conv_group_outputs(const lo_step *step)
{
    const int64_t group = step->params.conv.group > 0 ? step->params.conv.group : 1;
    return (uint64_t)(step->output.shape.dims[1] / group);
}

/* A Conv+MaxPool of few channels per group takes the short tile. */
static bool conv_pool_short(const lo_step *step)
{
    return conv_group_outputs(step) <= LO_VK_POOL_SHORT_ROWS;
}

/* Conv's grid: tiles of 32 channels x 32 pixels (with a MaxPool epilogue, whose output is the
 * pooled one: 32 x 64 or 16 x 128 pooled pixels) per group, or (pixel blocks of 4, channel
 * blocks of 8, groups) with one invocation per block. */
static void conv_groups(const lo_backend_context *ctx, const lo_step *step, uint64_t groups[3])
{
    const lo_shape *y = &step->output.shape;
    const uint64_t group = (uint64_t)(step->params.conv.group > 0 ? step->params.conv.group : 1);
    const uint64_t mg = conv_group_outputs(step);
    if (ctx->tiled) {
        const bool pool = step->params.conv.has_pool, short_tile = pool && conv_pool_short(step);
        groups[0] = ceil_div((uint64_t)(y->dims[0] * y->dims[2] * y->dims[3]),
                             short_tile ? LO_VK_POOL_SHORT_TILE
                             : pool     ? LO_VK_POOL_TILE
                                        : LO_VK_TILE);
        groups[1] = ceil_div(mg, short_tile ? LO_VK_POOL_SHORT_ROWS : LO_VK_TILE);
        groups[2] = group;
    } else {
        groups[0] =
            ceil_div((uint64_t)(y->dims[0] * y->dims[2]) * ceil_div((uint64_t)y->dims[3], 4),
                     LO_VK_GROUP_SIZE);
        groups[1] = ceil_div(mg, 8);
        groups[2] = group;
    }
}

/* Which shader runs a Conv+MaxPool (the GPU shaders), and its grid: by the number of tiles
 * (vk_internal.h: LO_VK_POOL_DIRECT_BELOW, LO_VK_POOL_SEVERAL_BELOW), the tile by channels per
 * group. */
static lo_vk_shader conv_pool_launch(const lo_backend_context *ctx, const lo_step *step,
                                     uint64_t groups[3])
{
    conv_groups(ctx, step, groups);
    const uint64_t tiles = groups[0] * groups[1] * groups[2];
    lo_vk_pool_form form = ctx->pool_form;
    if (form == LO_VK_POOL_BY_GRID)
        form = tiles < LO_VK_POOL_DIRECT_BELOW    ? LO_VK_POOL_DIRECT
               : tiles < LO_VK_POOL_SEVERAL_BELOW ? LO_VK_POOL_SEVERAL
                                                  : LO_VK_POOL_ONE;
    if (form == LO_VK_POOL_SEVERAL &&
        ctx->properties.limits.maxComputeSharedMemorySize < LO_VK_POOL_SEVERAL_SHARED_BYTES)
        form = LO_VK_POOL_ONE;
    const bool short_tile = conv_pool_short(step);
    switch (form) {
    case LO_VK_POOL_DIRECT:
        linear_groups(ctx, (uint64_t)numel(&step->output), groups);
        return LO_VK_SHADER_CONV_POOL_DIRECT;
    case LO_VK_POOL_SEVERAL:
        return short_tile ? LO_VK_SHADER_CONV_POOL_SHORT_SEVERAL : LO_VK_SHADER_CONV_POOL_SEVERAL;
    default:
        return short_tile ? LO_VK_SHADER_CONV_POOL_SHORT : LO_VK_SHADER_CONV_POOL;
    }
}

/* Gemm's and MatMul's grid: 32 x 32 tiles per matrix, or (rows, blocks of 8 columns,
 * matrices) with one invocation per row and block. */
static void matrix_groups(const lo_backend_context *ctx, uint64_t m, uint64_t n, uint64_t batches,
                          uint64_t groups[3])
{
    if (ctx->tiled) {
        groups[0] = ceil_div(n, LO_VK_TILE);
        groups[1] = ceil_div(m, LO_VK_TILE);
        groups[2] = batches;
    } else {
        groups[0] = ceil_div(m, LO_VK_GROUP_SIZE);
        groups[1] = ceil_div(n, 8);
        groups[2] = batches;
    }
}

static lo_status check_grid(const lo_backend_context *ctx, const lo_step *step,
                            const uint64_t groups[3], lo_error *err)
{
    for (int a = 0; a < 3; a++)
        if (groups[a] > ctx->properties.limits.maxComputeWorkGroupCount[a])
            return refuse(err, step, "needs %llu work-groups along axis %d; the device allows %u",
                          (unsigned long long)groups[a], a,
                          ctx->properties.limits.maxComputeWorkGroupCount[a]);
    if (groups[0] * groups[1] * LO_VK_GROUP_SIZE > UINT32_MAX)
        return refuse(err, step, "needs more invocations than 32-bit indexing reaches");
    return LO_OK;
}

static lo_status check_linear(const lo_backend_context *ctx, const lo_step *step, int64_t count,
                              lo_error *err)
{
    uint64_t groups[3];
    linear_groups(ctx, (uint64_t)count, groups);
    return check_grid(ctx, step, groups, err);
}

static void set_groups(lo_vk_dispatch *d, const uint64_t groups[3])
{
    for (int a = 0; a < 3; a++)
        d->groups[a] = (uint32_t)groups[a];
}

lo_status lo_vk_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    const VkPhysicalDeviceLimits *limits = &ctx->properties.limits;
    const bool small_types = step->kind == LO_STEP_MAXPOOL || step->kind == LO_STEP_COPY;
    const lo_tensor_ref *tensors[LO_STEP_MAX_INPUTS + 1];
    int count = 0;
    tensors[count++] = &step->output;
    for (int i = 0; i < step->num_inputs && i < LO_STEP_MAX_INPUTS; i++)
        tensors[count++] = &step->inputs[i];
    for (int i = 0; i < count; i++) {
        const lo_tensor_ref *t = tensors[i];
        const bool ok_type =
            t->dtype == LO_DTYPE_FLOAT || (small_types && t->dtype == LO_DTYPE_UINT8 &&
                                           step->inputs[0].dtype == step->output.dtype);
        if (!ok_type)
            return refuse(err, step, "%s tensors are not supported here (float%s only)",
                          lo_dtype_name(t->dtype), small_types ? " and uint8" : "");
        const int64_t n = numel(t);
        const size_t bytes = lo_tensor_ref_bytes(t);
        if (n < 0 || (n > 0 && bytes == 0)) return refuse(err, step, "a tensor has no static size");
        if (bytes > limits->maxStorageBufferRange)
            return refuse(err, step,
                          "a tensor of %zu bytes is past the device's storage-buffer range of %u "
                          "bytes",
                          bytes, limits->maxStorageBufferRange);
    }
    const uint32_t bindings = bindings_of(step->kind);
    if (bindings > limits->maxPerStageDescriptorStorageBuffers)
        return refuse(err, step, "needs %u storage buffers per shader; the device allows %u",
                      bindings, limits->maxPerStageDescriptorStorageBuffers);
    if (limits->maxPushConstantsSize < LO_VK_PUSH_BYTES)
        return refuse(err, step, "the device allows %u bytes of push constants; %u are needed",
                      limits->maxPushConstantsSize, LO_VK_PUSH_BYTES);

    const int64_t out_n = numel(&step->output);
    switch (step->kind) {
    case LO_STEP_CONV: {
        const lo_conv_params *p = &step->params.conv;
        for (int a = 0; a < 2; a++)
            if (!fits_u32(p->pad_begin[a]) || p->pad_begin[a] > INT32_MAX ||
                !fits_u32(p->stride[a]) || !fits_u32(p->dilation[a]) || !fits_u32(p->kernel[a]) ||
                (p->has_pool && (!fits_u32(p->pool.pad_begin[a]) ||
                                 p->pool.pad_begin[a] > INT32_MAX || !fits_u32(p->pool.stride[a]) ||
                                 !fits_u32(p->pool.dilation[a]) || !fits_u32(p->pool.kernel[a]))))
                return refuse(err, step, "window parameters past 32 bits");
        /* conv_pool_tiled.glsl packs the pool's window, stride and dilation in 16-bit halves. */
        for (int a = 0; a < 2; a++)
            if (p->has_pool && (p->pool.kernel[a] > 0xffff || p->pool.stride[a] > 0xffff ||
                                p->pool.dilation[a] > 0xffff))
                return refuse(err, step, "a MaxPool epilogue's window past 16 bits per axis");
        /* Measured on lavapipe (LeNet, batch 64): the register-blocked conv and a separate pool
         * took 79 ms, a direct fused shader (one invocation per output) 297 ms; so on CPU
         * devices the core keeps them apart. */
        if (p->has_pool && !ctx->tiled)
            return refuse(err, step,
                          "a MaxPool epilogue runs with the GPU shaders only "
                          "(LENET_ONNX_VK_TILED=1 forces them); on this CPU device a separate "
                          "MaxPool is faster");
        uint64_t groups[3];
        if (p->has_pool)
            conv_pool_launch(ctx, step, groups);
        else
            conv_groups(ctx, step, groups);
        return check_grid(ctx, step, groups, err);
    }
    case LO_STEP_GEMM: {
        const lo_shape *y = &step->output.shape;
        uint64_t groups[3];
        matrix_groups(ctx, (uint64_t)y->dims[0], (uint64_t)y->dims[1], 1, groups);
        return check_grid(ctx, step, groups, err);
    }
    case LO_STEP_MATMUL: {
        const lo_matmul_params *p = &step->params.matmul;
        int64_t batch = 1;
        for (int d = 0; d < p->batch_rank; d++) {
            if (!fits_u32(p->a_strides[d]) || !fits_u32(p->b_strides[d]))
                return refuse(err, step, "batch strides past 32 bits");
            batch *= p->batch_dims[d];
        }
        uint64_t groups[3];
        matrix_groups(ctx, (uint64_t)p->m, (uint64_t)p->n, (uint64_t)batch, groups);
        return check_grid(ctx, step, groups, err);
    }
    case LO_STEP_GEMM_CHAIN:
        /* The core then keeps the Gemms as separate steps (an optional fusion). */
        return refuse(err, step, "Gemm chains have no Vulkan shader yet");
    case LO_STEP_BINARY:
        if (step->params.binary.op < LO_BIN_ADD || step->params.binary.op > LO_BIN_PRELU)
            return refuse(err, step, "binary op %d has no kernel", (int)step->params.binary.op);
        for (int d = 0; d < step->output.shape.rank; d++)
            if (!fits_u32(step->params.binary.a_strides[d]) ||
                !fits_u32(step->params.binary.b_strides[d]))
                return refuse(err, step, "broadcast strides past 32 bits");
        return check_linear(ctx, step, out_n, err);
    case LO_STEP_PAD:
        for (int d = 0; d < step->output.shape.rank; d++)
            if (step->params.pad.pad_begin[d] > INT32_MAX ||
                step->params.pad.pad_begin[d] < INT32_MIN)
                return refuse(err, step, "pads past 32 bits");
        return check_linear(ctx, step, out_n, err);
    case LO_STEP_COPY: {
        const lo_tensor_ref *x = &step->inputs[0], *y = &step->output;
        const size_t bytes = lo_tensor_ref_bytes(y);
        if (x->buffer == LO_BUFFER_ARENA && x->offset != y->offset &&
            x->offset < y->offset + bytes && y->offset < x->offset + bytes)
            return refuse(err, step, "input and output overlap in the arena");
        return LO_OK;
    }
    case LO_STEP_MAXPOOL:
        return check_linear(ctx, step,
                            step->output.dtype == LO_DTYPE_UINT8 ? (out_n + 3) / 4 : out_n, err);
    case LO_STEP_SOFTMAX: {
        const lo_softmax_params *p = &step->params.softmax;
        /* Long lines take a work-group (64 invocations) each. */
        const int64_t lanes = p->axis_len >= LO_VK_WIDE_SOFTMAX ? (int64_t)LO_VK_GROUP_SIZE : 1;
        return check_linear(ctx, step, p->outer * p->inner * lanes, err);
    }
    case LO_STEP_UNARY:
        if (step->params.unary.op < LO_ACT_NONE || step->params.unary.op > LO_ACT_CLIP)
            return refuse(err, step, "activation %d has no kernel", (int)step->params.unary.op);
        return check_linear(ctx, step, out_n, err);
    case LO_STEP_AVGPOOL:
    case LO_STEP_TRANSPOSE:
    case LO_STEP_CONCAT:
    case LO_STEP_BATCHNORM:
        return check_linear(ctx, step, out_n, err);
    }
    return refuse(err, step, "unknown step kind %d", (int)step->kind);
}

/* ---------------------------------------------------------------- building dispatches */

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static lo_status grow(void **items, int *capacity, int needed, size_t size, lo_error *err)
{
    if (needed <= *capacity) return LO_OK;
    int cap = *capacity ? *capacity * 2 : 16;
    while (cap < needed)
        cap *= 2;
    void *more = lo_realloc(*items, (size_t)cap * size);
    if (!more) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    *items = more;
    *capacity = cap;
    return LO_OK;
}

/* The constants buffer's slot for `constant` in `layout`, added on first use. */
static lo_status constant_slot(lo_vk_program *prog, int constant, lo_vk_layout layout,
                               int64_t groups, void *generated, size_t generated_bytes,
                               const lo_vk_constant_slot **out, lo_error *err)
{
    if (!generated)
        for (int i = 0; i < prog->num_slots; i++) {
            const lo_vk_constant_slot *s = &prog->slots[i];
            if (s->constant == constant && s->layout == layout && s->groups == groups) {
                *out = s;
                return LO_OK;
            }
        }
    lo_status st = grow((void **)&prog->slots, &prog->slot_capacity, prog->num_slots + 1,
                        sizeof *prog->slots, err);
    if (st != LO_OK) {
        lo_free(generated);
        return st;
    }
    lo_vk_constant_slot *s = &prog->slots[prog->num_slots++];
    memset(s, 0, sizeof *s);
    s->constant = constant;
    s->layout = layout;
    s->groups = groups;
    s->generated = generated;
    s->bytes = generated ? generated_bytes : prog->plan->constants[constant].bytes;
    s->offset = prog->constant_bytes;
    prog->constant_bytes += round_up(s->bytes ? s->bytes : 1, prog->alignment);
    *out = s;
    return LO_OK;
}

/* Where a step's tensor is bound: its arena range, or its constant's slot in `layout`. */
static lo_status tensor_range(lo_vk_program *prog, const lo_step *step, const lo_tensor_ref *ref,
                              lo_vk_layout layout, int64_t groups, lo_vk_range *out, lo_error *err)
{
    const size_t bytes = lo_tensor_ref_bytes(ref);
    if (ref->buffer == LO_BUFFER_ARENA) {
        if (ref->offset % prog->alignment || ref->offset > prog->plan->arena_bytes ||
            bytes > prog->plan->arena_bytes - ref->offset)
            return lo_fail(err, LO_ERR_ARGUMENT,
                           "vulkan: node '%s': a tensor at arena offset %zu (%zu bytes) is not "
                           "aligned to %zu or lies outside the arena of %zu bytes",
                           step->node_name ? step->node_name : "?", ref->offset, bytes,
                           prog->alignment, prog->plan->arena_bytes);
        *out = (lo_vk_range){LO_VK_ARENA, ref->offset, bytes};
        return LO_OK;
    }
    if (ref->constant < 0 || ref->constant >= prog->plan->num_constants ||
        prog->plan->constants[ref->constant].bytes != bytes)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "vulkan: node '%s': constant %d is missing or not %zu bytes",
                       step->node_name ? step->node_name : "?", ref->constant, bytes);
    const lo_vk_constant_slot *slot;
    lo_status st = constant_slot(prog, ref->constant, layout, groups, NULL, 0, &slot, err);
    if (st == LO_OK) *out = (lo_vk_range){LO_VK_CONSTANTS, slot->offset, bytes};
    return st;
}

static lo_status add_dispatch(lo_vk_program *prog, int step, lo_vk_shader shader,
                              lo_vk_dispatch **out, lo_error *err)
{
    lo_status st = grow((void **)&prog->dispatches, &prog->dispatch_capacity,
                        prog->num_dispatches + 1, sizeof *prog->dispatches, err);
    if (st != LO_OK) return st;
    lo_vk_dispatch *d = &prog->dispatches[prog->num_dispatches++];
    memset(d, 0, sizeof *d);
    d->step = step;
    d->shader = shader;
    d->num_bindings = shader == LO_VK_BUFFER_COPY ? 2 : lo_vk_shader_get(shader)->bindings;
    *out = d;
    return LO_OK;
}

/* Binds inputs[i] of the step at binding i + 1, in plain layout. */
static lo_status bind_inputs(lo_vk_program *prog, const lo_step *step, lo_vk_dispatch *d, int count,
                             lo_error *err)
{
    lo_status st =
        tensor_range(prog, step, &step->output, LO_VK_LAYOUT_PLAIN, 0, &d->bindings[0], err);
    for (int i = 0; i < count && st == LO_OK; i++)
        st = tensor_range(prog, step, &step->inputs[i], LO_VK_LAYOUT_PLAIN, 0, &d->bindings[i + 1],
                          err);
    return st;
}

static void set_linear(const lo_backend_context *ctx, lo_vk_dispatch *d, uint64_t count)
{
    uint64_t groups[3];
    linear_groups(ctx, count, groups);
    set_groups(d, groups);
}

/* Conv's bindings, as conv.comp, conv_blocked.comp and conv_pool_tiled.comp declare them: Y, X, W
 * (output channels contiguous when constant: transposed at prepare) and B (W again when there is
 * none: unread, but every binding must be valid); and W's strides per group, output channel
 * and (ci, kh, kw) tap. */
static lo_status bind_conv(lo_vk_program *prog, const lo_step *step, lo_vk_dispatch *d,
                           uint32_t w_strides[3], lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const bool w_constant = step->inputs[1].buffer == LO_BUFFER_CONSTANT;
    lo_status st;
    if ((st = tensor_range(prog, step, &step->output, LO_VK_LAYOUT_PLAIN, 0, &d->bindings[0],
                           err)) != LO_OK ||
        (st = tensor_range(prog, step, &step->inputs[0], LO_VK_LAYOUT_PLAIN, 0, &d->bindings[1],
                           err)) != LO_OK ||
        (st = tensor_range(prog, step, &step->inputs[1],
                           w_constant ? LO_VK_LAYOUT_CONV_W : LO_VK_LAYOUT_PLAIN, p->group,
                           &d->bindings[2], err)) != LO_OK)
        return st;
    if (p->has_bias) {
        if ((st = tensor_range(prog, step, &step->inputs[2], LO_VK_LAYOUT_PLAIN, 0, &d->bindings[3],
                               err)) != LO_OK)
            return st;
    } else {
        d->bindings[3] = d->bindings[2];
    }
    const uint32_t mg = (uint32_t)step->inputs[1].shape.dims[0] / (uint32_t)p->group;
    const uint32_t depth =
        (uint32_t)step->inputs[1].shape.dims[1] * (uint32_t)(p->kernel[0] * p->kernel[1]);
    /* [group][k][oc] when transposed at prepare, else the model's [oc][k]. */
    w_strides[0] = mg * depth;
    w_strides[1] = w_constant ? 1u : depth;
    w_strides[2] = w_constant ? mg : 1u;
    return LO_OK;
}

static lo_status build_conv(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                            lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(
        prog, index, ctx->tiled ? LO_VK_SHADER_CONV : LO_VK_SHADER_CONV_BLOCKED, &d, err);
    if (st != LO_OK) return st;
    uint32_t w_strides[3];
    if ((st = bind_conv(prog, step, d, w_strides, err)) != LO_OK) return st;
    const uint32_t c = (uint32_t)x->dims[1], m = (uint32_t)y->dims[1];
    const uint32_t cg = c / (uint32_t)p->group, mg = m / (uint32_t)p->group;
    const uint32_t pixels = (uint32_t)(y->dims[0] * y->dims[2] * y->dims[3]);
    const uint32_t push[25] = {
        c,
        (uint32_t)x->dims[2],
        (uint32_t)x->dims[3],
        m,
        (uint32_t)y->dims[2],
        (uint32_t)y->dims[3],
        pixels,
        cg,
        mg,
        (uint32_t)p->kernel[0],
        (uint32_t)p->kernel[1],
        (uint32_t)p->stride[0],
        (uint32_t)p->stride[1],
        (uint32_t)p->dilation[0],
        (uint32_t)p->dilation[1],
        (uint32_t)p->pad_begin[0],
        (uint32_t)p->pad_begin[1],
        w_strides[0],
        w_strides[1],
        w_strides[2],
        p->has_bias ? 1u : 0u,
        (uint32_t)p->activation,
        f32_bits(p->activation_args.alpha),
        f32_bits(p->activation_args.min),
        f32_bits(p->activation_args.max),
    };
    memcpy(d->push, push, sizeof push);
    uint64_t groups[3];
    conv_groups(ctx, step, groups);
    set_groups(d, groups);
    return LO_OK;
}

/* Two values of at most 16 bits (lo_vk_supports checks) in one word, the first low. */
static uint32_t pack16(const int64_t values[2])
{
    return (uint32_t)values[0] | (uint32_t)values[1] << 16;
}

/* Conv with a MaxPool epilogue: tiles of channels x pooled pixels (conv_pool_tiled*.comp), or
 * one invocation per output for tiny grids (conv_pool_direct.comp). */
static lo_status build_conv_pool(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                                 lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    const lo_shape full = lo_conv_full_shape(step);
    lo_vk_dispatch *d;
    uint64_t groups[3];
    lo_status st = add_dispatch(prog, index, conv_pool_launch(ctx, step, groups), &d, err);
    if (st != LO_OK) return st;
    uint32_t w_strides[3];
    if ((st = bind_conv(prog, step, d, w_strides, err)) != LO_OK) return st;
    const uint32_t c = (uint32_t)x->dims[1], m = (uint32_t)y->dims[1];
    const uint32_t cg = c / (uint32_t)p->group, mg = m / (uint32_t)p->group;
    const uint32_t pooled_pixels = (uint32_t)(y->dims[0] * y->dims[2] * y->dims[3]);
    const uint32_t push[32] = {c,
                               (uint32_t)x->dims[2],
                               (uint32_t)x->dims[3],
                               m,
                               (uint32_t)full.dims[2],
                               (uint32_t)full.dims[3],
                               (uint32_t)y->dims[2],
                               (uint32_t)y->dims[3],
                               pooled_pixels,
                               cg,
                               mg,
                               (uint32_t)p->kernel[0],
                               (uint32_t)p->kernel[1],
                               (uint32_t)p->stride[0],
                               (uint32_t)p->stride[1],
                               (uint32_t)p->dilation[0],
                               (uint32_t)p->dilation[1],
                               (uint32_t)p->pad_begin[0],
                               (uint32_t)p->pad_begin[1],
                               w_strides[0],
                               w_strides[1],
                               w_strides[2],
                               p->has_bias ? 1u : 0u,
                               (uint32_t)p->activation,
                               f32_bits(p->activation_args.alpha),
                               f32_bits(p->activation_args.min),
                               f32_bits(p->activation_args.max),
                               pack16(p->pool.kernel),
                               pack16(p->pool.stride),
                               pack16(p->pool.dilation),
                               (uint32_t)p->pool.pad_begin[0],
                               (uint32_t)p->pool.pad_begin[1]};
    memcpy(d->push, push, sizeof push);
    set_groups(d, groups);
    return LO_OK;
}

static lo_status build_pool(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                            lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_pool_params *p = &step->params.pool;
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    const bool u8 = step->output.dtype == LO_DTYPE_UINT8;
    lo_vk_dispatch *d;
    lo_status st =
        add_dispatch(prog, index, u8 ? LO_VK_SHADER_MAXPOOL_U8 : LO_VK_SHADER_POOL, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 1, err)) != LO_OK) return st;
    const uint32_t count = (uint32_t)numel(&step->output);
    const uint32_t geometry[12] = {
        (uint32_t)x->dims[2],     (uint32_t)x->dims[3],      (uint32_t)y->dims[2],
        (uint32_t)y->dims[3],     (uint32_t)p->kernel[0],    (uint32_t)p->kernel[1],
        (uint32_t)p->stride[0],   (uint32_t)p->stride[1],    (uint32_t)p->dilation[0],
        (uint32_t)p->dilation[1], (uint32_t)p->pad_begin[0], (uint32_t)p->pad_begin[1]};
    d->push[0] = count;
    if (u8) {
        memcpy(&d->push[1], geometry, sizeof geometry);
        set_linear(ctx, d, ((uint64_t)count + 3) / 4);
    } else {
        d->push[1] = step->kind == LO_STEP_MAXPOOL ? 0u : p->count_include_pad ? 1u : 2u;
        memcpy(&d->push[2], geometry, sizeof geometry);
        d->push[14] = (uint32_t)p->pad_end[0];
        d->push[15] = (uint32_t)p->pad_end[1];
        set_linear(ctx, d, count);
    }
    return LO_OK;
}

/* numpy's reading of Gemm's C: rows and columns after right-aligning its dims to [M,N]. */
static void gemm_c_strides(const lo_shape *c, uint32_t *c_m, uint32_t *c_n)
{
    int64_t rows = 1, cols = 1;
    if (c->rank >= 1) cols = c->dims[c->rank - 1];
    if (c->rank == 2) rows = c->dims[0];
    *c_m = rows == 1 ? 0u : (uint32_t)cols;
    *c_n = cols == 1 ? 0u : 1u;
}

static lo_status build_gemm(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                            lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_gemm_params *p = &step->params.gemm;
    const lo_shape *a = &step->inputs[0].shape, *y = &step->output.shape;
    const uint32_t m = (uint32_t)y->dims[0], n = (uint32_t)y->dims[1];
    const uint32_t k = (uint32_t)(p->trans_a ? a->dims[0] : a->dims[1]);
    /* A constant B^T is stored transposed, so every B tile is read along N. */
    const bool b_flip = p->trans_b && step->inputs[1].buffer == LO_BUFFER_CONSTANT;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(
        prog, index, ctx->tiled ? LO_VK_SHADER_GEMM : LO_VK_SHADER_GEMM_BLOCKED, &d, err);
    if (st != LO_OK) return st;
    if ((st = tensor_range(prog, step, &step->output, LO_VK_LAYOUT_PLAIN, 0, &d->bindings[0],
                           err)) != LO_OK ||
        (st = tensor_range(prog, step, &step->inputs[0], LO_VK_LAYOUT_PLAIN, 0, &d->bindings[1],
                           err)) != LO_OK ||
        (st = tensor_range(prog, step, &step->inputs[1],
                           b_flip ? LO_VK_LAYOUT_TRANSPOSE : LO_VK_LAYOUT_PLAIN, 0, &d->bindings[2],
                           err)) != LO_OK)
        return st;
    uint32_t c_m = 0, c_n = 0;
    if (p->has_c) {
        if ((st = tensor_range(prog, step, &step->inputs[2], LO_VK_LAYOUT_PLAIN, 0, &d->bindings[3],
                               err)) != LO_OK)
            return st;
        gemm_c_strides(&step->inputs[2].shape, &c_m, &c_n);
    } else {
        d->bindings[3] = d->bindings[1];
    }
    d->bindings[4] = d->bindings[1]; /* no batch offsets */
    const uint32_t push[18] = {m,
                               n,
                               k,
                               p->trans_a ? 1u : k,
                               p->trans_a ? m : 1u,
                               p->trans_b && !b_flip ? 1u : n,
                               p->trans_b && !b_flip ? k : 1u,
                               c_m,
                               c_n,
                               p->has_c ? 1u : 0u,
                               f32_bits(p->alpha),
                               f32_bits(p->beta),
                               (uint32_t)p->activation,
                               0u,
                               1u,
                               f32_bits(p->activation_args.alpha),
                               f32_bits(p->activation_args.min),
                               f32_bits(p->activation_args.max)};
    memcpy(d->push, push, sizeof push);
    uint64_t groups[3];
    matrix_groups(ctx, m, n, 1, groups);
    set_groups(d, groups);
    return LO_OK;
}

static lo_status build_matmul(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                              lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_matmul_params *p = &step->params.matmul;
    int64_t batch = 1;
    for (int d = 0; d < p->batch_rank; d++)
        batch *= p->batch_dims[d];
    /* Each batch's (A, B) element offsets, computed here once instead of per invocation. */
    const size_t table_bytes = (size_t)(batch > 0 ? batch : 1) * 2 * sizeof(uint32_t);
    uint32_t *table = lo_calloc(1, table_bytes);
    if (!table) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    for (int64_t t = 0; t < batch; t++) {
        int64_t rest = t, a_off = 0, b_off = 0;
        for (int d = p->batch_rank - 1; d >= 0; d--) {
            const int64_t idx = rest % p->batch_dims[d];
            rest /= p->batch_dims[d];
            a_off += idx * p->a_strides[d];
            b_off += idx * p->b_strides[d];
        }
        table[2 * t] = (uint32_t)a_off;
        table[2 * t + 1] = (uint32_t)b_off;
    }
    const lo_vk_constant_slot *slot;
    lo_status st =
        constant_slot(prog, -1, LO_VK_LAYOUT_GENERATED, 0, table, table_bytes, &slot, err);
    if (st != LO_OK) return st;
    const lo_vk_range offsets = {LO_VK_CONSTANTS, slot->offset, slot->bytes};
    lo_vk_dispatch *d;
    if ((st = add_dispatch(prog, index, ctx->tiled ? LO_VK_SHADER_GEMM : LO_VK_SHADER_GEMM_BLOCKED,
                           &d, err)) != LO_OK ||
        (st = bind_inputs(prog, step, d, 2, err)) != LO_OK)
        return st;
    d->bindings[3] = d->bindings[1];
    d->bindings[4] = offsets;
    const uint32_t m = (uint32_t)p->m, n = (uint32_t)p->n, k = (uint32_t)p->k;
    const uint32_t push[15] = {m,
                               n,
                               k,
                               k,
                               1u,
                               n,
                               1u,
                               0u,
                               0u,
                               0u,
                               f32_bits(1.0f),
                               f32_bits(0.0f),
                               LO_ACT_NONE,
                               1u,
                               (uint32_t)batch};
    memcpy(d->push, push, sizeof push);
    uint64_t groups[3];
    matrix_groups(ctx, m, n, (uint64_t)batch, groups);
    set_groups(d, groups);
    return LO_OK;
}

static lo_status build_unary(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                             lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_unary_params *p = &step->params.unary;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(prog, index, LO_VK_SHADER_UNARY, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 1, err)) != LO_OK) return st;
    const int bounds[2] = {p->min_input, p->max_input};
    for (int b = 0; b < 2; b++) {
        d->bindings[2 + b] = d->bindings[1];
        if (bounds[b] > 0 && bounds[b] < step->num_inputs &&
            (st = tensor_range(prog, step, &step->inputs[bounds[b]], LO_VK_LAYOUT_PLAIN, 0,
                               &d->bindings[2 + b], err)) != LO_OK)
            return st;
    }
    const uint32_t count = (uint32_t)numel(&step->output);
    const uint32_t push[7] = {count,
                              (uint32_t)p->op,
                              f32_bits(p->alpha),
                              f32_bits(p->min),
                              f32_bits(p->max),
                              bounds[0] > 0 && bounds[0] < step->num_inputs ? 1u : 0u,
                              bounds[1] > 0 && bounds[1] < step->num_inputs ? 1u : 0u};
    memcpy(d->push, push, sizeof push);
    set_linear(ctx, d, count);
    return LO_OK;
}

static lo_status build_copy(lo_vk_program *prog, int index, lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    lo_vk_range y, x;
    lo_status st;
    if ((st = tensor_range(prog, step, &step->output, LO_VK_LAYOUT_PLAIN, 0, &y, err)) != LO_OK ||
        (st = tensor_range(prog, step, &step->inputs[0], LO_VK_LAYOUT_PLAIN, 0, &x, err)) != LO_OK)
        return st;
    if (y.bytes == 0 || (x.buffer == y.buffer && x.offset == y.offset)) return LO_OK; /* no-op */
    lo_vk_dispatch *d;
    if ((st = add_dispatch(prog, index, LO_VK_BUFFER_COPY, &d, err)) != LO_OK) return st;
    d->bindings[0] = y;
    d->bindings[1] = x;
    return LO_OK;
}

static lo_status build_pad(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                           lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(prog, index, LO_VK_SHADER_PAD, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 1, err)) != LO_OK) return st;
    const uint32_t count = (uint32_t)numel(&step->output);
    d->push[0] = count;
    d->push[1] = (uint32_t)y->rank;
    d->push[2] = f32_bits(step->params.pad.value);
    for (int a = 0; a < y->rank; a++) {
        d->push[3 + a] = (uint32_t)y->dims[a];
        d->push[11 + a] = (uint32_t)x->dims[a];
        d->push[19 + a] = (uint32_t)(int32_t)step->params.pad.pad_begin[a];
    }
    set_linear(ctx, d, count);
    return LO_OK;
}

static lo_status build_transpose(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                                 lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_shape *x = &step->inputs[0].shape, *y = &step->output.shape;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(prog, index, LO_VK_SHADER_TRANSPOSE, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 1, err)) != LO_OK) return st;
    uint32_t x_strides[LO_MAX_RANK];
    uint32_t stride = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        x_strides[a] = stride;
        stride *= (uint32_t)x->dims[a];
    }
    const uint32_t count = (uint32_t)numel(&step->output);
    d->push[0] = count;
    d->push[1] = (uint32_t)y->rank;
    for (int a = 0; a < y->rank; a++) {
        d->push[2 + a] = (uint32_t)y->dims[a];
        d->push[10 + a] = x_strides[step->params.transpose.perm[a]];
    }
    set_linear(ctx, d, count);
    return LO_OK;
}

static lo_status build_concat(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                              lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_shape *y = &step->output.shape;
    const int axis = step->params.concat.axis;
    uint64_t inner = 1;
    for (int a = axis + 1; a < y->rank; a++)
        inner *= (uint64_t)y->dims[a];
    int64_t start = 0;
    lo_vk_range out;
    lo_status st = tensor_range(prog, step, &step->output, LO_VK_LAYOUT_PLAIN, 0, &out, err);
    /* One dispatch per input, each into its columns of Y viewed as [outer, axis * inner]. */
    for (int i = 0; i < step->num_inputs && st == LO_OK; i++) {
        const lo_tensor_ref *x = &step->inputs[i];
        const int64_t count = numel(x);
        const int64_t len = x->shape.dims[axis];
        if (count > 0) {
            lo_vk_dispatch *d;
            if ((st = add_dispatch(prog, index, LO_VK_SHADER_CONCAT, &d, err)) != LO_OK ||
                (st = tensor_range(prog, step, x, LO_VK_LAYOUT_PLAIN, 0, &d->bindings[1], err)) !=
                    LO_OK)
                break;
            d->bindings[0] = out;
            d->push[0] = (uint32_t)count;
            d->push[1] = (uint32_t)((uint64_t)len * inner);
            d->push[2] = (uint32_t)((uint64_t)y->dims[axis] * inner);
            d->push[3] = (uint32_t)((uint64_t)start * inner);
            set_linear(ctx, d, (uint64_t)count);
        }
        start += len;
    }
    return st;
}

static lo_status build_binary(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                              lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_binary_params *p = &step->params.binary;
    const lo_shape *y = &step->output.shape;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(prog, index, LO_VK_SHADER_BINARY, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 2, err)) != LO_OK) return st;
    const uint32_t count = (uint32_t)numel(&step->output);
    d->push[0] = count;
    d->push[1] = (uint32_t)y->rank;
    d->push[2] = (uint32_t)p->op;
    for (int a = 0; a < y->rank; a++) {
        d->push[3 + a] = (uint32_t)y->dims[a];
        d->push[11 + a] = (uint32_t)p->a_strides[a];
        d->push[19 + a] = (uint32_t)p->b_strides[a];
    }
    set_linear(ctx, d, count);
    return LO_OK;
}

static lo_status build_softmax(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                               lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_softmax_params *p = &step->params.softmax;
    const bool wide = p->axis_len >= LO_VK_WIDE_SOFTMAX;
    lo_vk_dispatch *d;
    lo_status st =
        add_dispatch(prog, index, wide ? LO_VK_SHADER_SOFTMAX_WIDE : LO_VK_SHADER_SOFTMAX, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 1, err)) != LO_OK) return st;
    d->push[0] = (uint32_t)p->outer;
    d->push[1] = (uint32_t)p->axis_len;
    d->push[2] = (uint32_t)p->inner;
    d->push[3] = p->log ? 1u : 0u;
    /* A line per invocation, or per work-group of LO_VK_GROUP_SIZE. */
    set_linear(ctx, d, (uint64_t)(p->outer * p->inner) * (wide ? LO_VK_GROUP_SIZE : 1u));
    return LO_OK;
}

static lo_status build_batchnorm(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                                 lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    const lo_batchnorm_params *p = &step->params.batchnorm;
    lo_vk_dispatch *d;
    lo_status st = add_dispatch(prog, index, LO_VK_SHADER_BATCHNORM, &d, err);
    if (st != LO_OK || (st = bind_inputs(prog, step, d, 5, err)) != LO_OK) return st;
    const uint32_t count = (uint32_t)numel(&step->output);
    d->push[0] = count;
    d->push[1] = (uint32_t)p->channels;
    d->push[2] = (uint32_t)p->inner;
    d->push[3] = f32_bits(p->epsilon);
    set_linear(ctx, d, count);
    return LO_OK;
}

static lo_status build_step(const lo_backend_context *ctx, lo_vk_program *prog, int index,
                            lo_error *err)
{
    const lo_step *step = &prog->plan->steps[index];
    lo_status st = lo_vk_supports(ctx, step, err);
    if (st != LO_OK) {
        lo_fail_prefix(err, "vulkan: node '%s' (%s): ", step->node_name ? step->node_name : "?",
                       step->label[0] ? step->label : kind_name(step->kind));
        return st;
    }
    if (numel(&step->output) == 0) return LO_OK; /* nothing to compute */
    switch (step->kind) {
    case LO_STEP_CONV:
        return prog->plan->steps[index].params.conv.has_pool
                   ? build_conv_pool(ctx, prog, index, err)
                   : build_conv(ctx, prog, index, err);
    case LO_STEP_MAXPOOL:
    case LO_STEP_AVGPOOL:
        return build_pool(ctx, prog, index, err);
    case LO_STEP_GEMM:
        return build_gemm(ctx, prog, index, err);
    case LO_STEP_MATMUL:
        return build_matmul(ctx, prog, index, err);
    case LO_STEP_GEMM_CHAIN: /* refused by supports() */
        break;
    case LO_STEP_UNARY:
        return build_unary(ctx, prog, index, err);
    case LO_STEP_COPY:
        return build_copy(prog, index, err);
    case LO_STEP_PAD:
        return build_pad(ctx, prog, index, err);
    case LO_STEP_TRANSPOSE:
        return build_transpose(ctx, prog, index, err);
    case LO_STEP_CONCAT:
        return build_concat(ctx, prog, index, err);
    case LO_STEP_BINARY:
        return build_binary(ctx, prog, index, err);
    case LO_STEP_SOFTMAX:
        return build_softmax(ctx, prog, index, err);
    case LO_STEP_BATCHNORM:
        return build_batchnorm(ctx, prog, index, err);
    }
    return refuse(err, step, "unknown step kind %d", (int)step->kind);
}

lo_status lo_vk_program_build(const lo_backend_context *ctx, const lo_plan *plan,
                              lo_vk_program *prog, lo_error *err)
{
    memset(prog, 0, sizeof *prog);
    prog->plan = plan;
    prog->alignment = ctx->alignment;
    for (int i = 0; i < plan->num_steps; i++) {
        lo_status st = build_step(ctx, prog, i, err);
        if (st != LO_OK) {
            lo_vk_program_free(prog);
            return st;
        }
    }
    return LO_OK;
}

void lo_vk_program_fill_constants(const lo_vk_program *prog, unsigned char *image)
{
    for (int i = 0; i < prog->num_slots; i++) {
        const lo_vk_constant_slot *s = &prog->slots[i];
        unsigned char *dst = image + s->offset;
        if (s->layout == LO_VK_LAYOUT_GENERATED) {
            memcpy(dst, s->generated, s->bytes);
            continue;
        }
        const lo_plan_constant *c = &prog->plan->constants[s->constant];
        const float *src = c->data;
        float *out = (float *)(void *)dst;
        if (s->layout == LO_VK_LAYOUT_CONV_W) {
            /* [group][Mg][K] -> [group][K][Mg] */
            const int64_t m = c->shape.dims[0], mg = m / s->groups;
            const int64_t depth = c->shape.dims[1] * c->shape.dims[2] * c->shape.dims[3];
            for (int64_t g = 0; g < s->groups; g++)
                for (int64_t o = 0; o < mg; o++)
                    for (int64_t k = 0; k < depth; k++)
                        out[(g * depth + k) * mg + o] = src[(g * mg + o) * depth + k];
        } else if (s->layout == LO_VK_LAYOUT_TRANSPOSE) {
            const int64_t rows = c->shape.dims[0], cols = c->shape.dims[1];
            for (int64_t r = 0; r < rows; r++)
                for (int64_t col = 0; col < cols; col++)
                    out[col * rows + r] = src[r * cols + col];
        } else if (c->bytes) {
            memcpy(dst, c->data, c->bytes);
        }
    }
}

void lo_vk_program_free(lo_vk_program *prog)
{
    for (int i = 0; i < prog->num_slots; i++)
        lo_free(prog->slots[i].generated);
    lo_free(prog->slots);
    lo_free(prog->dispatches);
    memset(prog, 0, sizeof *prog);
}
