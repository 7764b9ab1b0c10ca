/* What the files of the kernel test share: the backend under test and the reference backend
 * (ref/, the oracle), both reached through the backend vtable by name; random numbers; failure
 * reports; and batches of random one-step cases, each run on both backends and compared.
 *
 * One file per concern: kernel_harness.c (this header's code), kernel_oracle.c (the oracle's
 * own checks against hand-worked values), kernel_validate.c (the core's step validation),
 * kernel_window.c, kernel_matrix.c, kernel_eltwise.c and kernel_layout.c (random steps per
 * family), kernel_net.c (multi-step plans) and test_kernels.c (main).
 */
#ifndef LO_KERNEL_HARNESS_H
#define LO_KERNEL_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "ref_ops.h"
#include "step_validate.h"
#include "test_util.h"

#define BATCH_STEPS 50
#define MAX_ALLOCS  (BATCH_STEPS * 8)
#define TOLERANCE   1e-4

/* The backend under test and the reference backend, each with its device open. */
extern const lo_backend *be;
extern lo_backend_context *ctx;
extern const lo_backend *ref_be;
extern lo_backend_context *ref_ctx;
extern size_t align_bytes; /* arena offsets: a multiple of both backends' alignments */
extern ref_rng rng;
extern double worst_error; /* largest |got - want| / max(1, |want|) in the current group */

/* test_util.h counts checks per file; every file of this test registers its counters (a
 * constructor below), and these sum them. */
void kernel_counters_add(int *checks, int *failures);
int kernel_failures(void);
int kernel_exit_code(void);
static void kernel_register_counters(void) __attribute__((constructor));
static void kernel_register_counters(void)
{
    kernel_counters_add(&lo_test_checks, &lo_test_failures);
}

/* Counts a failure; true when it should still be described in full. */
bool report_failure(void);

double now_s(void);
int64_t rint_(int64_t lo, int64_t hi); /* uniform in [lo, hi] */
bool chance(double p);
/* An activation a Conv or Gemm step may end with: none or ReLU mostly, now and then Sigmoid,
 * Tanh, LeakyRelu or Clip, the last two with parameters in *args (zeroed for the others). */
lo_activation random_fused_activation(lo_activation_args *args);
/* "Conv", "Conv+Relu", "Gemm+Tanh": the label the scheduler would give. */
void step_label(lo_step *st, const char *op, lo_activation activation);
void *xmalloc(size_t bytes); /* exits on failure: the test cannot go on */
size_t round_up(size_t v, size_t a);
size_t ref_bytes(const lo_tensor_ref *r);
const char *kind_name(lo_step_kind kind);
/* Everything about a step, for a failure message that reproduces the case by itself. */
void describe_step(const lo_step *st);
/* Compares a step's output with the reference backend's; true when they agree. */
bool compare_output(const char *what, const lo_step *st, const void *got, const void *want);
lo_conv_params conv_params(int64_t group, int64_t kh, int64_t kw);

/* ---- random shapes ---- */

lo_shape random_shape(int64_t max_numel);        /* rank 0..4 */
lo_shape small_shape(int rank, int64_t max_dim); /* dims 1..max_dim */
lo_shape factor_shape(int64_t numel, int rank);  /* exactly numel elements */
/* Dense strides of `in` placed with its axis 0 at output axis `at`; 0 where in has a 1 or
 * lacks the axis. */
void test_strides(const lo_shape *in, int at, int64_t strides[LO_MAX_RANK]);

/* ---- batches of one-step cases ---- */

/* Steps placed side by side in one arena, each input either in the arena (a graph input) or a
 * plan constant of its own; run as one plan on both backends. */
typedef struct batch {
    lo_step steps[BATCH_STEPS];
    char names[BATCH_STEPS][32];
    int num_steps;
    lo_tensor_ref plan_inputs[BATCH_STEPS * LO_STEP_MAX_INPUTS];
    const void *plan_input_data[BATCH_STEPS * LO_STEP_MAX_INPUTS];
    int num_plan_inputs;
    lo_tensor_ref plan_outputs[BATCH_STEPS + 1]; /* + a graph output held in a constant */
    lo_plan_constant constants[BATCH_STEPS * LO_STEP_MAX_INPUTS];
    int num_constants;
    size_t arena_bytes;
    void *allocs[MAX_ALLOCS];
    int num_allocs;
} batch;

/* A step under construction: shapes, dtypes and host data set, placement still to do. */
typedef struct pending {
    lo_step st;
    const void *data[LO_STEP_MAX_INPUTS];
    lo_buffer_id where[LO_STEP_MAX_INPUTS];
    /* The output shares an input's region, as step.h allows for Unary, Copy, BatchNorm (input
     * 0) and Binary (input 0 or 1, laid out as the output). */
    bool in_place;
    int in_place_input;
} pending;

/* Never the same twice: a backend may share the upload of constants of the same id. */
uint64_t new_constant_id(void);
void *batch_alloc(batch *b, size_t bytes);
float *random_f32(batch *b, int64_t n, float lo, float hi);
void *random_data(batch *b, lo_dtype dtype, int64_t n);
/* Input i of the pending step; in the arena with probability p_arena, else a constant. */
void set_input(pending *pc, int i, lo_dtype dtype, lo_shape shape, const void *data,
               double p_arena);
/* Places the pending step's tensors and adds it; a step the core's validation or either
 * backend rejects is a failure and is left out of the plan. */
void batch_add(batch *b, pending *pc);
void batch_reset(batch *b);
/* Prepares the batch on both backends, then runs it: every output against the reference,
 * the arena outside the outputs untouched, constants uploaded (their host bytes are scribbled
 * over after prepare), a graph output held in a constant left to the core, and a second run
 * bit-identical. */
void run_batch(batch *b, const char *what);

/* ---- the generators, one file per family ---- */

void gen_conv(batch *b, int index);
void gen_conv_pool(batch *b, int index);  /* Conv with a MaxPool epilogue */
void gen_conv_layer(batch *b, int index); /* the fixture models' conv layers, in turn */
void gen_pool(batch *b, lo_step_kind kind, lo_dtype dtype);
void gen_gemm(batch *b, int index);
void gen_gemm_chain(batch *b, int index); /* Gemms in turn: a classifier head */
void gen_matmul(batch *b);
void gen_unary(batch *b);
void gen_activation(batch *b, int index);
void gen_binary(batch *b, int index);
void gen_softmax(batch *b, int index);
void gen_batchnorm(batch *b);
void gen_copy(batch *b);
void gen_pad(batch *b);
void gen_concat(batch *b);
void gen_transpose(batch *b);

/* ---- the other groups of checks ---- */

void oracle_self_checks(void);
void validator_checks(void);
void multi_step_tests(void);

/* Generated steps the backend under test refused as an optional fusion (a pool epilogue, a
 * Gemm chain). */
extern int refused_optional;

#endif
