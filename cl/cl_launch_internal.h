/* What the per-family files of cl/cl_launch_*.c share: the helpers of cl_launch.c (messages,
 * argument binding, sizes) and each family's prepare entry point, which the dispatch of
 * cl_launch.c calls. A new step kind adds one cl_launch_<family>.c entry here (and its limits
 * to cl_supports.c).
 */
#ifndef LO_CL_LAUNCH_INTERNAL_H
#define LO_CL_LAUNCH_INTERNAL_H

#include "cl_internal.h"

/* Work-items per group of the one-item-per-element kernels: a multiple of every common SIMD
 * width (8, 16, 32, 64) and few enough to split small grids over several cores. */
#define LO_CL_FLAT_LOCAL 64

/* Binds arguments in order, keeping the first failure so a launch is set up in one run. */
typedef struct lo_cl_args {
    cl_kernel kernel;
    cl_uint next;
    cl_int rc;
    cl_uint failed;
} lo_cl_args;

/* A tensor as kernel arguments: its buffer and its offset in elements. */
typedef struct lo_cl_tensor {
    cl_mem mem;
    int64_t offset; /* elements */
} lo_cl_tensor;

/* ---- cl_launch.c: messages ---- */

/* "node 'conv1' (Conv+Relu): " + the formatted text. */
lo_status lo_cl_step_fail(lo_error *err, const lo_step *step, lo_status status, const char *fmt,
                          ...) LO_PRINTF(4, 5);
const char *lo_cl_shape_text(const lo_shape *shape, char *buf, size_t size);
bool lo_cl_fits_int(int64_t value);

/* ---- cl_launch.c: kernels, arguments and sizes ---- */

void lo_cl_arg_raw(lo_cl_args *args, size_t size, const void *value);
void lo_cl_arg_mem(lo_cl_args *args, cl_mem mem);
void lo_cl_arg_int(lo_cl_args *args, int64_t value);
void lo_cl_arg_float(lo_cl_args *args, float value);
/* A fused activation as activation.cl's float4 `act`: (op, alpha, min, max). */
void lo_cl_arg_activation(lo_cl_args *args, lo_activation act, const lo_activation_args *a);
void lo_cl_arg_axes8(lo_cl_args *args, int rank, const int64_t *values, cl_int fill);
lo_status lo_cl_place_tensor(const lo_step *step, const lo_cl_buffers *buffers,
                             const lo_tensor_ref *ref, const char *what, lo_cl_tensor *out,
                             lo_error *err);
/* The plan's host bytes of a constant input, for re-layouts during prepare only. */
const void *lo_cl_constant_host(const lo_cl_buffers *buffers, const lo_tensor_ref *ref);
lo_status lo_cl_bind_tensors(const lo_step *step, const lo_cl_buffers *buffers, int count,
                             lo_cl_args *args, lo_error *err);
lo_status lo_cl_make_kernel(lo_backend_context *ctx, const lo_step *step, const char *program_name,
                            const char *options, const char *kernel_name, cl_kernel *out,
                            lo_error *err);
lo_status lo_cl_set_sizes(const lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                          cl_uint dims, const size_t items[3], size_t want_local, lo_error *err);
/* lo_cl_set_sizes with groups of the SIMD width the kernel prefers (a small group spreads even
 * batch 1 over the cores): the register-blocked kernels' sizing. */
lo_status lo_cl_set_sizes_preferred(const lo_backend_context *ctx, const lo_step *step,
                                    lo_cl_launch *launch, cl_uint dims, const size_t items[3],
                                    lo_error *err);
/* As lo_cl_finish_flat for a 3-D grid of items[0] x items[1] x items[2], one item per element
 * (the kernel indexes by axis, dividing nothing), groups along the first axis. */
lo_status lo_cl_finish_grid(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                            const lo_cl_args *args, const char *name, const size_t items[3],
                            lo_error *err);
lo_status lo_cl_finish_flat(lo_backend_context *ctx, const lo_step *step, lo_cl_launch *launch,
                            const lo_cl_args *args, const char *name, int64_t items, lo_error *err);
/* Uploads a launch's re-laid-out constant as the context's shared copy of key (check
 * lo_cl_constant_acquire first: a hit needs no re-layout); *out holds one reference. */
lo_status lo_cl_create_constant_buffer(lo_backend_context *ctx, const lo_step *step,
                                       const lo_cl_constant_key *key, const float *data,
                                       size_t count, cl_mem *out, lo_error *err);
int lo_cl_vector_width(const lo_backend_context *ctx);
bool lo_cl_blocked_allowed(const lo_backend_context *ctx);

/* ---- cl_launch_conv.c ---- */

/* Whether the Conv launch reads input `input` plain (else only its own re-laid-out copy). */
bool lo_cl_conv_reads_plain(const lo_backend_context *ctx, const lo_step *step, int input);
lo_status lo_cl_prepare_conv(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);

/* ---- cl_launch_pool.c ---- */

lo_status lo_cl_prepare_pool(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);
lo_status lo_cl_prepare_avgpool(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);

/* ---- cl_launch_gemm.c ---- */

/* Strides of C (shape c) over the Gemm's [M, N]: 0 along a broadcast axis. */
void lo_cl_gemm_c_strides(const lo_shape *c, int64_t *sm, int64_t *sn);
/* Whether the launch runs gemm_blocked, reading B re-laid out, not plain. */
bool lo_cl_gemm_blocked(const lo_backend_context *ctx, const lo_step *step);
lo_status lo_cl_prepare_gemm(lo_backend_context *ctx, const lo_step *step,
                             const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);
/* Gemm chains (cl_launch_chain.c): what the kernel cannot run, and its launch. */
lo_status lo_cl_chain_supported(const lo_backend_context *ctx, const lo_step *step, lo_error *err);
lo_status lo_cl_prepare_chain(lo_backend_context *ctx, const lo_step *step,
                              const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);
lo_status lo_cl_prepare_matmul(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);

/* ---- cl_launch_tiled.c ---- */

/* The tiled kernels, each taking the arguments of its direct kernel (conv2d_direct,
 * conv2d_direct_pool, gemm_direct). */
typedef enum lo_cl_tiled_kind {
    LO_CL_TILED_GEMM,
    LO_CL_TILED_CONV,
    LO_CL_TILED_CONV_POOL,
} lo_cl_tiled_kind;

/* Sets the launch's kernel, variant and sizes to the kernel a GPU runs for `layers` products
 * of rows x cols outputs, each a sum of `depth` products (Conv: a group's channels x the
 * batch's pixels, one layer per group, Cg x KH x KW deep; Gemm: M x N, one layer, K deep):
 * the tiled kernel of `kind` where the grid has tiles enough to fill the device, else the
 * reduce kernel (cl_launch_reduce.c); LENET_ONNX_CL_TILED=1 and LENET_ONNX_CL_REDUCE=1 force
 * one. Its arguments are left to the caller. False, with launch->kernel NULL and the reason in
 * the trace, when the device cannot run either or does not build it: the caller takes the
 * direct kernel. */
bool lo_cl_prepare_tiled(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                         int64_t rows, int64_t cols, int64_t layers, int64_t depth,
                         lo_cl_launch *launch);

/* The reduce kernel of `kind` for `outputs` values of `depth` products each: one work-group per
 * value (cl_launch_reduce.c). False, with launch->kernel NULL, where it does not build or
 * run. */
bool lo_cl_prepare_reduce(lo_backend_context *ctx, const lo_step *step, lo_cl_tiled_kind kind,
                          int64_t outputs, int64_t depth, lo_cl_launch *launch);

/* ---- cl_launch_eltwise.c ---- */

lo_status lo_cl_prepare_elementwise(lo_backend_context *ctx, const lo_step *step,
                                    const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                    lo_error *err);
/* Whether a Binary step's inputs are both laid out as its output (element i read at i). */
bool lo_cl_binary_direct(const lo_step *step);
lo_status lo_cl_prepare_binary(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);
lo_status lo_cl_prepare_softmax(lo_backend_context *ctx, const lo_step *step,
                                const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);
lo_status lo_cl_prepare_batchnorm(lo_backend_context *ctx, const lo_step *step,
                                  const lo_cl_buffers *buffers, lo_cl_launch *launch,
                                  lo_error *err);

/* ---- cl_launch_layout.c ---- */

lo_status lo_cl_prepare_layout(lo_backend_context *ctx, const lo_step *step,
                               const lo_cl_buffers *buffers, lo_cl_launch *launch, lo_error *err);

#endif
