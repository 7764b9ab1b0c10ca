/* The native CPU backend: the steps run on the host's cores through the calling thread and a
 * team of workers (cpu_threads.c), with no compute API and no driver in the way, so a small
 * batch pays no dispatch or wake-up cost beyond a few atomic operations per step. Buffers
 * are host memory; constants are packed once at prepare into the layout the kernels read.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "backend.h"
#include "cpu_kernels.h"
#include "cpu_plain.h"
#include "cpu_threads.h"
#include "host_backend.h"
#include "input_in_place.h"

struct lo_backend_context {
    lenet_onnx_device_desc desc;
    lo_cpu_threads *threads;
};

typedef struct lo_cpu_launch {
    lo_step step;
    char node_name[128];
    const void *inputs[LO_STEP_MAX_INPUTS]; /* arena bytes, or the constant's host copy */
    void *output;
    lo_cpu_kernel *kernel; /* Conv, Gemm, chains, MatMul; NULL: cpu_plain.h's kinds */
} lo_cpu_launch;

struct lo_prepared {
    lo_backend_context *ctx;
    lo_cpu_launch *launches;
    int num_launches;
    void **constants; /* host copies of the constants some step reads unpacked, else NULL */
    int num_constants;
    uint64_t constant_bytes; /* those copies and every packed weight */
    lo_host_buffer scratch;  /* shared by the steps in turn: padded planes, chain rows */
    lo_host_io *inputs, *outputs;
    int num_inputs, num_outputs;
    lo_input_read *input_reads; /* step inputs sent to the caller's memory each run */
    int num_input_reads;
};

/* ---- the device ---- */

/* The CPU's model name from /proc/cpuinfo, when there is one. */
static void cpu_model(char *name, size_t size)
{
    snprintf(name, size, "host CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *colon = strchr(line, ':');
        if (!colon) break;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        snprintf(name, size, "%.*s", (int)strcspn(colon, "\n"), colon);
        break;
    }
    fclose(f);
}

static void describe_threads(lenet_onnx_device_desc *desc, int threads)
{
    char model[96], name[128];
    cpu_model(model, sizeof model);
    snprintf(name, sizeof name, "%s, %d thread%s", model, threads, threads == 1 ? "" : "s");
    lo_host_describe(desc, name, "lenet-onnx native CPU kernels", LO_HOST_ALIGNMENT);
}

static void describe_host(lenet_onnx_device_desc *desc)
{
    describe_threads(desc, lo_cpu_threads_default());
}

static lo_status cpu_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                                  lo_error *err)
{
    return lo_host_list_one(devices, capacity, count, describe_host, err);
}

static lo_status cpu_open(uint32_t index, lo_backend_context **out, lo_error *err)
{
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "open: out is NULL");
    *out = NULL;
    if (index != 0)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "CPU backend device index %u out of range: it has 1 device",
                       (unsigned)index);
    lo_backend_context *ctx = lo_calloc(1, sizeof *ctx);
    if (!ctx) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory opening the host CPU");
    const lo_status status = lo_cpu_threads_create(lo_cpu_threads_default(), &ctx->threads, err);
    if (status != LO_OK) {
        lo_free(ctx);
        return status;
    }
    describe_threads(&ctx->desc, lo_cpu_threads_count(ctx->threads));
    *out = ctx;
    return LO_OK;
}

static void cpu_close(lo_backend_context *ctx)
{
    if (!ctx) return;
    lo_cpu_threads_destroy(ctx->threads);
    lo_free(ctx);
}

static void cpu_device_info(const lo_backend_context *ctx, lenet_onnx_device_desc *out)
{
    *out = ctx->desc;
}

static size_t cpu_alignment(const lo_backend_context *ctx)
{
    (void)ctx;
    return LO_HOST_ALIGNMENT;
}

static lo_status cpu_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx;
    if (lo_cpu_kernel_handles(step)) return lo_cpu_kernel_supports(step, err);
    if (lo_cpu_plain_handles(step)) return LO_OK;
    return lo_fail(err, LO_ERR_UNSUPPORTED, "the CPU backend has no kernel for this step (%s)",
                   step->label);
}

/* ---- prepared plans ---- */

static void cpu_release(lo_prepared *prepared)
{
    if (!prepared) return;
    for (int i = 0; i < prepared->num_launches; i++)
        lo_cpu_kernel_free(prepared->launches[i].kernel);
    for (int i = 0; i < prepared->num_constants; i++)
        lo_free(prepared->constants[i]);
    lo_free(prepared->constants);
    lo_free(prepared->launches);
    lo_host_buffer_release(&prepared->scratch);
    lo_free(prepared->inputs);
    lo_free(prepared->input_reads);
    lo_free(prepared->outputs);
    lo_free(prepared);
}

/* The host copy of a constant a step reads unpacked, made on first use. */
static lo_status copy_constant(lo_prepared *prepared, const lo_plan *plan, int index,
                               const void **at, lo_error *err)
{
    const lo_plan_constant *c = &plan->constants[index];
    void **copy = &prepared->constants[index];
    if (!*copy) {
        *copy = lo_malloc(c->bytes ? c->bytes : 1);
        if (!*copy)
            return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory copying constant '%s' (%zu bytes)",
                           c->name ? c->name : "?", c->bytes);
        if (c->bytes > 0) memcpy(*copy, c->data, c->bytes);
        prepared->constant_bytes += c->bytes;
    }
    *at = *copy;
    return LO_OK;
}

static lo_status prepare_step(lo_prepared *prepared, const lo_plan *plan,
                              const lo_backend_buffer *arena, int index, size_t *scratch_bytes,
                              lo_error *err)
{
    static const char *const names[LO_STEP_MAX_INPUTS] = {
        "input 0", "input 1", "input 2", "input 3", "input 4", "input 5", "input 6", "input 7"};
    lo_cpu_launch *launch = &prepared->launches[index];
    const lo_step *step = &plan->steps[index];
    launch->step = *step;
    snprintf(launch->node_name, sizeof launch->node_name, "%s",
             step->node_name ? step->node_name : "?");
    launch->step.node_name = launch->node_name;
    const bool packed_kind = lo_cpu_kernel_handles(step);
    const void *constants[LO_STEP_MAX_INPUTS] = {NULL};
    lo_status status = LO_OK;
    for (int i = 0; i < step->num_inputs && status == LO_OK; i++) {
        const lo_tensor_ref *ref = &step->inputs[i];
        if (ref->buffer == LO_BUFFER_CONSTANT) {
            const lo_plan_constant *c = NULL;
            status = lo_host_find_constant(plan, ref, names[i], &c, err);
            if (status != LO_OK) break;
            constants[i] = c->data;
            /* A packed input is read only through the kernel's own copy. */
            if (!(packed_kind && lo_cpu_kernel_packs_input(step, i)))
                status = copy_constant(prepared, plan, ref->constant, &launch->inputs[i], err);
        } else {
            unsigned char *at = NULL;
            size_t bytes = 0;
            status = lo_host_place(lo_host_of(arena), ref, names[i], &at, &bytes, err);
            launch->inputs[i] = at;
        }
    }
    unsigned char *output = NULL;
    size_t output_bytes = 0;
    if (status == LO_OK)
        status = lo_host_place(lo_host_of(arena), &step->output, "the output", &output,
                               &output_bytes, err);
    launch->output = output;
    if (status == LO_OK && packed_kind) {
        status = lo_cpu_kernel_prepare(step, constants, &launch->kernel, scratch_bytes, err);
        prepared->constant_bytes += lo_cpu_kernel_bytes(launch->kernel);
    }
    if (status != LO_OK) lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name, step->label);
    return status;
}

/* Graph inputs the steps can read where the caller holds them are not copied (at batch 256,
 * 3 MB of LeNet's input, a few percent of the run). */
static lo_status read_inputs_in_place(lo_prepared *prepared, const lo_plan *plan, lo_error *err)
{
    bool *in_place = lo_calloc((size_t)plan->num_inputs + 1, sizeof *in_place);
    if (!in_place) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory placing the inputs");
    const lo_status status = lo_plan_inputs_in_place(plan, in_place, &prepared->input_reads,
                                                     &prepared->num_input_reads, err);
    for (int i = 0; i < plan->num_inputs && status == LO_OK; i++)
        prepared->inputs[i].in_place = in_place[i];
    lo_free(in_place);
    return status;
}

static lo_status cpu_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                             lo_prepared **out, lo_error *err)
{
    if (!ctx || !out) return lo_fail(err, LO_ERR_ARGUMENT, "prepare: NULL context or out");
    *out = NULL;
    lo_status status = lo_host_check_plan(plan, lo_host_of(arena), err);
    if (status != LO_OK) return status;
    lo_prepared *prepared = lo_calloc(1, sizeof *prepared);
    if (!prepared) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing a plan");
    prepared->ctx = ctx;
    prepared->launches = lo_calloc((size_t)plan->num_steps + 1, sizeof *prepared->launches);
    prepared->constants = lo_calloc((size_t)plan->num_constants + 1, sizeof *prepared->constants);
    prepared->inputs = lo_calloc((size_t)plan->num_inputs + 1, sizeof *prepared->inputs);
    prepared->outputs = lo_calloc((size_t)plan->num_outputs + 1, sizeof *prepared->outputs);
    if (!prepared->launches || !prepared->constants || !prepared->inputs || !prepared->outputs) {
        status =
            lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing %d steps", plan->num_steps);
        goto done;
    }
    prepared->num_constants = plan->num_constants;
    size_t scratch_bytes = 0;
    for (int i = 0; i < plan->num_steps && status == LO_OK; i++) {
        size_t step_scratch = 0;
        status = prepare_step(prepared, plan, arena, i, &step_scratch, err);
        prepared->num_launches = i + 1;
        if (step_scratch > scratch_bytes) scratch_bytes = step_scratch;
    }
    if (status == LO_OK)
        status =
            lo_host_place_io(plan, lo_host_of(arena), prepared->inputs, prepared->outputs, err);
    prepared->num_inputs = plan->num_inputs;
    prepared->num_outputs = plan->num_outputs;
    if (status == LO_OK) status = read_inputs_in_place(prepared, plan, err);
    if (status != LO_OK) goto done;
    status = lo_host_buffer_alloc(scratch_bytes, LO_HOST_ALIGNMENT, &prepared->scratch, err);
done:
    if (status != LO_OK) {
        cpu_release(prepared);
        prepared = NULL;
    }
    *out = prepared;
    return status;
}

static lo_status cpu_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                         double *step_ms, lo_error *err)
{
    if (!prepared) return lo_fail(err, LO_ERR_ARGUMENT, "run: prepared plan is NULL");
    const lo_status begun =
        lo_host_begin_run(prepared->inputs, prepared->num_inputs, inputs, prepared->outputs,
                          prepared->num_outputs, outputs, err);
    if (begun != LO_OK) return begun;
    for (int r = 0; r < prepared->num_input_reads; r++) {
        const lo_input_read *read = &prepared->input_reads[r];
        prepared->launches[read->step].inputs[read->slot] =
            (const unsigned char *)inputs[read->input] + read->delta;
    }
    lo_cpu_threads *threads = prepared->ctx->threads;
    for (int s = 0; s < prepared->num_launches; s++) {
        const lo_cpu_launch *launch = &prepared->launches[s];
        const double start = step_ms ? lo_host_now_ms() : 0.0;
        if (launch->kernel) {
            lo_cpu_kernel_run(launch->kernel, threads, launch->inputs, launch->output,
                              prepared->scratch.data);
        } else {
            const lo_status status =
                lo_cpu_run_plain(threads, &launch->step, launch->inputs, launch->output, err);
            if (status != LO_OK)
                return lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name,
                                      launch->step.label);
        }
        if (step_ms) step_ms[s] = lo_host_now_ms() - start;
    }
    lo_host_end_run(prepared->outputs, prepared->num_outputs, outputs);
    return LO_OK;
}

static uint64_t cpu_constant_bytes(const lo_prepared *prepared)
{
    return prepared ? prepared->constant_bytes : 0;
}

const lo_backend *lo_cpu_backend(void)
{
    static const lo_backend backend = {
        .api_version = LO_BACKEND_API_VERSION,
        .name = "cpu",
        .summary = "native kernels on the host CPU's cores (vectorised C, a thread per core)",
        .list_devices = cpu_list_devices,
        .open = cpu_open,
        .close = cpu_close,
        .device_info = cpu_device_info,
        .alignment = cpu_alignment,
        .supports = cpu_supports,
        .buffer_alloc = lo_host_slot_buffer_alloc,
        .buffer_free = lo_host_slot_buffer_free,
        .buffer_write = lo_host_slot_buffer_write,
        .buffer_read = lo_host_slot_buffer_read,
        .prepare = cpu_prepare,
        .run = cpu_run,
        .release = cpu_release,
        .constant_bytes = cpu_constant_bytes,
    };
    return &backend;
}
