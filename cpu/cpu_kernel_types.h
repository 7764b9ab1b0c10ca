/* What cpu_conv.c and cpu_gemm.c prepare for a step: private to the kernels (cpu_kernels.h is
 * their face). */
#ifndef LO_CPU_KERNEL_TYPES_H
#define LO_CPU_KERNEL_TYPES_H

#include "cpu_kernels.h"

/* A convolution as blocks of output pixels by output channels (cpu_block.h: pixels are the
 * rows, channels the 16-lane columns), with its activation and optional pool epilogue. */
typedef struct lo_cpu_conv {
    int64_t batch, channels, height, width; /* input */
    int64_t maps, out_h, out_w;             /* conv output, before any pool */
    int64_t groups, group_channels, group_maps, taps;
    int64_t stride[2], dilation[2], pad_begin[2];
    bool padded;                   /* the run copies the input into a zero-bordered plane */
    int64_t padded_h, padded_w;    /* the planes read (the input's own when not padded) */
    int nv;                        /* 16-lane vectors of output channels per block */
    int64_t lanes, channel_blocks; /* nv * 16; blocks per group */
    int32_t *tap_offset;           /* per (channel, kh, kw) of a group: where in the planes */
    int32_t *pair_offset;          /* per (channel, kh): where its kernel row starts; NULL when the
                                      kernel row is not adjacent taps (dilated along W) */
    int64_t pairs, kernel_w;
    float *packed; /* [groups][channel_blocks][taps][lanes], or NULL: packed at
                      run time (weights in the arena) */
    bool has_bias;
    lo_activation activation;
    lo_activation_args activation_args;
    bool has_pool;
    lo_pool_params pool;
    int64_t pooled_h, pooled_w;
    int64_t pool_run;         /* pooled pixels computed together (their conv columns fit a tile) */
    bool activate_after_pool; /* monotone activation: once per pooled value */
    bool pool_pairs;          /* 2x2 windows at stride 2, all inside the conv's output */
    bool pixel_rows; /* few channels, unpooled: rows of pixels in the lanes (conv_row_unit) */
    bool pixel_pool; /* few taps, pool_pairs: pooled rows in the pixel form (conv_pool_row_unit) */
    int64_t chunk;   /* output pixels (or pooled rows) per unit of work */
    int64_t units;
} lo_cpu_conv;

/* One matrix product Y = alpha * op(A) @ op(B) + beta * C, then an activation, with B packed
 * as 16-lane column blocks: a Gemm, a layer of a Gemm chain, or MatMul's matrices. */
typedef struct lo_cpu_dense {
    int64_t m, n, k;
    bool trans_a, trans_b;
    float alpha, beta;
    int nv;
    int64_t lanes, column_blocks;
    int32_t *tap_offset; /* k entries: where A's element k lies from its row's start */
    float *packed;       /* [batches][column_blocks][k][lanes] when B is a constant, else NULL */
    int64_t packed_batches;
    bool has_c;
    int64_t c_row_stride, c_col_stride; /* C read through broadcast strides (0 along a 1) */
    lo_activation activation;
    lo_activation_args activation_args;
    int64_t row_chunk, units; /* per matrix */
} lo_cpu_dense;

struct lo_cpu_kernel {
    lo_step step;
    size_t bytes; /* packed and table bytes held */
    lo_cpu_conv conv;
    lo_cpu_dense dense[LO_GEMM_CHAIN_MAX_LAYERS];
    int layers;
    size_t chain_offset[LO_GEMM_CHAIN_MAX_LAYERS]; /* a chain's intermediates in the scratch */
    size_t packing_offset; /* where a run packs a B that lies in the arena */
};

/* What the conv kernels cannot run: planes past 32-bit offsets, pool windows past their tile. */
lo_status lo_cpu_conv_supports(const lo_step *step, lo_error *err);
lo_status lo_cpu_conv_prepare(lo_cpu_kernel *kernel, const void *const *constants,
                              size_t *scratch_bytes, lo_error *err);
void lo_cpu_conv_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                     const void *const *inputs, float *output, void *scratch);
void lo_cpu_conv_free(lo_cpu_conv *conv);

lo_status lo_cpu_dense_prepare(lo_cpu_kernel *kernel, const void *const *constants,
                               size_t *scratch_bytes, lo_error *err);
void lo_cpu_dense_run(const lo_cpu_kernel *kernel, lo_cpu_threads *threads,
                      const void *const *inputs, float *output, void *scratch);
void lo_cpu_dense_free(lo_cpu_dense *dense);

/* a / b rounded up, for a >= 0 and b > 0. */
static inline int64_t lo_cpu_ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* Items (pixels, rows) per unit of work: a multiple of block (a block's rows) worth about 16K
 * lane multiply-adds, so a tiny step stays on one thread and a large one splits finely. */
int64_t lo_cpu_chunk(int64_t items, int64_t block, int64_t work_per_item);

#endif
