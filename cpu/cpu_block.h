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

/* The largest register block: nv * rows accumulators. */
#define LO_CPU_MAX_NV   4
#define LO_CPU_MAX_ROWS 8

LO_CPU_INLINE void lo_cpu_block(const int nv, const int rows, const float *const *row_at,
                                const int32_t *tap_offset, int64_t taps, const float *packed,
                                const float *init, float *tile)
{
    lo_cpu_vec acc[LO_CPU_MAX_ROWS][LO_CPU_MAX_NV];
#pragma GCC unroll 8
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
#pragma GCC unroll 8
        for (int i = 0; i < rows; i++) {
            const float a = row_at[i][offset];
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[i][v] += bv[v] * a;
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            memcpy(tile + (i * nv + v) * LO_CPU_LANES, &acc[i][v], sizeof acc[i][v]);
}

/* Rows a block of nv vectors takes at most (its accumulators fill the registers). */
LO_CPU_INLINE int lo_cpu_block_rows(int nv)
{
    return nv == 1 ? 8 : nv == 2 ? 6 : 3;
}

/* lo_cpu_block with nv in {1, 2, 4} and rows in 1..lo_cpu_block_rows(nv), each pair
 * compiled with both as constants. */
LO_CPU_INLINE void lo_cpu_block_any(int nv, int rows, const float *const *row_at,
                                    const int32_t *tap_offset, int64_t taps, const float *packed,
                                    const float *init, float *tile)
{
    switch (nv * 16 + rows) {
    case 17:
        lo_cpu_block(1, 1, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 18:
        lo_cpu_block(1, 2, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 19:
        lo_cpu_block(1, 3, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 20:
        lo_cpu_block(1, 4, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 21:
        lo_cpu_block(1, 5, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 22:
        lo_cpu_block(1, 6, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 23:
        lo_cpu_block(1, 7, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 24:
        lo_cpu_block(1, 8, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 33:
        lo_cpu_block(2, 1, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 34:
        lo_cpu_block(2, 2, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 35:
        lo_cpu_block(2, 3, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 36:
        lo_cpu_block(2, 4, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 37:
        lo_cpu_block(2, 5, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 38:
        lo_cpu_block(2, 6, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 65:
        lo_cpu_block(4, 1, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 66:
        lo_cpu_block(4, 2, row_at, tap_offset, taps, packed, init, tile);
        break;
    case 67:
        lo_cpu_block(4, 3, row_at, tap_offset, taps, packed, init, tile);
        break;
    default:
        break;
    }
}

#endif
