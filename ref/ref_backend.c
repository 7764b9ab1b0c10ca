/* The host reference backend: the plain-C ops of ref_ops.c behind the backend vtable, on one
 * CPU "device" whose buffers are host memory. It is the oracle every other backend is tested
 * against, and a backend that runs anywhere. Its ops share no code with any other backend.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "backend.h"
#include "ref_ops.h"

/* Arena offsets are multiples of a cache line: more than the float alignment the ops need. */
#define LO_REF_ALIGNMENT 64u

struct lo_backend_context {
    lenet_onnx_device_desc desc;
};

struct lo_backend_buffer {
    unsigned char *data;
    size_t bytes;
};

/* What run needs of one step: the step (node name copied), where each input is read. */
typedef struct lo_ref_launch {
    lo_step step;
    char node_name[128];
    const unsigned char *inputs[LO_STEP_MAX_INPUTS];
    unsigned char *output;
    size_t output_bytes;
} lo_ref_launch;

/* A graph input or output in the arena; outputs held in a constant are skipped (bytes 0). */
typedef struct lo_ref_io {
    unsigned char *at;
    size_t bytes;
} lo_ref_io;

struct lo_prepared {
    lo_ref_launch *launches;
    int num_launches;
    void **constants; /* host copies of the constants some step reads, else NULL */
    int num_constants;
    uint64_t constant_bytes; /* the bytes of those copies */
    unsigned char *scratch;  /* each step writes here first: outputs may alias their inputs */
    lo_ref_io *inputs, *outputs;
    int num_inputs, num_outputs;
};

/* ---- the device ---- */

static void describe_host(lenet_onnx_device_desc *desc)
{
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->index = 0;
    desc->type = LENET_ONNX_DEVICE_TYPE_CPU;
    snprintf(desc->name, sizeof desc->name, "host reference (plain C)");
    snprintf(desc->driver, sizeof desc->driver, "lenet-onnx reference ops");
    snprintf(desc->driver_version, sizeof desc->driver_version, "%u",
             (unsigned)LO_BACKEND_API_VERSION);
    const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    desc->memory_bytes = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
    desc->alignment_bytes = LO_REF_ALIGNMENT;
}

static lo_status ref_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                                  lo_error *err)
{
    if (!count || (capacity > 0 && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "list_devices: count is NULL, or devices is NULL with a nonzero capacity");
    if (capacity > 0) describe_host(&devices[0]);
    *count = 1;
    return LO_OK;
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
    return LO_REF_ALIGNMENT;
}

/* The ops run every valid step. */
static lo_status ref_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx;
    (void)step;
    (void)err;
    return LO_OK;
}

/* ---- buffers ---- */

static lo_status ref_buffer_alloc(lo_backend_context *ctx, size_t bytes, lo_backend_buffer **out,
                                  lo_error *err)
{
    (void)ctx;
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "buffer_alloc: out is NULL");
    *out = NULL;
    lo_backend_buffer *buffer = lo_calloc(1, sizeof *buffer);
    if (buffer) buffer->data = lo_malloc(bytes ? bytes : 1);
    if (!buffer || !buffer->data) {
        lo_free(buffer);
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of host memory allocating %zu bytes", bytes);
    }
    buffer->bytes = bytes;
    *out = buffer;
    return LO_OK;
}

static void ref_buffer_free(lo_backend_buffer *buffer)
{
    if (!buffer) return;
    lo_free(buffer->data);
    lo_free(buffer);
}

static lo_status check_range(const lo_backend_buffer *buffer, size_t offset, size_t bytes,
                             const void *data, const char *what, lo_error *err)
{
    if (!buffer || (bytes > 0 && !data))
        return lo_fail(err, LO_ERR_ARGUMENT, "%s: NULL buffer or data", what);
    if (offset > buffer->bytes || bytes > buffer->bytes - offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "%s: %zu bytes at offset %zu run past the buffer's %zu", what, bytes, offset,
                       buffer->bytes);
    return LO_OK;
}

static lo_status ref_buffer_write(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                  const void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    lo_status status = check_range(buffer, offset, bytes, data, "buffer_write", err);
    if (status == LO_OK && bytes > 0) memcpy(buffer->data + offset, data, bytes);
    return status;
}

static lo_status ref_buffer_read(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                 void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    lo_status status = check_range(buffer, offset, bytes, data, "buffer_read", err);
    if (status == LO_OK && bytes > 0) memcpy(data, buffer->data + offset, bytes);
    return status;
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

/* The arena bytes of a tensor, checked to lie inside the arena. */
static lo_status place_in_arena(const lo_backend_buffer *arena, const lo_tensor_ref *ref,
                                const char *what, unsigned char **at, size_t *bytes, lo_error *err)
{
    *bytes = lo_tensor_ref_bytes(ref);
    if (!arena || ref->offset > arena->bytes || *bytes > arena->bytes - ref->offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "%s (%zu bytes at offset %zu) runs past the arena (%zu bytes)", what, *bytes,
                       ref->offset, arena ? arena->bytes : 0);
    *at = arena->data + ref->offset;
    return LO_OK;
}

/* The host copy of a constant a step reads, made on first use. */
static lo_status place_constant(lo_prepared *prepared, const lo_plan *plan,
                                const lo_tensor_ref *ref, const char *what,
                                const unsigned char **at, lo_error *err)
{
    if (ref->constant < 0 || ref->constant >= plan->num_constants)
        return lo_fail(err, LO_ERR_ARGUMENT, "%s names constant %d of %d", what, ref->constant,
                       plan->num_constants);
    const lo_plan_constant *c = &plan->constants[ref->constant];
    const size_t bytes = lo_tensor_ref_bytes(ref);
    if (c->bytes != bytes || (bytes > 0 && !c->data))
        return lo_fail(err, LO_ERR_ARGUMENT, "%s reads %zu bytes of constant '%s', which holds %zu",
                       what, bytes, c->name ? c->name : "?", c->bytes);
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
            status = place_in_arena(arena, ref, names[i], &at, &bytes, err);
            launch->inputs[i] = at;
        }
    }
    if (status == LO_OK)
        status = place_in_arena(arena, &step->output, "the output", &launch->output,
                                &launch->output_bytes, err);
    if (status != LO_OK) lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name, step->label);
    return status;
}

static lo_status ref_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                             lo_prepared **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_prepared *prepared = NULL;
    if (!ctx || !plan || !out || plan->num_steps < 0 || plan->num_inputs < 0 ||
        plan->num_outputs < 0 || plan->num_constants < 0 || (plan->num_steps > 0 && !plan->steps) ||
        (plan->num_inputs > 0 && !plan->inputs) || (plan->num_outputs > 0 && !plan->outputs) ||
        (plan->num_constants > 0 && !plan->constants))
        return lo_fail(err, LO_ERR_ARGUMENT, "prepare: NULL or inconsistent plan arguments");
    *out = NULL;
    if (plan->arena_bytes > 0 && (!arena || arena->bytes < plan->arena_bytes))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "prepare: the plan needs a %zu-byte arena; the buffer holds %zu",
                       plan->arena_bytes, arena ? arena->bytes : 0);
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
    for (int i = 0; i < plan->num_inputs && status == LO_OK; i++) {
        if (plan->inputs[i].buffer != LO_BUFFER_ARENA) {
            status = lo_fail(err, LO_ERR_ARGUMENT, "graph input %d is not placed in the arena", i);
            break;
        }
        status = place_in_arena(arena, &plan->inputs[i], "a graph input", &prepared->inputs[i].at,
                                &prepared->inputs[i].bytes, err);
    }
    prepared->num_inputs = plan->num_inputs;
    for (int i = 0; i < plan->num_outputs && status == LO_OK; i++)
        if (plan->outputs[i].buffer == LO_BUFFER_ARENA) /* constants are the core's */
            status = place_in_arena(arena, &plan->outputs[i], "a graph output",
                                    &prepared->outputs[i].at, &prepared->outputs[i].bytes, err);
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

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static lo_status ref_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                         double *step_ms, lo_error *err)
{
    if (!prepared) return lo_fail(err, LO_ERR_ARGUMENT, "run: prepared plan is NULL");
    for (int i = 0; i < prepared->num_inputs; i++)
        if (prepared->inputs[i].bytes > 0 && (!inputs || !inputs[i]))
            return lo_fail(err, LO_ERR_ARGUMENT, "run: input %d is NULL", i);
    for (int i = 0; i < prepared->num_outputs; i++)
        if (prepared->outputs[i].bytes > 0 && (!outputs || !outputs[i]))
            return lo_fail(err, LO_ERR_ARGUMENT, "run: output %d is NULL", i);
    for (int i = 0; i < prepared->num_inputs; i++)
        if (prepared->inputs[i].bytes > 0)
            memcpy(prepared->inputs[i].at, inputs[i], prepared->inputs[i].bytes);
    for (int s = 0; s < prepared->num_launches; s++) {
        const lo_ref_launch *launch = &prepared->launches[s];
        const double start = step_ms ? now_ms() : 0.0;
        const void *ins[LO_STEP_MAX_INPUTS];
        for (int i = 0; i < launch->step.num_inputs; i++)
            ins[i] = launch->inputs[i];
        if (ref_run_step(&launch->step, ins, prepared->scratch) != 0)
            return lo_fail(err, LO_ERR_MODEL, "node '%s' (%s): the reference op refused: %s",
                           launch->node_name, launch->step.label, ref_error());
        if (launch->output_bytes > 0)
            memcpy(launch->output, prepared->scratch, launch->output_bytes);
        if (step_ms) step_ms[s] = now_ms() - start;
    }
    for (int i = 0; i < prepared->num_outputs; i++)
        if (prepared->outputs[i].bytes > 0)
            memcpy(outputs[i], prepared->outputs[i].at, prepared->outputs[i].bytes);
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
        .buffer_alloc = ref_buffer_alloc,
        .buffer_free = ref_buffer_free,
        .buffer_write = ref_buffer_write,
        .buffer_read = ref_buffer_read,
        .prepare = ref_prepare,
        .run = ref_run,
        .release = ref_release,
        .constant_bytes = ref_constant_bytes,
    };
    return &backend;
}
