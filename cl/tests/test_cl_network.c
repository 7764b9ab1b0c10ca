/* The whole-plan kernel (cl_network.c): when it is chosen, and that a plan run through it
 * computes what the same plan computes as one launch per step and what the host computes.
 *
 * The plan: Y = Softmax(Relu(X) + bias) over [ROWS, COLS]: three small steps, the shape of
 * plan the automatic choice takes on a CPU device (little work per launch saved). */
#include <math.h>
#include <string.h>

#include "backend.h"
#include "cl_internal.h"
#include "test_util.h"

enum { ROWS = 2, COLS = 64, COUNT = ROWS * COLS };

static float x[COUNT], bias[COLS];

/* Offsets in the arena: X at 0, the sum at 1024, Y at 2048 (aligned for any device). */
static void make_plan(lo_plan *plan, lo_step steps[3], lo_plan_constant *constant)
{
    memset(steps, 0, 3 * sizeof *steps);
    *constant = (lo_plan_constant){"bias", 77, bias, sizeof bias, LO_DTYPE_FLOAT, {1, {COLS}}};
    const lo_shape shape = {2, {ROWS, COLS}};
    const lo_tensor_ref x_ref = {LO_BUFFER_ARENA, LO_DTYPE_FLOAT, 0, 0, shape};
    lo_tensor_ref relu_ref = x_ref, sum_ref = x_ref, y_ref = x_ref;
    relu_ref.offset = 1024;
    sum_ref.offset = 1024; /* in place over Relu's output */
    y_ref.offset = 2048;

    steps[0].kind = LO_STEP_UNARY;
    steps[0].node_name = "relu";
    snprintf(steps[0].label, sizeof steps[0].label, "Relu");
    steps[0].params.unary = (lo_unary_params){.op = LO_ACT_RELU};
    steps[0].num_inputs = 1;
    steps[0].inputs[0] = x_ref;
    steps[0].output = relu_ref;

    steps[1].kind = LO_STEP_BINARY;
    steps[1].node_name = "add";
    snprintf(steps[1].label, sizeof steps[1].label, "Add");
    steps[1].params.binary = (lo_binary_params){.op = LO_BIN_ADD};
    steps[1].params.binary.a_strides[0] = COLS;
    steps[1].params.binary.a_strides[1] = 1;
    steps[1].params.binary.b_strides[1] = 1; /* bias broadcast over the rows */
    steps[1].num_inputs = 2;
    steps[1].inputs[0] = relu_ref;
    steps[1].inputs[1] = (lo_tensor_ref){LO_BUFFER_CONSTANT, LO_DTYPE_FLOAT, 0, 0, {1, {COLS}}};
    steps[1].output = sum_ref;

    steps[2].kind = LO_STEP_SOFTMAX;
    steps[2].node_name = "softmax";
    snprintf(steps[2].label, sizeof steps[2].label, "Softmax");
    steps[2].params.softmax = (lo_softmax_params){.outer = ROWS, .axis_len = COLS, .inner = 1};
    steps[2].num_inputs = 1;
    steps[2].inputs[0] = sum_ref;
    steps[2].output = y_ref;

    memset(plan, 0, sizeof *plan);
    plan->steps = steps;
    plan->num_steps = 3;
    plan->arena_bytes = 2048 + sizeof(float) * COUNT;
    plan->constants = constant;
    plan->num_constants = 1;
    plan->inputs = &steps[0].inputs[0];
    plan->num_inputs = 1;
    plan->outputs = &steps[2].output;
    plan->num_outputs = 1;
}

static void reference(double out[COUNT])
{
    for (int r = 0; r < ROWS; r++) {
        double v[COLS], top = -INFINITY, sum = 0.0;
        for (int c = 0; c < COLS; c++) {
            v[c] = fmax((double)x[r * COLS + c], 0.0) + bias[c];
            top = fmax(top, v[c]);
        }
        for (int c = 0; c < COLS; c++)
            sum += exp(v[c] - top);
        for (int c = 0; c < COLS; c++)
            out[r * COLS + c] = exp(v[c] - top) / sum;
    }
}

/* Prepares the plan with the context's current mode, runs it, and checks Y. */
static void run_plan(const lo_backend *be, lo_backend_context *ctx, const lo_plan *plan,
                     const double want[COUNT], float got[COUNT])
{
    lo_error err;
    lo_backend_buffer *arena = NULL;
    lo_prepared *prepared = NULL;
    CHECK_OK(be->buffer_alloc(ctx, plan->arena_bytes, &arena, &err), &err);
    if (arena) CHECK_OK(be->prepare(ctx, plan, arena, &prepared, &err), &err);
    if (prepared) {
        const void *inputs[1] = {x};
        void *outputs[1] = {got};
        CHECK_OK(be->run(prepared, inputs, outputs, NULL, &err), &err);
        for (int i = 0; i < COUNT; i++)
            CHECK_MSG(fabs(got[i] - want[i]) <= 1e-6 + 1e-5 * fabs(want[i]),
                      "output %d: %g, expected %g", i, got[i], want[i]);
        be->release(prepared);
    }
    if (arena) be->buffer_free(arena);
}

int main(void)
{
    const lo_backend *be = lo_opencl_backend();
    lo_error err;
    lo_backend_context *ctx = NULL;
    CHECK_OK(be->open(0, &ctx, &err), &err);
    if (!ctx) return lo_test_exit_code();
    uint32_t state = 2026;
    for (int i = 0; i < COUNT; i++) {
        state = state * 1664525u + 1013904223u;
        x[i] = (float)(state >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
        if (i < COLS) bias[i] = (float)(state >> 12) / (float)(1u << 20) - 0.5f;
    }
    double want[COUNT];
    reference(want);
    lo_plan plan;
    lo_step steps[3];
    lo_plan_constant constant;
    make_plan(&plan, steps, &constant);
    char why[LENET_ONNX_MESSAGE_SIZE];

    /* Automatic: taken on a CPU device (little work per launch saved), never profiled, never
     * for one step (no launch to save). */
    ctx->network = LO_CL_NETWORK_AUTO;
    const bool cpu = (ctx->type & CL_DEVICE_TYPE_CPU) != 0;
    CHECK_MSG(lo_cl_network_choose(ctx, &plan, why, sizeof why) == cpu,
              "automatic choice on a %s device: %s", cpu ? "CPU" : "non-CPU", why);
    plan.profiling = true;
    CHECK_MSG(!lo_cl_network_choose(ctx, &plan, why, sizeof why) && strstr(why, "profiled"),
              "a profiled plan: %s", why);
    plan.profiling = false;
    plan.num_steps = 1;
    CHECK_MSG(!lo_cl_network_choose(ctx, &plan, why, sizeof why), "one step was taken");
    plan.num_steps = 3;

    /* Forced on, also for one step; forced off. */
    ctx->network = LO_CL_NETWORK_ON;
    plan.num_steps = 1;
    CHECK_MSG(lo_cl_network_choose(ctx, &plan, why, sizeof why), "forced, one step: %s", why);
    plan.num_steps = 3;
    ctx->network = LO_CL_NETWORK_OFF;
    CHECK_MSG(!lo_cl_network_choose(ctx, &plan, why, sizeof why), "forced off, yet chosen");

    /* A step without a work-group form keeps the plan on its launches, naming the node. */
    ctx->network = LO_CL_NETWORK_ON;
    const lo_step add = steps[1];
    steps[1].kind = LO_STEP_TRANSPOSE;
    CHECK_MSG(!lo_cl_network_choose(ctx, &plan, why, sizeof why) && strstr(why, "'add'"),
              "a Transpose step: %s", why);
    steps[1] = add;

    /* The same plan through the network kernel and as one launch per step. */
    float network[COUNT], launches[COUNT];
    ctx->network = LO_CL_NETWORK_ON;
    run_plan(be, ctx, &plan, want, network);
    ctx->network = LO_CL_NETWORK_OFF;
    run_plan(be, ctx, &plan, want, launches);
    for (int i = 0; i < COUNT; i++)
        CHECK_MSG(fabs(network[i] - launches[i]) <= 1e-6f, "output %d: %g in one kernel, %g apart",
                  i, network[i], launches[i]);
    be->close(ctx);
    return lo_test_exit_code();
}
