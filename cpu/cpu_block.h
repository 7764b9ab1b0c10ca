/* The native CPU backend's register-blocked inner kernels, shared by Conv, Gemm, Gemm chains
 * and MatMul: `rows` output rows (pixels of a conv, rows of A) times `nv` vectors of 16 output
 * columns (channels of a conv, columns of B), accumulated over `taps`:
 *
 *   tile[i][j] = init[j] + sum_t rows[i][tap_offset[t]] * packed[t * 16 * nv + j]
 *
 * Row i's values are read through a per-tap offset table, so a conv reads its input where it
 * lies (an implicit im2col: no copy) and a Gemm reads A as it lies. `packed` holds B (a conv's
 * weights) tap by tap, 16 * nv columns per tap, zero past the real ones. Each (nv, rows,
 * spacing) is compiled on its own with its accumulators in registers (cpu_block.c), in a
 * clone per x86-64 level; these calls pick one.
 */
#ifndef LO_CPU_BLOCK_H
#define LO_CPU_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define LO_CPU_LANES 16

/* The largest register block: nv * rows accumulators. */
#define LO_CPU_MAX_NV   4
#define LO_CPU_MAX_ROWS 14

/* Rows a block of nv (1, 2 or 4) vectors takes at most. */
static inline int lo_cpu_block_rows(int nv)
{
    return nv == 1 ? 14 : nv == 2 ? 12 : 3;
}

/* Where a block's rows lie: through one pointer each (`row_at`), or, when `spacing` > 0, at
 * base + i * spacing: a constant spacing needs no register per row, so wide blocks (14 rows)
 * keep every pointer out of the stack. */
typedef struct lo_cpu_rows {
    const float *const *row_at;
    const float *base;
} lo_cpu_rows;

/* One block: nv in {1, 2, 4}, rows in 1..lo_cpu_block_rows(nv), spacing 0 (at.row_at), 1 or 2
 * (at.base). init may be NULL (zeros). tile receives rows x (16 * nv) floats. */
void lo_cpu_block_any(int nv, int rows, int spacing, lo_cpu_rows at, const int32_t *tap_offset,
                      int64_t taps, const float *packed, const float *init, float *tile);

/* A conv block whose rows lie `spacing` (1 or 2) apart along one input row, with a kernel row
 * of kw_count adjacent taps: each input value is broadcast once for every (row, tap) pair that
 * reads it, where lo_cpu_block broadcasts it once per pair (for LeNet's 5-wide kernels that
 * halves the loads per multiply-add). `pairs` runs over (input channel, kernel row) in the
 * packed taps' order; row_offset[p] is where pair p's kernel row starts from `base`:
 *
 *   tile[i][j] = init[j] + sum_p sum_kw base[row_offset[p] + i * spacing + kw]
 *                                       * packed[(p * kw_count + kw) * 16 * nv + j]
 *
 * Compiled for LeNet's shapes: 3- and 5-wide kernel rows, 14 rows of one vector or 5 or 7 of
 * two, and 10 rows of two at spacing 1 for a 5-wide row (conv2's 10 columns; 31 registers);
 * false, having done nothing, for any other. init must not be NULL. */
bool lo_cpu_row_block_any(int nv, int rows, int spacing, int kw_count, const float *base,
                          const int32_t *row_offset, int64_t pairs, const float *packed,
                          const float *init, float *tile);

/* The pixel form: where lo_cpu_block's 16 channel lanes would be mostly empty (a conv of at
 * most LO_CPU_PIXEL_MAPS channels), or its scatter of channel lanes into planes would cost
 * as much as its few taps (a pooled conv of one input channel), it turns the block around:
 * nv (1 or 2) vectors of 16 adjacent output pixels of a conv row (stride 1 along it) by
 * `maps` channels, each input vector loaded once per tap and each weight broadcast once per
 * (tap, channel):
 *
 *   tile[(m * nv + v) * 16 + i] = init[m] + sum_t base[tap_offset[t] + start[v] + i]
 *                                                * packed[t * width + m]
 *
 * `packed` is lo_cpu_block's layout (width = 16 * its nv columns per tap), from the first of
 * the maps. Each vector reads 16 + its taps' span of input values from base + start[v]: two
 * vectors may lie in different rows. maps in 1..LO_CPU_PIXEL_MAPS. */
#define LO_CPU_PIXEL_MAPS 8
#define LO_CPU_PIXEL_NV   2
void lo_cpu_pixel_block_any(int maps, int nv, const float *base, const int32_t *start,
                            const int32_t *tap_offset, int64_t taps, const float *packed,
                            int64_t width, const float *init, float *tile);

#endif
