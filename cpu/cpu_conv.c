/* Convolution on the host CPU: blocks of output pixels by 16-lane blocks of output channels
 * (cpu_block.h), reading the input where it lies through a per-tap offset table, so no im2col
 * copy is made. Padding is the one copy: a padded input goes once into zero-bordered planes
 * in the scratch. A MaxPool epilogue computes each pooled pixel's window of conv outputs as
 * block rows and keeps their maximum, so the conv's output is never stored.
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "cpu_activation.h"
#include "cpu_block.h"
#include "cpu_clones.h"
#include "cpu_kernel_types.h"

/* Taps per output up to which a conv takes a pixel form whatever its channels (conv_row_unit,
 * conv_pool_row_unit): one input channel's 3x3 and 5x5 windows, not LeNet's 3-channel conv1
 * (75), which keeps the channel form. */
#define LO_CPU_PIXEL_TAPS 32

/* Conv columns a pooled conv computes at a time (its stack tile). */
#define LO_CPU_POOL_COLUMNS 64

/* The largest output pixel count and plane a kernel indexes with 32-bit offsets. */
#define LO_CPU_MAX_OFFSET INT32_MAX

int64_t lo_cpu_chunk(int64_t items, int64_t block, int64_t work_per_item)
{
    const int64_t target_work = 16384; /* lane-FMAs per unit: a few µs of one core */
    int64_t chunk = lo_cpu_ceil_div(target_work, work_per_item > 0 ? work_per_item : 1);
    chunk = lo_cpu_ceil_div(chunk, block) * block;
    if (chunk > 16 * block) chunk = 16 * block;
    if (chunk > items) chunk = items > 0 ? items : 1;
    return chunk;
}

/* One vector of output channels for up to 16, else two (more would leave too few rows). */
static int vectors_for(int64_t columns)
{
    return columns <= LO_CPU_LANES ? 1 : 2;
}

/* Packs a group's weights [group_maps][taps] into [channel_blocks][taps][lanes]. */
static void pack_weights(const lo_cpu_conv *c, const float *weights, float *packed)
{
    for (int64_t g = 0; g < c->groups; g++)
        for (int64_t b = 0; b < c->channel_blocks; b++) {
            float *to = packed + (g * c->channel_blocks + b) * c->taps * c->lanes;
            for (int64_t t = 0; t < c->taps; t++)
                for (int64_t j = 0; j < c->lanes; j++) {
                    const int64_t map = b * c->lanes + j;
                    to[t * c->lanes + j] = map < c->group_maps
                                               ? weights[(g * c->group_maps + map) * c->taps + t]
                                               : 0.0f;
                }
        }
}

lo_status lo_cpu_conv_supports(const lo_step *step, lo_error *err)
{
    const lo_conv_params *p = &step->params.conv;
    const lo_shape *x = &step->inputs[0].shape;
    if (x->rank != 4 || lo_conv_full_shape(step).rank != 4)
        return lo_fail(err, LO_ERR_UNSUPPORTED, "the CPU conv runs 2-D convolutions only");
    const int64_t padded_h = x->dims[2] + p->pad_begin[0] + p->pad_end[0];
    const int64_t padded_w = x->dims[3] + p->pad_begin[1] + p->pad_end[1];
    if (x->dims[1] * padded_h * padded_w > LO_CPU_MAX_OFFSET)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "the input planes (%lld x %lld x %lld padded) pass the CPU kernels' 32-bit "
                       "offsets",
                       (long long)x->dims[1], (long long)padded_h, (long long)padded_w);
    if (p->has_pool && (p->pool.kernel[1] - 1) * p->pool.dilation[1] + 1 > LO_CPU_POOL_COLUMNS)
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "a pool window wider than %d columns does not fuse into the CPU conv",
                       LO_CPU_POOL_COLUMNS);
    return LO_OK;
}

lo_status lo_cpu_conv_prepare(lo_cpu_kernel *kernel, const void *const *constants,
                              size_t *scratch_bytes, lo_error *err)
{
    const lo_step *step = &kernel->step;
    const lo_status supported = lo_cpu_conv_supports(step, err);
    if (supported != LO_OK) return supported;
    const lo_conv_params *p = &step->params.conv;
    lo_cpu_conv *c = &kernel->conv;
    const lo_shape *x = &step->inputs[0].shape;
    const lo_shape full = lo_conv_full_shape(step);
    c->batch = x->dims[0];
    c->channels = x->dims[1];
    c->height = x->dims[2];
    c->width = x->dims[3];
    c->maps = full.dims[1];
    c->out_h = full.dims[2];
    c->out_w = full.dims[3];
    c->groups = p->group;
    c->group_channels = c->channels / c->groups;
    c->group_maps = c->maps / c->groups;
    c->taps = c->group_channels * p->kernel[0] * p->kernel[1];
    for (int a = 0; a < 2; a++) {
        c->stride[a] = p->stride[a];
        c->dilation[a] = p->dilation[a];
        c->pad_begin[a] = p->pad_begin[a];
    }
    c->padded = p->pad_begin[0] || p->pad_begin[1] || p->pad_end[0] || p->pad_end[1];
    c->padded_h = c->height + p->pad_begin[0] + p->pad_end[0];
    c->padded_w = c->width + p->pad_begin[1] + p->pad_end[1];
    c->nv = vectors_for(c->group_maps);
    c->lanes = (int64_t)c->nv * LO_CPU_LANES;
    c->channel_blocks = lo_cpu_ceil_div(c->group_maps, c->lanes);
    c->has_bias = p->has_bias;
    c->activation = p->activation;
    c->activation_args = p->activation_args;
    c->has_pool = p->has_pool;
    if (c->has_pool) {
        c->pool = p->pool;
        c->pooled_h = step->output.shape.dims[2];
        c->pooled_w = step->output.shape.dims[3];
        c->activate_after_pool = lo_cpu_activation_monotone(p->activation, &p->activation_args);
        /* Pooled pixels per run: as many as LO_CPU_POOL_COLUMNS conv columns serve. */
        const int64_t window = (p->pool.kernel[1] - 1) * p->pool.dilation[1] + 1;
        c->pool_run = (LO_CPU_POOL_COLUMNS - window) / p->pool.stride[1] + 1;
        const lo_pool_params *q = &p->pool;
        c->pool_pairs = q->kernel[0] == 2 && q->kernel[1] == 2 && q->stride[0] == 2 &&
                        q->stride[1] == 2 && q->dilation[0] == 1 && q->dilation[1] == 1 &&
                        !q->pad_begin[0] && !q->pad_begin[1] && 2 * c->pooled_h <= c->out_h &&
                        2 * c->pooled_w <= c->out_w;
    }
    const size_t tap_bytes = (size_t)c->taps * sizeof(int32_t);
    const size_t packed_floats = (size_t)(c->groups * c->channel_blocks * c->taps * c->lanes);
    c->tap_offset = lo_malloc(tap_bytes);
    if (!c->tap_offset) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory for a conv's taps");
    for (int64_t ch = 0, t = 0; ch < c->group_channels; ch++)
        for (int64_t kh = 0; kh < p->kernel[0]; kh++)
            for (int64_t kw = 0; kw < p->kernel[1]; kw++, t++)
                c->tap_offset[t] =
                    (int32_t)((ch * c->padded_h + kh * c->dilation[0]) * c->padded_w +
                              kw * c->dilation[1]);
    kernel->bytes = tap_bytes;
    c->kernel_w = p->kernel[1];
    c->pairs = c->group_channels * p->kernel[0];
    if (c->dilation[1] == 1) {
        c->pair_offset = lo_malloc((size_t)c->pairs * sizeof(int32_t));
        if (!c->pair_offset)
            return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory for a conv's taps");
        for (int64_t pair = 0; pair < c->pairs; pair++)
            c->pair_offset[pair] = c->tap_offset[pair * c->kernel_w];
        kernel->bytes += (size_t)c->pairs * sizeof(int32_t);
    }
    size_t scratch = 0;
    if (constants[1]) {
        c->packed = lo_malloc(packed_floats * sizeof(float));
        if (!c->packed) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory packing conv weights");
        pack_weights(c, constants[1], c->packed);
        kernel->bytes += packed_floats * sizeof(float);
    } else {
        scratch += packed_floats * sizeof(float);
    }
    if (c->padded)
        scratch +=
            (size_t)(c->batch * c->channels * c->padded_h * c->padded_w) * sizeof(float) + 64;

    const int rows = lo_cpu_block_rows(c->nv);
    /* Few channels, or few taps per output (scattering channel lanes into planes would cost
     * more than computing them), along a row of at least a vector: pixels in the lanes (see
     * conv_row_unit). */
    c->pixel_rows = !c->has_pool &&
                    (c->group_maps <= LO_CPU_PIXEL_MAPS || c->taps <= LO_CPU_PIXEL_TAPS) &&
                    c->stride[1] == 1 && c->out_w >= LO_CPU_LANES;
    /* A pooled conv of few taps per output (one input channel) spends as long scattering its
     * channel lanes into planes as computing them: pixels in the lanes there too. */
    c->pixel_pool = c->has_pool && c->pool_pairs && c->stride[1] == 1 &&
                    2 * c->pooled_w >= LO_CPU_LANES && c->taps <= LO_CPU_PIXEL_TAPS;
    if (c->pixel_pool) {
        const int64_t pooled_rows = c->batch * c->groups * c->pooled_h;
        const int64_t vectors = lo_cpu_ceil_div(2 * c->pooled_w, LO_CPU_LANES) * 2;
        c->chunk = lo_cpu_chunk(pooled_rows, 1, c->taps * c->group_maps * vectors);
        c->units = lo_cpu_ceil_div(pooled_rows, c->chunk);
    } else if (c->has_pool) {
        c->chunk = 1; /* one pooled row per unit */
        c->units = c->batch * c->groups * c->channel_blocks * c->pooled_h;
    } else if (c->pixel_rows) {
        const int64_t conv_rows = c->batch * c->groups * c->out_h;
        const int64_t vectors = lo_cpu_ceil_div(c->out_w, LO_CPU_LANES);
        c->chunk = lo_cpu_chunk(conv_rows, 1, c->taps * c->group_maps * vectors);
        c->units = lo_cpu_ceil_div(conv_rows, c->chunk);
    } else {
        const int64_t items = c->batch * c->out_h * c->out_w;
        c->chunk = lo_cpu_chunk(items, rows, c->taps * c->lanes);
        c->units = c->groups * c->channel_blocks * lo_cpu_ceil_div(items, c->chunk);
    }
    if (c->units > INT32_MAX)
        return lo_fail(err, LO_ERR_UNSUPPORTED, "the conv splits into more than 2^31 units");
    *scratch_bytes = scratch;
    return LO_OK;
}

void lo_cpu_conv_free(lo_cpu_conv *c)
{
    lo_free(c->tap_offset);
    lo_free(c->pair_offset);
    lo_free(c->packed);
}

/* to[j] = max(to[j], from[j]): restrict, so it runs on whole vectors. */
LO_CPU_INLINE void keep_max(float *restrict to, const float *restrict from, int64_t count)
{
    for (int64_t j = 0; j < count; j++)
        to[j] = to[j] < from[j] ? from[j] : to[j];
}

/* best[p][j] keeps the maximum of columns 2p and 2p+1 of row (lanes floats a column), in
 * keep_max's order, starting from -infinity on a window's first row. */
LO_CPU_INLINE void keep_max_of_pairs(float *restrict best, const float *restrict row,
                                     int64_t pooled, int64_t lanes, bool first_row)
{
    for (int64_t p = 0; p < pooled; p++) {
        const float *left = row + 2 * p * lanes, *right = left + lanes;
        float *to = best + p * lanes;
        for (int64_t j = 0; j < lanes; j++) {
            float m = first_row ? -INFINITY : to[j];
            m = m < left[j] ? left[j] : m;
            to[j] = m < right[j] ? right[j] : m;
        }
    }
}

/* One block of conv outputs: input values shared along a kernel row where the shape was
 * compiled for it (lo_cpu_row_block), else tap by tap. */
LO_CPU_INLINE void conv_block(const lo_cpu_conv *c, int rows, int spacing, lo_cpu_rows at,
                              const float *packed, const float *init, float *tile)
{
    if (spacing > 0 && c->pair_offset &&
        lo_cpu_row_block_any(c->nv, rows, spacing, (int)c->kernel_w, at.base, c->pair_offset,
                             c->pairs, packed, init, tile))
        return;
    lo_cpu_block_any(c->nv, rows, spacing, at, c->tap_offset, c->taps, packed, init, tile);
}

/* Rows for the next block of `left`: equal blocks of at most max_rows (14 columns in blocks of
 * 12 would leave a block of 2, which runs at a fraction of the speed). */
static int64_t balanced_rows(int64_t left, int max_rows)
{
    const int64_t blocks = lo_cpu_ceil_div(left, max_rows);
    return lo_cpu_ceil_div(left, blocks);
}

typedef struct conv_task {
    const lo_cpu_conv *c;
    const float *planes; /* the input, or its padded copy */
    const float *packed;
    const float *bias;
    float *output;
} conv_task;

/* The bias of a block's lanes, zero past the group's maps. */
static void block_init(const conv_task *task, int64_t g, int64_t block, float *init)
{
    const lo_cpu_conv *c = task->c;
    for (int64_t j = 0; j < c->lanes; j++) {
        const int64_t map = block * c->lanes + j;
        init[j] = task->bias && map < c->group_maps ? task->bias[g * c->group_maps + map] : 0.0f;
    }
}

/* Writes rows x lanes of tile to the output planes of maps first_map.. at pixel `pixel`. */
static void scatter(const lo_cpu_conv *c, const float *tile, int rows, int64_t lanes_used,
                    float *planes, int64_t plane_size, int64_t pixel)
{
    for (int64_t j = 0; j < lanes_used; j++) {
        float *to = planes + j * plane_size + pixel;
        for (int i = 0; i < rows; i++)
            to[i] = tile[i * c->lanes + j];
    }
}

LO_CPU_KERNEL static void conv_unit(void *arg, int unit)
{
    const conv_task *task = arg;
    const lo_cpu_conv *c = task->c;
    /* Units run over output pixels of every image in turn (so a conv with a small output, a
     * whole-window one above all, still fills its blocks), then channel blocks, then groups. */
    const int64_t pixels = c->out_h * c->out_w, items = c->batch * pixels;
    const int64_t chunks = lo_cpu_ceil_div(items, c->chunk);
    int64_t rest = unit;
    const int64_t chunk = rest % chunks;
    rest /= chunks;
    const int64_t block = rest % c->channel_blocks;
    const int64_t g = rest / c->channel_blocks;

    float init[LO_CPU_MAX_NV * LO_CPU_LANES];
    float tile[LO_CPU_MAX_ROWS * LO_CPU_MAX_NV * LO_CPU_LANES];
    block_init(task, g, block, init);
    const int64_t plane = c->padded_h * c->padded_w, image_size = c->channels * plane;
    const float *group_planes = task->planes + g * c->group_channels * plane;
    const float *packed = task->packed + (g * c->channel_blocks + block) * c->taps * c->lanes;
    const int64_t first_map = g * c->group_maps + block * c->lanes;
    const int64_t lanes_used =
        c->group_maps - block * c->lanes < c->lanes ? c->group_maps - block * c->lanes : c->lanes;
    const int max_rows = lo_cpu_block_rows(c->nv);
    /* Rows narrower than half a block: blocks run across rows and images, a pointer each. */
    const bool across_rows = c->out_w * 2 < max_rows;
    const int64_t end = (chunk + 1) * c->chunk < items ? (chunk + 1) * c->chunk : items;
    /* Most lanes empty (LeNet-5's conv1 keeps 6 of 16) and planes wide enough to fill vectors:
     * the activation runs last, on the outputs written, not on every lane of each tile. */
    const bool activate_outputs = c->activation != LO_ACT_NONE && lanes_used * 2 <= c->lanes &&
                                  !across_rows && pixels >= LO_CPU_LANES;
    for (int64_t item = chunk * c->chunk; item < end;) {
        const int64_t n = item / pixels, pixel = item % pixels;
        const int64_t oh = pixel / c->out_w, ow = pixel % c->out_w;
        int64_t count = end - item;
        if (!across_rows && c->out_w - ow < count) count = c->out_w - ow;
        count = balanced_rows(count, max_rows);
        const int rows = (int)count;
        const float *first =
            group_planes + n * image_size + oh * c->stride[0] * c->padded_w + ow * c->stride[1];
        const float *row_at[LO_CPU_MAX_ROWS];
        int spacing = across_rows || c->stride[1] > 2 ? 0 : (int)c->stride[1];
        for (int i = 0; i < rows && spacing == 0; i++) {
            const int64_t at = item + i, at_pixel = at % pixels;
            row_at[i] = group_planes + (at / pixels) * image_size +
                        (at_pixel / c->out_w) * c->stride[0] * c->padded_w +
                        (at_pixel % c->out_w) * c->stride[1];
        }
        const lo_cpu_rows at = {.row_at = row_at, .base = first};
        conv_block(c, rows, spacing, at, packed, init, tile);
        if (!activate_outputs)
            lo_cpu_activate(tile, rows * c->lanes, c->activation, &c->activation_args);
        if (across_rows) {
            for (int i = 0; i < rows; i++) {
                const int64_t at_item = item + i;
                float *planes = task->output + ((at_item / pixels) * c->maps + first_map) * pixels;
                scatter(c, tile + i * c->lanes, 1, lanes_used, planes, pixels, at_item % pixels);
            }
        } else {
            float *planes = task->output + (n * c->maps + first_map) * pixels;
            scatter(c, tile, rows, lanes_used, planes, pixels, pixel);
        }
        item += count;
    }
    if (!activate_outputs) return;
    for (int64_t item = chunk * c->chunk; item < end;) {
        const int64_t n = item / pixels, pixel = item % pixels;
        const int64_t count = pixels - pixel < end - item ? pixels - pixel : end - item;
        float *planes = task->output + (n * c->maps + first_map) * pixels + pixel;
        for (int64_t j = 0; j < lanes_used; j++)
            lo_cpu_activate(planes + j * pixels, count, c->activation, &c->activation_args);
        item += count;
    }
}

/* Rows [first, end) of a unit of the pixel forms, out of `total` (rows of every image and
 * group). */
static void unit_rows(const lo_cpu_conv *c, int unit, int64_t total, int64_t *first, int64_t *end)
{
    *first = unit * c->chunk;
    *end = *first + c->chunk < total ? *first + c->chunk : total;
}

/* The activation over rows [first, end) of the output (rows of `width` values, `height` to
 * a channel's plane, rows of every image and group in turn): once per output, each
 * channel's rows of a plane in one span (per vector, Tanh cost twice the conv). */
LO_CPU_INLINE void activate_rows(const lo_cpu_conv *c, float *output, int64_t first, int64_t end,
                                 int64_t height, int64_t width)
{
    const int64_t plane = height * width;
    for (int64_t r = first; r < end;) {
        const int64_t row = r % height, planes_before = r / height;
        const int64_t rows = end - r < height - row ? end - r : height - row;
        float *out = output + planes_before * c->group_maps * plane + row * width;
        for (int64_t m = 0; m < c->group_maps; m++)
            lo_cpu_activate(out + m * plane, rows * width, c->activation, &c->activation_args);
        r += rows;
    }
}

/* Conv rows [chunk * unit, ...) of every image and group, each as vectors of 16 adjacent
 * pixels by the group's channels, 8 at a time (lo_cpu_pixel_block_any), activated and stored
 * straight into the channel planes: no lane holds a channel that is not there, and no
 * scatter. A row's last vector ends at its last pixel, overlapping the one before where the
 * width is not a multiple of 16: those pixels are computed twice, the same way, and every
 * load stays inside the input row's taps. */
LO_CPU_KERNEL static void conv_row_unit(void *arg, int unit)
{
    const conv_task *task = arg;
    const lo_cpu_conv *c = task->c;
    int64_t first, end;
    unit_rows(c, unit, c->batch * c->groups * c->out_h, &first, &end);
    const int64_t plane = c->padded_h * c->padded_w, pixels = c->out_h * c->out_w;
    float init[LO_CPU_MAX_NV * LO_CPU_LANES];
    float tile[LO_CPU_PIXEL_MAPS * LO_CPU_PIXEL_NV * LO_CPU_LANES];
    int64_t init_key = -1; /* the group and channel block init holds */
    for (int64_t r = first; r < end; r++) {
        const int64_t oh = r % c->out_h, g = r / c->out_h % c->groups;
        const int64_t n = r / (c->out_h * c->groups);
        const float *base = task->planes + (n * c->channels + g * c->group_channels) * plane +
                            oh * c->stride[0] * c->padded_w;
        float *out = task->output + (n * c->maps + g * c->group_maps) * pixels + oh * c->out_w;
        for (int64_t m0 = 0; m0 < c->group_maps; m0 += LO_CPU_PIXEL_MAPS) {
            const int64_t block = m0 / c->lanes, lane0 = m0 % c->lanes;
            if (g * c->channel_blocks + block != init_key) {
                block_init(task, g, block, init);
                init_key = g * c->channel_blocks + block;
            }
            const int maps = (int)(c->group_maps - m0 < LO_CPU_PIXEL_MAPS ? c->group_maps - m0
                                                                          : LO_CPU_PIXEL_MAPS);
            const float *packed =
                task->packed + (g * c->channel_blocks + block) * c->taps * c->lanes + lane0;
            float *maps_out = out + m0 * pixels;
            for (int64_t col = 0; col < c->out_w; col += LO_CPU_PIXEL_NV * LO_CPU_LANES) {
                const int64_t last = c->out_w - LO_CPU_LANES;
                const int nv = col + LO_CPU_LANES < c->out_w ? 2 : 1;
                const int32_t start[LO_CPU_PIXEL_NV] = {
                    (int32_t)(col < last ? col : last),
                    (int32_t)(col + LO_CPU_LANES < last ? col + LO_CPU_LANES : last)};
                lo_cpu_pixel_block_any(maps, nv, base, start, c->tap_offset, c->taps, packed,
                                       c->lanes, init + lane0, tile);
                for (int m = 0; m < maps; m++)
                    for (int v = 0; v < nv; v++)
                        memcpy(maps_out + m * pixels + start[v], tile + (m * nv + v) * LO_CPU_LANES,
                               LO_CPU_LANES * sizeof(float));
            }
        }
    }
    if (c->activation != LO_ACT_NONE)
        activate_rows(c, task->output, first, end, c->out_h, c->out_w);
}

typedef float lo_cpu_pixels __attribute__((vector_size(LO_CPU_LANES * sizeof(float))));
typedef float lo_cpu_pooled __attribute__((vector_size(LO_CPU_LANES / 2 * sizeof(float))));
typedef int32_t lo_cpu_pooled_mask __attribute__((vector_size(LO_CPU_LANES / 2 * sizeof(float))));

/* keep_max's step on 8 lanes: value where *best < value, else *best (a NaN is skipped). */
LO_CPU_INLINE void keep_larger(lo_cpu_pooled *best, const lo_cpu_pooled *value)
{
    const lo_cpu_pooled_mask larger = *best < *value;
    lo_cpu_pooled_mask best_bits, value_bits;
    memcpy(&best_bits, best, sizeof best_bits);
    memcpy(&value_bits, value, sizeof value_bits);
    const lo_cpu_pooled_mask kept = (value_bits & larger) | (best_bits & ~larger);
    memcpy(best, &kept, sizeof kept);
}

/* Pooled rows [chunk * unit, ...) of a conv under 2x2, stride-2 windows that all lie inside
 * it (pool_pairs), in the pixel form: for 8 channels at a time, the window's two conv rows
 * as vectors of 16 adjacent pixels from an even column, their maximum, then each pair of
 * columns' maximum (even and odd lanes apart by a shuffle): 8 pooled pixels a channel,
 * stored whole. A row's last vector ends at its last window, overlapping the one before
 * where 2 * pooled_w is not a multiple of 16 (computed twice, the same way). */
LO_CPU_KERNEL static void conv_pool_row_unit(void *arg, int unit)
{
    const conv_task *task = arg;
    const lo_cpu_conv *c = task->c;
    int64_t first, end;
    unit_rows(c, unit, c->batch * c->groups * c->pooled_h, &first, &end);
    const int64_t plane = c->padded_h * c->padded_w, pooled = c->pooled_h * c->pooled_w;
    const int64_t last = 2 * c->pooled_w - LO_CPU_LANES; /* even */
    const int32_t row_step = (int32_t)(c->stride[0] * c->padded_w);
    float init[LO_CPU_MAX_NV * LO_CPU_LANES];
    float tile[LO_CPU_PIXEL_MAPS * LO_CPU_PIXEL_NV * LO_CPU_LANES];
    int64_t init_key = -1;
    /* Relu, the common case, costs one compare here; other activations run over spans after. */
    const bool relu_in_registers = c->activation == LO_ACT_RELU && c->activate_after_pool;
    for (int64_t r = first; r < end; r++) {
        const int64_t ph = r % c->pooled_h, g = r / c->pooled_h % c->groups;
        const int64_t n = r / (c->pooled_h * c->groups);
        const float *base =
            task->planes + (n * c->channels + g * c->group_channels) * plane + 2 * ph * row_step;
        float *out = task->output + (n * c->maps + g * c->group_maps) * pooled + ph * c->pooled_w;
        for (int64_t m0 = 0; m0 < c->group_maps; m0 += LO_CPU_PIXEL_MAPS) {
            const int maps = (int)(c->group_maps - m0 < LO_CPU_PIXEL_MAPS ? c->group_maps - m0
                                                                          : LO_CPU_PIXEL_MAPS);
            const int64_t block = m0 / c->lanes, lane0 = m0 % c->lanes;
            if (init_key != g * c->channel_blocks + block) {
                block_init(task, g, block, init);
                init_key = g * c->channel_blocks + block;
            }
            const float *packed =
                task->packed + (g * c->channel_blocks + block) * c->taps * c->lanes + lane0;
            for (int64_t col = 0;; col += LO_CPU_LANES) {
                const int32_t at = (int32_t)(col < last ? col : last);
                const int32_t start[LO_CPU_PIXEL_NV] = {at, row_step + at};
                lo_cpu_pixel_block_any(maps, 2, base, start, c->tap_offset, c->taps, packed,
                                       c->lanes, init + lane0, tile);
                for (int m = 0; m < maps; m++) {
                    float *rows = tile + m * 2 * LO_CPU_LANES;
                    if (!c->activate_after_pool)
                        lo_cpu_activate(rows, 2 * LO_CPU_LANES, c->activation, &c->activation_args);
                    lo_cpu_pixels top, bottom;
                    memcpy(&top, rows, sizeof top);
                    memcpy(&bottom, rows + LO_CPU_LANES, sizeof bottom);
                    /* keep_max's order: row by row, left column first, from -infinity */
                    const lo_cpu_pooled taps[4] = {
                        __builtin_shufflevector(top, top, 0, 2, 4, 6, 8, 10, 12, 14),
                        __builtin_shufflevector(top, top, 1, 3, 5, 7, 9, 11, 13, 15),
                        __builtin_shufflevector(bottom, bottom, 0, 2, 4, 6, 8, 10, 12, 14),
                        __builtin_shufflevector(bottom, bottom, 1, 3, 5, 7, 9, 11, 13, 15)};
                    lo_cpu_pooled best = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                                          -INFINITY, -INFINITY, -INFINITY, -INFINITY};
                    for (int k = 0; k < 4; k++)
                        keep_larger(&best, &taps[k]);
                    if (relu_in_registers) {
                        const lo_cpu_pooled zero = {0};
                        keep_larger(&best, &zero);
                    }
                    memcpy(out + (m0 + m) * pooled + at / 2, &best, sizeof best);
                }
                if (at == last) break;
            }
        }
    }
    if (c->activate_after_pool && c->activation != LO_ACT_NONE && !relu_in_registers)
        activate_rows(c, task->output, first, end, c->pooled_h, c->pooled_w);
}

/* Columns [col0, col1) of the conv row at in_row into row (lanes floats a column), in the
 * widest blocks, activated unless the pool activates after. */
LO_CPU_INLINE void conv_row(const lo_cpu_conv *c, const float *in_row, int64_t col0, int64_t col1,
                            const float *packed, const float *init, float *row)
{
    const int max_rows = lo_cpu_block_rows(c->nv);
    const int spacing = c->stride[1] <= 2 ? (int)c->stride[1] : 0;
    for (int64_t col = col0; col < col1;) {
        const int rows = (int)balanced_rows(col1 - col, max_rows);
        const float *row_at[LO_CPU_MAX_ROWS];
        for (int i = 0; i < rows && spacing == 0; i++)
            row_at[i] = in_row + (col + i) * c->stride[1];
        const lo_cpu_rows at = {.row_at = row_at, .base = in_row + col * c->stride[1]};
        conv_block(c, rows, spacing, at, packed, init, row + (col - col0) * c->lanes);
        col += rows;
    }
    if (!c->activate_after_pool)
        lo_cpu_activate(row, (col1 - col0) * c->lanes, c->activation, &c->activation_args);
}

/* One pooled row of one image and channel block. For each conv row a pool window row reads,
 * the columns a run of pooled pixels needs are computed as contiguous blocks (the widest
 * blocks, as an unpooled conv's), then each pooled pixel keeps the maximum of its window. */
LO_CPU_KERNEL static void conv_pool_unit(void *arg, int unit)
{
    const conv_task *task = arg;
    const lo_cpu_conv *c = task->c;
    const lo_pool_params *pool = &c->pool;
    int64_t rest = unit;
    const int64_t ph = rest % c->pooled_h;
    rest /= c->pooled_h;
    const int64_t block = rest % c->channel_blocks;
    rest /= c->channel_blocks;
    const int64_t g = rest % c->groups, n = rest / c->groups;

    float init[LO_CPU_MAX_NV * LO_CPU_LANES];
    float row[LO_CPU_POOL_COLUMNS * LO_CPU_MAX_NV * LO_CPU_LANES];
    float best[LO_CPU_POOL_COLUMNS * LO_CPU_MAX_NV * LO_CPU_LANES];
    block_init(task, g, block, init);
    const int64_t plane = c->padded_h * c->padded_w, lanes = c->lanes;
    const float *image = task->planes + (n * c->channels + g * c->group_channels) * plane;
    const float *packed = task->packed + (g * c->channel_blocks + block) * c->taps * lanes;
    const int64_t first_map = g * c->group_maps + block * lanes;
    const int64_t lanes_used =
        c->group_maps - block * lanes < lanes ? c->group_maps - block * lanes : lanes;
    const int64_t pooled = c->pooled_h * c->pooled_w;
    float *planes = task->output + (n * c->maps + first_map) * pooled;
    for (int64_t pw0 = 0; pw0 < c->pooled_w; pw0 += c->pool_run) {
        const int64_t pw1 = pw0 + c->pool_run < c->pooled_w ? pw0 + c->pool_run : c->pooled_w;
        int64_t col0 = pw0 * pool->stride[1] - pool->pad_begin[1];
        int64_t col1 = (pw1 - 1) * pool->stride[1] - pool->pad_begin[1] +
                       (pool->kernel[1] - 1) * pool->dilation[1] + 1;
        col0 = col0 < 0 ? 0 : col0;
        col1 = col1 > c->out_w ? c->out_w : col1;
        bool seen[LO_CPU_POOL_COLUMNS];
        if (c->pool_pairs) { /* every window inside: two column pairs each, no checks */
            for (int64_t a = 0; a < 2; a++) {
                conv_row(c, image + (2 * ph + a) * c->stride[0] * c->padded_w, col0, col1, packed,
                         init, row);
                keep_max_of_pairs(best, row, pw1 - pw0, lanes, a == 0);
            }
            memset(seen, 1, sizeof seen);
        } else {
            memset(seen, 0, sizeof seen);
            for (int64_t i = 0; i < (pw1 - pw0) * lanes; i++)
                best[i] = -INFINITY;
            for (int64_t a = 0; a < pool->kernel[0]; a++) {
                const int64_t oh =
                    ph * pool->stride[0] - pool->pad_begin[0] + a * pool->dilation[0];
                if (oh < 0 || oh >= c->out_h || col0 >= col1) continue;
                conv_row(c, image + oh * c->stride[0] * c->padded_w, col0, col1, packed, init, row);
                for (int64_t pw = pw0; pw < pw1; pw++)
                    for (int64_t b = 0; b < pool->kernel[1]; b++) {
                        const int64_t ow =
                            pw * pool->stride[1] - pool->pad_begin[1] + b * pool->dilation[1];
                        if (ow < col0 || ow >= col1) continue;
                        seen[pw - pw0] = true;
                        keep_max(best + (pw - pw0) * lanes, row + (ow - col0) * lanes, lanes);
                    }
            }
        }
        if (c->activate_after_pool)
            for (int64_t pw = pw0; pw < pw1; pw++)
                if (seen[pw - pw0])
                    lo_cpu_activate(best + (pw - pw0) * lanes, lanes, c->activation,
                                    &c->activation_args);
        scatter(c, best, (int)(pw1 - pw0), lanes_used, planes, pooled, ph * c->pooled_w + pw0);
    }
}

typedef struct pad_task {
    const lo_cpu_conv *c;
    const float *input;
    float *planes;
} pad_task;

/* One input plane into its zero-bordered copy, row by row: the borders zeroed, each row's
 * values copied by a loop each clone vectorises (a memset of the plane and a memcpy call
 * per row cost a third of a one-channel conv). */
LO_CPU_KERNEL static void pad_unit(void *arg, int unit)
{
    const pad_task *task = arg;
    const lo_cpu_conv *c = task->c;
    const float *restrict from = task->input + (int64_t)unit * c->height * c->width;
    float *restrict to = task->planes + (int64_t)unit * c->padded_h * c->padded_w;
    const int64_t left = c->pad_begin[1], right = c->padded_w - left - c->width;
    for (int64_t h = 0; h < c->padded_h; h++, to += c->padded_w) {
        const int64_t row = h - c->pad_begin[0];
        if (row < 0 || row >= c->height) {
            for (int64_t w = 0; w < c->padded_w; w++)
                to[w] = 0.0f;
            continue;
        }
        for (int64_t w = 0; w < left; w++)
            to[w] = 0.0f;
        const float *restrict values = from + row * c->width;
        for (int64_t w = 0; w < c->width; w++)
            to[left + w] = values[w];
        for (int64_t w = 0; w < right; w++)
            to[left + c->width + w] = 0.0f;
    }
}

void lo_cpu_conv_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                     const void *const *inputs, float *output, void *scratch)
{
    const lo_cpu_conv *c = &kernel->conv;
    unsigned char *free_scratch = scratch;
    conv_task task = {.c = c,
                      .planes = inputs[0],
                      .packed = c->packed,
                      .bias = c->has_bias ? inputs[2] : NULL,
                      .output = output};
    if (!c->packed) {
        float *packed = (float *)free_scratch;
        pack_weights(c, inputs[1], packed);
        task.packed = packed;
        free_scratch +=
            (size_t)(c->groups * c->channel_blocks * c->taps * c->lanes) * sizeof(float);
    }
    if (c->padded) {
        pad_task pad = {.c = c, .input = inputs[0], .planes = (float *)free_scratch};
        const int64_t planes = c->batch * c->channels;
        if (planes * c->padded_h * c->padded_w < 65536)
            for (int64_t i = 0; i < planes; i++)
                pad_unit(&pad, (int)i);
        else
            lo_cpu_threads_run(threads, pad_unit, &pad, (int)planes);
        task.planes = pad.planes;
    }
    lo_cpu_threads_run(threads,
                       c->pixel_pool   ? conv_pool_row_unit
                       : c->has_pool   ? conv_pool_unit
                       : c->pixel_rows ? conv_row_unit
                                       : conv_unit,
                       &task, (int)c->units);
}
