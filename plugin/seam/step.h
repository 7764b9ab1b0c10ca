/* Planned steps: what a backend runs. A step is one kernel launch with every shape and
 * attribute resolved to plain C values and every tensor placed in the arena at an offset, or
 * named as one of the plan's constants. The same structs drive the reference backend (ref/),
 * so a kernel test compares a backend and the oracle on the very same description.
 *
 * In place: UNARY, COPY and BATCHNORM may be planned with the output at input 0's offset, and
 * BINARY at input 0's or 1's (same size as the output); every backend's kernels for them read
 * element i of that input before writing element i of the output, and nothing else of it.
 *
 * Step tensors are densely packed, row-major, with shapes fully static, and fp32 unless a
 * step kind says otherwise (MaxPool and Copy also take uint8; their input and output types
 * are then equal).
 */
#ifndef LO_STEP_H
#define LO_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor_shape.h"

typedef enum lo_step_kind {
    LO_STEP_CONV = 1,  /* in: X [N,C,H,W], W [M,C/group,KH,KW], optional B [M]; out [N,M,OH,OW] */
    LO_STEP_MAXPOOL,   /* in: X [N,C,H,W]; out [N,C,OH,OW] */
    LO_STEP_GEMM,      /* in: A, B, optional C (broadcastable to [M,N]); out [M,N] */
    LO_STEP_UNARY,     /* in: X, then Clip's bounds (see lo_unary_params); out same shape */
    LO_STEP_COPY,      /* in: X; out same number of elements: a plain copy */
    LO_STEP_AVGPOOL,   /* in: X [N,C,H,W]; out [N,C,OH,OW]: lo_pool_params, float only */
    LO_STEP_PAD,       /* in: X; out same rank: lo_pad_params, float only */
    LO_STEP_CONCAT,    /* in: 1..LO_STEP_MAX_INPUTS tensors; out: lo_concat_params, float only */
    LO_STEP_TRANSPOSE, /* in: X; out X's dims permuted: lo_transpose_params, float only */
    LO_STEP_BINARY,    /* in: A, B, each read through broadcast strides; out: the result shape */
    LO_STEP_SOFTMAX,   /* in: X; out same shape: (log-)softmax over one axis of [outer,len,inner] */
    /* in: X, scale, B, mean, var (channels values each); out same shape */
    LO_STEP_BATCHNORM,
    LO_STEP_MATMUL, /* in: A [...,M,K], B [...,K,N] (batch read through strides); out */
    /* in: A [M,K], then each layer's B and optional C; out [M,N of the last layer] */
    LO_STEP_GEMM_CHAIN,
} lo_step_kind;

/* An element-wise function applied to a value; also fused into the end of Conv and Gemm. */
typedef enum lo_activation {
    LO_ACT_NONE = 0,
    LO_ACT_RELU,
    LO_ACT_SIGMOID,    /* 1 / (1 + exp(-x)) */
    LO_ACT_TANH,       /* tanh(x) */
    LO_ACT_LEAKY_RELU, /* x < 0 ? alpha * x : x */
    LO_ACT_CLIP,       /* min(max(x, min), max); absent bounds are -inf / +inf */
} lo_activation;

/* The parameters of an activation fused into Conv or Gemm: alpha for LeakyRelu, min and max
 * for Clip (the max wins where min > max; absent bounds are -inf / +inf; the core fuses a Clip
 * only where its bounds are constants). 0 where the activation takes none. */
typedef struct lo_activation_args {
    float alpha;
    float min;
    float max;
} lo_activation_args;

/* Output size per axis is the output tensor's shape: ceil_mode and auto_pad are already
 * resolved into it and into the pads. Windows that run past the padded input are clipped.
 * AVGPOOL divides by the window positions inside the padded input (count_include_pad) or
 * inside the input only; MAXPOOL ignores count_include_pad. */
typedef struct lo_pool_params {
    int64_t kernel[2];
    int64_t stride[2];
    int64_t dilation[2];
    int64_t pad_begin[2];
    int64_t pad_end[2];
    bool count_include_pad;
} lo_pool_params;

/* has_pool: a MaxPool epilogue. The convolution (with its activation) yields [N,M,OH,OW],
 * OH and OW its floor window sizes (lo_conv_full_shape); that tensor is never stored: the
 * step's output is MaxPool(pool) over it, [N,M,PH,PW], exactly as a MAXPOOL step would write.
 * The core fuses only where the conv's output has no other reader and is not a graph output,
 * and only when the backend's supports() accepts the fused step; otherwise it plans Conv and
 * MaxPool as two steps. Labels say "Conv+Relu+MaxPool". */
typedef struct lo_conv_params {
    int64_t group;
    int64_t kernel[2];    /* KH, KW (also W's last two dims) */
    int64_t stride[2];    /* H, W */
    int64_t dilation[2];  /* H, W */
    int64_t pad_begin[2]; /* top, left */
    int64_t pad_end[2];   /* bottom, right */
    bool has_bias;
    lo_activation activation;
    lo_activation_args activation_args;
    bool has_pool;
    lo_pool_params pool; /* when has_pool (count_include_pad unused) */
} lo_conv_params;

/* Constant-mode padding: output dim d is in[d] + pad_begin[d] + pad_end[d]; element y[i] is
 * x[i - pad_begin] where that lies inside x, else value. Negative pads crop. */
typedef struct lo_pad_params {
    int64_t pad_begin[LO_MAX_RANK];
    int64_t pad_end[LO_MAX_RANK];
    float value;
} lo_pad_params;

/* The inputs joined along axis, in order; every other dim equal to the output's. */
typedef struct lo_concat_params {
    int axis;
} lo_concat_params;

/* Output dim d is input dim perm[d]. */
typedef struct lo_transpose_params {
    int perm[LO_MAX_RANK];
} lo_transpose_params;

/* Y = alpha * op(A) @ op(B) + beta * C, then the activation. A is [M,K] ([K,M] when trans_a),
 * B is [K,N] ([N,K] when trans_b). C, when present, has rank 0..2 and broadcasts to [M,N]
 * numpy-style: its shape says how. */
typedef struct lo_gemm_params {
    float alpha;
    float beta;
    bool trans_a;
    bool trans_b;
    bool has_c;
    lo_activation activation;
    lo_activation_args activation_args;
} lo_gemm_params;

/* Gemms applied in turn, each to the previous one's output: a classifier head in one step,
 * its intermediate rows never written. Layer 0 reads input 0 as A [M,K0]; layer l reads
 * inputs b_input[l] as B and, when layer[l].has_c, c_input[l] as C: constants, in that order.
 * Each layer is a Gemm as LO_STEP_GEMM defines it, with trans_a false and a C that broadcasts
 * along M only (one value, [N] or [1,N]). The core chains Gemms only where each
 * intermediate has no other reader and is not a graph output, for at most
 * LO_GEMM_CHAIN_MAX_ROWS rows (small batches: larger ones run faster as separate blocked
 * Gemms), and only when the backend's supports() accepts the chain. Labels say
 * "Gemm+Relu>Gemm+Relu>Gemm". */
#define LO_GEMM_CHAIN_MAX_LAYERS 3
#define LO_GEMM_CHAIN_MAX_ROWS   16
typedef struct lo_gemm_chain_params {
    int layers;
    lo_gemm_params layer[LO_GEMM_CHAIN_MAX_LAYERS];
    int b_input[LO_GEMM_CHAIN_MAX_LAYERS];
    int c_input[LO_GEMM_CHAIN_MAX_LAYERS]; /* 0 when the layer has no C */
} lo_gemm_chain_params;

/* An activation with its parameters: what a Unary step runs (a fused one carries them as
 * lo_activation_args). Fields an activation does not use are ignored. */
typedef struct lo_unary_params {
    lo_activation op;
    float alpha; /* LeakyRelu */
    float min;   /* Clip */
    float max;   /* Clip */
    /* Clip from version 11 takes its bounds as inputs: a bound only known at run time is read
     * from this step input (its one element) instead of min / max; 0 when not. */
    int min_input;
    int max_input;
} lo_unary_params;

typedef enum lo_binary_op {
    LO_BIN_ADD = 1,
    LO_BIN_SUB,
    LO_BIN_MUL,
    LO_BIN_DIV,
    LO_BIN_PRELU, /* A < 0 ? B * A : A (B is the slope) */
} lo_binary_op;

/* Y[i] = op(A[a_off(i)], B[b_off(i)]) where i runs over the output shape (rank = the output's
 * rank) and an input's offset is the sum of index * stride over the output's axes, a stride
 * being 0 along an axis the input is broadcast over. The strides encode numpy broadcasting and
 * ONNX's legacy axis-aligned form alike, so the kernel needs no shape logic. */
typedef struct lo_binary_params {
    lo_binary_op op;
    int64_t a_strides[LO_MAX_RANK];
    int64_t b_strides[LO_MAX_RANK];
} lo_binary_params;

/* X viewed as [outer, axis_len, inner]; (log-)softmax along the middle axis, max subtracted. */
typedef struct lo_softmax_params {
    int64_t outer;
    int64_t axis_len;
    int64_t inner;
    bool log;
} lo_softmax_params;

/* X viewed as [outer, channels, inner]; per channel c:
 * Y = (X - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c]. */
typedef struct lo_batchnorm_params {
    int64_t channels;
    int64_t inner;
    float epsilon;
} lo_batchnorm_params;

/* For each of `batch` matrices: Y[b] = A[b] @ B[b], A[b] row-major [M,K] at element offset
 * a_off(b), B[b] row-major [K,N] at b_off(b), Y dense [batch,M,N]. The batch index runs over
 * batch_dims (batch_rank of them, row-major); a_off and b_off are sums of index * stride, 0
 * along a broadcast batch axis. A 1-D operand is the matrix [1,K] or [K,1]. */
typedef struct lo_matmul_params {
    int64_t m, n, k;
    int batch_rank;
    int64_t batch_dims[LO_MAX_RANK];
    int64_t a_strides[LO_MAX_RANK];
    int64_t b_strides[LO_MAX_RANK];
} lo_matmul_params;

typedef enum lo_buffer_id {
    LO_BUFFER_ARENA = 0,    /* activations, graph inputs and outputs: (arena, offset) */
    LO_BUFFER_CONSTANT = 1, /* a constant of the plan: plan->constants[constant] */
} lo_buffer_id;

typedef struct lo_tensor_ref {
    lo_buffer_id buffer;
    lo_dtype dtype; /* LO_DTYPE_FLOAT unless the step kind allows otherwise */
    size_t offset;  /* LO_BUFFER_ARENA: bytes, a multiple of the backend's alignment() */
    int constant;   /* LO_BUFFER_CONSTANT: index into lo_plan.constants */
    lo_shape shape;
} lo_tensor_ref;

/* Concat of more run-time inputs than this is rejected at plan time; BatchNormalization
 * needs 5 (X, scale, B, mean, var). */
#define LO_STEP_MAX_INPUTS 8

typedef struct lo_step {
    lo_step_kind kind;
    const char *node_name; /* the ONNX node (the first one, when nodes were fused) */
    char label[64];        /* what ran, for plans and timings: "Conv+Relu", "MaxPool" */
    union {
        lo_conv_params conv;
        lo_pool_params pool;
        lo_gemm_params gemm;
        lo_unary_params unary;
        lo_pad_params pad;
        lo_concat_params concat;
        lo_transpose_params transpose;
        lo_binary_params binary;
        lo_softmax_params softmax;
        lo_batchnorm_params batchnorm;
        lo_matmul_params matmul;
        lo_gemm_chain_params gemm_chain;
    } params;
    lo_tensor_ref inputs[LO_STEP_MAX_INPUTS];
    int num_inputs;
    lo_tensor_ref output;
} lo_step;

/* A constant some step reads, as the model holds it: dense, row-major, shape and dtype as
 * every reference to it says. The bytes are the model's own (shared, never copied by the
 * core) and valid only until prepare() returns: a backend uploads what its kernels read, in
 * the layout they read it, and keeps no pointer to them. */
typedef struct lo_plan_constant {
    const char *name; /* the graph tensor, for messages */
    /* Identifies these bytes in the process, never reused: sessions of one model see the same
     * id for the same constant, so a backend may share one upload between them. */
    uint64_t id;
    const void *data;
    size_t bytes;
    lo_dtype dtype;
    lo_shape shape;
} lo_plan_constant;

/* Everything a backend needs to prepare and run one inference. Every step has been checked
 * and normalised by the core (shapes consistent with the kind's contract, windows and strides
 * in range, broadcasts resolved into strides); a backend only answers, in supports(), what
 * it cannot run. */
typedef struct lo_plan {
    const lo_step *steps;
    int num_steps;
    size_t arena_bytes;
    const lo_plan_constant *constants; /* only the constants some step reads */
    int num_constants;
    const lo_tensor_ref *inputs; /* where each graph input is written (always the arena) */
    int num_inputs;
    /* Where each graph output is read: the arena, or a constant (a graph whose output is
     * known at plan time), which the core copies itself: run() skips those. */
    const lo_tensor_ref *outputs;
    int num_outputs;
    bool profiling; /* nonzero: run() may be asked for per-step times */
} lo_plan;

const char *lo_activation_name(lo_activation activation);
const char *lo_binary_op_name(lo_binary_op op);

/* A CONV step's convolution output [N,M,OH,OW] before any pool epilogue (the step's output
 * shape when it has none): OH, OW are the floor window sizes of inputs[0] under the conv's
 * window. Rank 0 when the step is not a rank-4 CONV or its window does not fit. */
lo_shape lo_conv_full_shape(const lo_step *step);

/* Layer `layer` of a GEMM_CHAIN step: its input width K and output width N. */
void lo_gemm_chain_layer_dims(const lo_step *step, int layer, int64_t *k, int64_t *n);

/* Bytes of the tensor: elements times the dtype's size; 0 when unknown or too large. */
size_t lo_tensor_ref_bytes(const lo_tensor_ref *ref);

#endif
