/* The inner kernels of cpu_block.h, one function per (nv, rows, spacing) and per row-block
 * shape, each with nv and rows as constants so its loops unroll completely and its
 * accumulators stay in registers; each is compiled once per x86-64 level (LO_CPU_KERNEL).
 * Vectors are GCC's vector extension (clang has it too). Kept apart from their callers so
 * each shape is compiled once, not once per caller.
 */
#include "cpu_block.h"

#include <stddef.h>
#include <string.h>

#include "cpu_clones.h"

typedef float lo_cpu_vec __attribute__((vector_size(LO_CPU_LANES * sizeof(float))));

#define LO_CPU_MAX_KW 5 /* the widest kernel row lo_cpu_row_block is compiled for */

LO_CPU_INLINE void block(const int nv, const int rows, const int spacing, lo_cpu_rows at,
                         const int32_t *tap_offset, int64_t taps, const float *packed,
                         const float *init, float *tile)
{
    lo_cpu_vec acc[LO_CPU_MAX_ROWS][LO_CPU_MAX_NV];
#pragma GCC unroll 14
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            if (init)
                memcpy(&acc[i][v], init + v * LO_CPU_LANES, sizeof acc[i][v]);
            else
                memset(&acc[i][v], 0, sizeof acc[i][v]);
        }
    const int64_t width = (int64_t)nv * LO_CPU_LANES;
    for (int64_t t = 0; t < taps; t++) {
        const float *b = packed + t * width;
        lo_cpu_vec bv[LO_CPU_MAX_NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            memcpy(&bv[v], b + v * LO_CPU_LANES, sizeof bv[v]);
        const int32_t offset = tap_offset[t];
        const float *tap = spacing > 0 ? at.base + offset : NULL;
#pragma GCC unroll 14
        for (int i = 0; i < rows; i++) {
            const float a = spacing > 0 ? tap[i * spacing] : at.row_at[i][offset];
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[i][v] += bv[v] * a;
        }
    }
#pragma GCC unroll 14
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            memcpy(tile + (i * nv + v) * LO_CPU_LANES, &acc[i][v], sizeof acc[i][v]);
}

LO_CPU_INLINE void row_block(const int nv, const int rows, const int spacing, const int kw_count,
                             const float *base, const int32_t *row_offset, int64_t pairs,
                             const float *packed, const float *init, float *tile)
{
    lo_cpu_vec acc[LO_CPU_MAX_ROWS][LO_CPU_MAX_NV];
#pragma GCC unroll 14
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            memcpy(&acc[i][v], init + v * LO_CPU_LANES, sizeof acc[i][v]);
    const int64_t width = (int64_t)nv * LO_CPU_LANES;
    const int span = (rows - 1) * spacing + kw_count;
    for (int64_t p = 0; p < pairs; p++) {
        const float *x = base + row_offset[p];
        const float *w = packed + p * kw_count * width;
        lo_cpu_vec wv[LO_CPU_MAX_KW][LO_CPU_MAX_NV];
#pragma GCC unroll 8
        for (int kw = 0; kw < kw_count; kw++)
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                memcpy(&wv[kw][v], w + kw * width + v * LO_CPU_LANES, sizeof wv[kw][v]);
#pragma GCC unroll 64
        for (int at = 0; at < span; at++) {
            const float value = x[at];
#pragma GCC unroll 8
            for (int kw = 0; kw < kw_count; kw++) {
                const int offset = at - kw; /* row i reads x[i * spacing + kw] */
                if (offset < 0 || offset % spacing != 0 || offset / spacing >= rows) continue;
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    acc[offset / spacing][v] += wv[kw][v] * value;
            }
        }
    }
#pragma GCC unroll 14
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            memcpy(tile + (i * nv + v) * LO_CPU_LANES, &acc[i][v], sizeof acc[i][v]);
}

LO_CPU_INLINE void pixel_block(const int maps, const int nv, const float *base,
                               const int32_t *start, const int32_t *tap_offset, int64_t taps,
                               const float *packed, int64_t width, const float *init, float *tile)
{
    lo_cpu_vec acc[LO_CPU_PIXEL_MAPS][LO_CPU_PIXEL_NV];
#pragma GCC unroll 8
    for (int m = 0; m < maps; m++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            lo_cpu_vec splat = {0};
            acc[m][v] = splat + init[m];
        }
    const float *at[LO_CPU_PIXEL_NV];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++)
        at[v] = base + start[v];
    for (int64_t t = 0; t < taps; t++) {
        const int32_t offset = tap_offset[t];
        lo_cpu_vec x[LO_CPU_PIXEL_NV];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            memcpy(&x[v], at[v] + offset, sizeof x[v]);
        const float *w = packed + t * width;
#pragma GCC unroll 8
        for (int m = 0; m < maps; m++)
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[m][v] += x[v] * w[m];
    }
#pragma GCC unroll 8
    for (int m = 0; m < maps; m++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            memcpy(tile + (m * nv + v) * LO_CPU_LANES, &acc[m][v], sizeof acc[m][v]);
}

typedef void (*block_fn)(lo_cpu_rows at, const int32_t *tap_offset, int64_t taps,
                         const float *packed, const float *init, float *tile);
typedef void (*row_block_fn)(const float *base, const int32_t *row_offset, int64_t pairs,
                             const float *packed, const float *init, float *tile);

typedef void (*pixel_block_fn)(const float *base, const int32_t *start, const int32_t *tap_offset,
                               int64_t taps, const float *packed, int64_t width, const float *init,
                               float *tile);

#define BLOCK_KEY(nv, rows, spacing)         (((nv)*16 + (rows)) * 4 + (spacing))
#define ROW_KEY(nv, rows, spacing, kw_count) ((((nv)*16 + (rows)) * 4 + (spacing)) * 8 + (kw_count))

#define BLOCK(nv, rows, spacing)                                                                   \
    LO_CPU_KERNEL static void block_##nv##_##rows##_##spacing(                                     \
        lo_cpu_rows at, const int32_t *tap_offset, int64_t taps, const float *packed,              \
        const float *init, float *tile)                                                            \
    {                                                                                              \
        block(nv, rows, spacing, at, tap_offset, taps, packed, init, tile);                        \
    }
#define BLOCKS(nv, rows) BLOCK(nv, rows, 0) BLOCK(nv, rows, 1) BLOCK(nv, rows, 2)
#define ROW_BLOCK(nv, rows, spacing, kw_count)                                                     \
    LO_CPU_KERNEL static void row_block_##nv##_##rows##_##spacing##_##kw_count(                    \
        const float *base, const int32_t *row_offset, int64_t pairs, const float *packed,          \
        const float *init, float *tile)                                                            \
    {                                                                                              \
        row_block(nv, rows, spacing, kw_count, base, row_offset, pairs, packed, init, tile);       \
    }
#define ROW_BLOCKS(nv, rows)                                                                       \
    ROW_BLOCK(nv, rows, 1, 3)                                                                      \
    ROW_BLOCK(nv, rows, 1, 5) ROW_BLOCK(nv, rows, 2, 3) ROW_BLOCK(nv, rows, 2, 5)

#define PIXEL_BLOCK(maps, nv)                                                                      \
    LO_CPU_KERNEL static void pixel_block_##maps##_##nv(                                           \
        const float *base, const int32_t *start, const int32_t *tap_offset, int64_t taps,          \
        const float *packed, int64_t width, const float *init, float *tile)                        \
    {                                                                                              \
        pixel_block(maps, nv, base, start, tap_offset, taps, packed, width, init, tile);           \
    }
#define PIXEL_BLOCKS(maps) PIXEL_BLOCK(maps, 1) PIXEL_BLOCK(maps, 2)

/* clang-format off */
PIXEL_BLOCKS(1) PIXEL_BLOCKS(2) PIXEL_BLOCKS(3) PIXEL_BLOCKS(4) PIXEL_BLOCKS(5) PIXEL_BLOCKS(6)
PIXEL_BLOCKS(7) PIXEL_BLOCKS(8)
BLOCKS(1, 1) BLOCKS(1, 2) BLOCKS(1, 3) BLOCKS(1, 4) BLOCKS(1, 5) BLOCKS(1, 6) BLOCKS(1, 7)
BLOCKS(1, 8) BLOCKS(1, 9) BLOCKS(1, 10) BLOCKS(1, 11) BLOCKS(1, 12) BLOCKS(1, 13)
BLOCKS(1, 14) BLOCKS(2, 1) BLOCKS(2, 2) BLOCKS(2, 3) BLOCKS(2, 4) BLOCKS(2, 5) BLOCKS(2, 6)
BLOCKS(2, 7) BLOCKS(2, 8) BLOCKS(2, 9) BLOCKS(2, 10) BLOCKS(2, 11) BLOCKS(2, 12)
BLOCKS(4, 1) BLOCKS(4, 2) BLOCKS(4, 3)
ROW_BLOCKS(1, 14) ROW_BLOCKS(2, 5) ROW_BLOCKS(2, 7) ROW_BLOCK(2, 10, 1, 5) ROW_BLOCK(2, 12, 1, 3)
/* clang-format on */

#undef BLOCK
#undef ROW_BLOCK
#define BLOCK(nv, rows, spacing) [BLOCK_KEY(nv, rows, spacing)] = block_##nv##_##rows##_##spacing,
#define ROW_BLOCK(nv, rows, spacing, kw_count)                                                     \
    [ROW_KEY(nv, rows, spacing, kw_count)] = row_block_##nv##_##rows##_##spacing##_##kw_count,

                            static const block_fn blocks[] = {
                                /* clang-format off */
    BLOCKS(1, 1) BLOCKS(1, 2) BLOCKS(1, 3) BLOCKS(1, 4) BLOCKS(1, 5) BLOCKS(1, 6) BLOCKS(1, 7)
    BLOCKS(1, 8) BLOCKS(1, 9) BLOCKS(1, 10) BLOCKS(1, 11) BLOCKS(1, 12) BLOCKS(1, 13)
    BLOCKS(1, 14) BLOCKS(2, 1) BLOCKS(2, 2) BLOCKS(2, 3) BLOCKS(2, 4) BLOCKS(2, 5) BLOCKS(2, 6)
    BLOCKS(2, 7) BLOCKS(2, 8) BLOCKS(2, 9) BLOCKS(2, 10) BLOCKS(2, 11) BLOCKS(2, 12)
    BLOCKS(4, 1) BLOCKS(4, 2) BLOCKS(4, 3)
                                /* clang-format on */
};

static const row_block_fn row_blocks[] = {
    /* clang-format off */
    ROW_BLOCKS(1, 14) ROW_BLOCKS(2, 5) ROW_BLOCKS(2, 7) ROW_BLOCK(2, 10, 1, 5) ROW_BLOCK(2, 12, 1, 3)
    /* clang-format on */
};

#undef PIXEL_BLOCK
#define PIXEL_BLOCK(maps, nv) [((maps)-1) * LO_CPU_PIXEL_NV + (nv)-1] = pixel_block_##maps##_##nv,

static const pixel_block_fn pixel_blocks[LO_CPU_PIXEL_MAPS * LO_CPU_PIXEL_NV] = {
    /* clang-format off */
    PIXEL_BLOCKS(1) PIXEL_BLOCKS(2) PIXEL_BLOCKS(3) PIXEL_BLOCKS(4) PIXEL_BLOCKS(5) PIXEL_BLOCKS(6)
    PIXEL_BLOCKS(7) PIXEL_BLOCKS(8)
    /* clang-format on */
};

void lo_cpu_pixel_block_any(int maps, int nv, const float *base, const int32_t *start,
                            const int32_t *tap_offset, int64_t taps, const float *packed,
                            int64_t width, const float *init, float *tile)
{
    pixel_blocks[(maps - 1) * LO_CPU_PIXEL_NV + nv - 1](base, start, tap_offset, taps, packed,
                                                        width, init, tile);
}

void lo_cpu_block_any(int nv, int rows, int spacing, lo_cpu_rows at, const int32_t *tap_offset,
                      int64_t taps, const float *packed, const float *init, float *tile)
{
    blocks[BLOCK_KEY(nv, rows, spacing)](at, tap_offset, taps, packed, init, tile);
}

bool lo_cpu_row_block_any(int nv, int rows, int spacing, int kw_count, const float *base,
                          const int32_t *row_offset, int64_t pairs, const float *packed,
                          const float *init, float *tile)
{
    if (spacing < 1 || spacing > 2 || kw_count < 1 || kw_count > LO_CPU_MAX_KW || nv < 1 ||
        nv > LO_CPU_MAX_NV || rows < 1 || rows > LO_CPU_MAX_ROWS)
        return false;
    const size_t key = (size_t)ROW_KEY(nv, rows, spacing, kw_count);
    if (key >= sizeof row_blocks / sizeof row_blocks[0] || !row_blocks[key]) return false;
    row_blocks[key](base, row_offset, pairs, packed, init, tile);
    return true;
}
