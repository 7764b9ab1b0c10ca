/* The native CPU backend's one register-blocked inner kernel, shared by Conv, Gemm, Gemm
 * chains and MatMul: `rows` output rows (pixels of a conv, rows of A) times `nv` vectors of
 * 16 output columns (channels of a conv, columns of B), accumulated over `taps`:
 *
 *   tile[i][j] = init[j] + sum_t rows[i][tap_offset[t]] * packed[t * 16 * nv + j]
 *
 * Row i's values are read through a pointer and a per-tap offset table, so a conv reads its
 * input where it lies (an implicit im2col: no copy) and a Gemm reads A as it lies. `packed`
 * holds B (a conv's weights) tap by tap, 16 * nv columns per tap, zero past the real ones.
 * Accumulators live in registers: callers pass nv and rows as constants, so the loops below
 * unroll completely (the block is force-inlined into each caller).
 *
 * Vectors are GCC's vector extension (clang has it too); callers compile a clone per x86-64
 * level (LO_CPU_KERNEL) so one binary uses AVX-512 where the CPU has it.
 */
#ifndef LO_CPU_BLOCK_H
#define LO_CPU_BLOCK_H

#include <stdint.h>
#include <string.h>

#define LO_CPU_LANES 16

typedef float lo_cpu_vec __attribute__((vector_size(LO_CPU_LANES * sizeof(float))));

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LO_CPU_NO_CLONES)
#define LO_CPU_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LO_CPU_KERNEL
#endif

#define LO_CPU_INLINE static inline __attribute__((always_inline))

/* The largest register block: nv * rows accumulators (14 of 32 AVX-512 registers). */
#define LO_CPU_MAX_NV   4
#define LO_CPU_MAX_ROWS 14

/* Rows a block of nv vectors takes at most. */
LO_CPU_INLINE int lo_cpu_block_rows(int nv)
{
    return nv == 1 ? 14 : nv == 2 ? 7 : 3;
}

/* Where a block's rows lie: through one pointer each (`row_at`), or, when `spacing` > 0, at
 * base + i * spacing: a constant spacing needs no register per row, so wide blocks (14 rows)
 * keep every pointer out of the stack. */
typedef struct lo_cpu_rows {
    const float *const *row_at;
    const float *base;
} lo_cpu_rows;

LO_CPU_INLINE void lo_cpu_block(const int nv, const int rows, const int spacing, lo_cpu_rows at,
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

/* lo_cpu_block with nv in {1, 2, 4}, rows in 1..lo_cpu_block_rows(nv) and spacing in
 * {0 (pointers), 1, 2}, each combination compiled with all three as constants. Any other
 * spacing must come as pointers. */
LO_CPU_INLINE void lo_cpu_block_any(int nv, int rows, int spacing, lo_cpu_rows at,
                                    const int32_t *tap_offset, int64_t taps, const float *packed,
                                    const float *init, float *tile)
{
    switch ((nv * 16 + rows) * 4 + spacing) {
    case 68:
        lo_cpu_block(1, 1, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 69:
        lo_cpu_block(1, 1, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 70:
        lo_cpu_block(1, 1, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 72:
        lo_cpu_block(1, 2, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 73:
        lo_cpu_block(1, 2, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 74:
        lo_cpu_block(1, 2, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 76:
        lo_cpu_block(1, 3, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 77:
        lo_cpu_block(1, 3, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 78:
        lo_cpu_block(1, 3, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 80:
        lo_cpu_block(1, 4, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 81:
        lo_cpu_block(1, 4, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 82:
        lo_cpu_block(1, 4, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 84:
        lo_cpu_block(1, 5, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 85:
        lo_cpu_block(1, 5, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 86:
        lo_cpu_block(1, 5, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 88:
        lo_cpu_block(1, 6, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 89:
        lo_cpu_block(1, 6, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 90:
        lo_cpu_block(1, 6, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 92:
        lo_cpu_block(1, 7, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 93:
        lo_cpu_block(1, 7, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 94:
        lo_cpu_block(1, 7, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 96:
        lo_cpu_block(1, 8, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 97:
        lo_cpu_block(1, 8, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 98:
        lo_cpu_block(1, 8, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 100:
        lo_cpu_block(1, 9, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 101:
        lo_cpu_block(1, 9, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 102:
        lo_cpu_block(1, 9, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 104:
        lo_cpu_block(1, 10, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 105:
        lo_cpu_block(1, 10, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 106:
        lo_cpu_block(1, 10, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 108:
        lo_cpu_block(1, 11, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 109:
        lo_cpu_block(1, 11, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 110:
        lo_cpu_block(1, 11, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 112:
        lo_cpu_block(1, 12, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 113:
        lo_cpu_block(1, 12, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 114:
        lo_cpu_block(1, 12, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 116:
        lo_cpu_block(1, 13, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 117:
        lo_cpu_block(1, 13, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 118:
        lo_cpu_block(1, 13, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 120:
        lo_cpu_block(1, 14, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 121:
        lo_cpu_block(1, 14, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 122:
        lo_cpu_block(1, 14, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 132:
        lo_cpu_block(2, 1, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 133:
        lo_cpu_block(2, 1, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 134:
        lo_cpu_block(2, 1, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 136:
        lo_cpu_block(2, 2, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 137:
        lo_cpu_block(2, 2, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 138:
        lo_cpu_block(2, 2, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 140:
        lo_cpu_block(2, 3, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 141:
        lo_cpu_block(2, 3, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 142:
        lo_cpu_block(2, 3, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 144:
        lo_cpu_block(2, 4, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 145:
        lo_cpu_block(2, 4, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 146:
        lo_cpu_block(2, 4, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 148:
        lo_cpu_block(2, 5, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 149:
        lo_cpu_block(2, 5, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 150:
        lo_cpu_block(2, 5, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 152:
        lo_cpu_block(2, 6, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 153:
        lo_cpu_block(2, 6, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 154:
        lo_cpu_block(2, 6, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 156:
        lo_cpu_block(2, 7, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 157:
        lo_cpu_block(2, 7, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 158:
        lo_cpu_block(2, 7, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 260:
        lo_cpu_block(4, 1, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 261:
        lo_cpu_block(4, 1, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 262:
        lo_cpu_block(4, 1, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 264:
        lo_cpu_block(4, 2, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 265:
        lo_cpu_block(4, 2, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 266:
        lo_cpu_block(4, 2, 2, at, tap_offset, taps, packed, init, tile);
        break;
    case 268:
        lo_cpu_block(4, 3, 0, at, tap_offset, taps, packed, init, tile);
        break;
    case 269:
        lo_cpu_block(4, 3, 1, at, tap_offset, taps, packed, init, tile);
        break;
    case 270:
        lo_cpu_block(4, 3, 2, at, tap_offset, taps, packed, init, tile);
        break;
    default:
        break;
    }
}

#endif
