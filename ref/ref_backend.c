/* The host reference backend: the plain-C ops of ref_ops.c behind the backend vtable, on one
 * CPU "device" whose buffers are host memory. It is the oracle every other backend is tested
 * against, and a backend that runs anywhere. Its ops share no code with any other backend.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "backend.h"
#include "host_backend.h"
#include "ref_ops.h"

struct lo_backend_context {
    lenet_onnx_device_desc desc;
};

/* What run needs of one step: the step (node name copied), where each input is read. */
typedef struct lo_ref_launch {
    lo_step step;
    char node_name[128];
    const unsigned char *inputs[LO_STEP_MAX_INPUTS];
    unsigned char *output;
    size_t output_bytes;
} lo_ref_launch;

struct lo_prepared {
    lo_ref_launch *launches;
    int num_launches;
    void **constants; /* host copies of the constants some step reads, else NULL */
    int num_constants;
    uint64_t constant_bytes; /* the bytes of those copies */
    unsigned char *scratch;  /* each step writes here first: outputs may alias their inputs */
    lo_host_io *inputs, *outputs;
    int num_inputs, num_outputs;
};

/* ---- the device ---- */

static void describe_host(lenet_onnx_device_desc *desc)
{
    lo_host_describe(desc, "host reference (plain C)", "lenet-onnx reference ops",
                     LO_HOST_ALIGNMENT);
}

static lo_status ref_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                                  lo_error *err)
{
    return lo_host_list_one(devices, capacity, count, describe_host, err);
}

static lo_status ref_open(uint32_t index, lo_backend_context **out, lo_error *err)
{
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "open: out is NULL");
    *out = NULL;
    if (index != 0)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "reference backend device index %u out of range: it has 1 device",
                       (unsigned)index);
    lo_backend_context *ctx = lo_calloc(1, sizeof *ctx);
    if (!ctx) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory opening the host device");
    describe_host(&ctx->desc);
    *out = ctx;
    return LO_OK;
}

static void ref_close(lo_backend_context *ctx)
{
    lo_free(ctx);
}

static void ref_device_info(const lo_backend_context *ctx, lenet_onnx_device_desc *out)
{
    *out = ctx->desc;
}

static size_t ref_alignment(const lo_backend_context *ctx)
{
    (void)ctx;
    return LO_HOST_ALIGNMENT;
}

/* The ops run every valid step. */
static lo_status ref_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx;
    (void)step;
    (void)err;
    return LO_OK;
}

/* ---- prepared plans ---- */

static void ref_release(lo_prepared *prepared)
{
    if (!prepared) return;
    for (int i = 0; i < prepared->num_constants; i++)
        lo_free(prepared->constants[i]);
    lo_free(prepared->constants);
    lo_free(prepared->launches);
    lo_free(prepared->scratch);
    lo_free(prepared->inputs);
    lo_free(prepared->outputs);
    lo_free(prepared);
}

/* The host copy of a constant a step reads, made on first use. */
static lo_status place_constant(lo_prepared *prepared, const lo_plan *plan,
                                const lo_tensor_ref *ref, const char *what,
                                const unsigned char **at, lo_error *err)
{
    const lo_plan_constant *c = NULL;
    const lo_status found = lo_host_find_constant(plan, ref, what, &c, err);
    if (found != LO_OK) return found;
    const size_t bytes = c->bytes;
    void **copy = &prepared->constants[ref->constant];
    if (!*copy) {
        *copy = lo_malloc(bytes ? bytes : 1);
        if (!*copy)
            return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory copying constant '%s' (%zu bytes)",
                           c->name ? c->name : "?", bytes);
        if (bytes > 0) memcpy(*copy, c->data, bytes);
        prepared->constant_bytes += bytes;
    }
    *at = *copy;
    return LO_OK;
}

static lo_status prepare_step(lo_prepared *prepared, const lo_plan *plan,
                              const lo_backend_buffer *arena, int index, lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_ref_launch *launch = &prepared->launches[index];
    const lo_step *step = &plan->steps[index];
    launch->step = *step;
    snprintf(launch->node_name, sizeof launch->node_name, "%s",
             step->node_name ? step->node_name : "?");
    launch->step.node_name = launch->node_name;
    lo_status status = LO_OK;
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++) {
        const lo_tensor_ref *ref = &step->inputs[i];
        if (ref->buffer == LO_BUFFER_CONSTANT) {
            status = place_constant(prepared, plan, ref, names[i], &launch->inputs[i], err);
        } else {
            unsigned char *at = NULL;
            size_t bytes = 0;
            status = lo_host_place(lo_host_of(arena), ref, names[i], &at, &bytes, err);
            launch->inputs[i] = at;
        }
    }
    if (status == LO_OK)
        status = lo_host_place(lo_host_of(arena), &step->output, "the output", &launch->output,
                               &launch->output_bytes, err);
    if (status != LO_OK) lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name, step->label);
    return status;
}

static lo_status ref_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                             lo_prepared **out, lo_error *err)
{
    lo_prepared *prepared = NULL;
    if (!ctx || !out) return lo_fail(err, LO_ERR_ARGUMENT, "prepare: NULL context or out");
    *out = NULL;
    lo_status status = lo_host_check_plan(plan, arena ? lo_host_of(arena) : NULL, err);
    if (status != LO_OK) return status;
    prepared = lo_calloc(1, sizeof *prepared);
    if (!prepared) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing a plan");
    prepared->launches = lo_calloc((size_t)plan->num_steps + 1, sizeof *prepared->launches);
    prepared->constants = lo_calloc((size_t)plan->num_constants + 1, sizeof *prepared->constants);
    prepared->inputs = lo_calloc((size_t)plan->num_inputs + 1, sizeof *prepared->inputs);
    prepared->outputs = lo_calloc((size_t)plan->num_outputs + 1, sizeof *prepared->outputs);
    if (!prepared->launches || !prepared->constants || !prepared->inputs || !prepared->outputs) {
        status =
            lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing %d steps", plan->num_steps);
        goto done;
    }
    prepared->num_constants = plan->num_constants; /* what release frees, once it exists */
    size_t scratch_bytes = 1;
    for (int i = 0; i < plan->num_steps && status == LO_OK; i++) {
        status = prepare_step(prepared, plan, arena, i, err);
        prepared->num_launches = i + 1;
        if (prepared->launches[i].output_bytes > scratch_bytes)
            scratch_bytes = prepared->launches[i].output_bytes;
    }
    if (status == LO_OK)
        status =
            lo_host_place_io(plan, lo_host_of(arena), prepared->inputs, prepared->outputs, err);
    prepared->num_inputs = plan->num_inputs;
    prepared->num_outputs = plan->num_outputs;
    if (status != LO_OK) goto done;
    prepared->scratch = lo_malloc(scratch_bytes);
    if (!prepared->scratch)
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory for a %zu-byte step output",
                         scratch_bytes);
done:
    if (status != LO_OK) {
        ref_release(prepared);
        prepared = NULL;
    }
    *out = prepared;
    return status;
}

static lo_status ref_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                         double *step_ms, lo_error *err)
{
    if (!prepared) return lo_fail(err, LO_ERR_ARGUMENT, "run: prepared plan is NULL");
    const lo_status begun =
        lo_host_begin_run(prepared->inputs, prepared->num_inputs, inputs, prepared->outputs,
                          prepared->num_outputs, outputs, err);
    if (begun != LO_OK) return begun;
    for (int s = 0; s < prepared->num_launches; s++) {
        const lo_ref_launch *launch = &prepared->launches[s];
        const double start = step_ms ? lo_host_now_ms() : 0.0;
        const void *ins[LO_STEP_MAX_INPUTS];
        for (int i = 0; i < launch->step.num_inputs; i++)
            ins[i] = launch->inputs[i];
        if (ref_run_step(&launch->step, ins, prepared->scratch) != 0)
            return lo_fail(err, LO_ERR_MODEL, "node '%s' (%s): the reference op refused: %s",
                           launch->node_name, launch->step.label, ref_error());
        if (launch->output_bytes > 0)
            memcpy(launch->output, prepared->scratch, launch->output_bytes);
        if (step_ms) step_ms[s] = lo_host_now_ms() - start;
    }
    lo_host_end_run(prepared->outputs, prepared->num_outputs, outputs);
    return LO_OK;
}

static uint64_t ref_constant_bytes(const lo_prepared *prepared)
{
    return prepared ? prepared->constant_bytes : 0;
}

const lo_backend *lo_ref_backend(void)
{
    static const lo_backend backend = {
        .api_version = LO_BACKEND_API_VERSION,
        .name = "ref",
        .summary = "plain-C reference ops on the host CPU (the test oracle)",
        .list_devices = ref_list_devices,
        .open = ref_open,
        .close = ref_close,
        .device_info = ref_device_info,
        .alignment = ref_alignment,
        .supports = ref_supports,
        .buffer_alloc = lo_host_slot_buffer_alloc,
        .buffer_free = lo_host_slot_buffer_free,
        .buffer_write = lo_host_slot_buffer_write,
        .buffer_read = lo_host_slot_buffer_read,
        .prepare = ref_prepare,
        .run = ref_run,
        .release = ref_release,
        .constant_bytes = ref_constant_bytes,
    };
    return &backend;
}
