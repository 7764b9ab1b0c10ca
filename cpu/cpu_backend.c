/* The native CPU backend: the steps run on the host's cores through the calling thread and a
 * team of workers (cpu_threads.c), with no compute API and no driver in the way, so a small
 * batch pays no dispatch or wake-up cost beyond a few atomic operations per step. Buffers
 * are host memory; constants are packed once at prepare into the layout the kernels read.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "backend.h"
#include "cpu_kernels.h"
#include "cpu_plain.h"
#include "cpu_threads.h"

/* Arena offsets and buffers are multiples of a cache line, the widest vector loads' size. */
#define LO_CPU_ALIGNMENT 64u

struct lo_backend_context {
    lenet_onnx_device_desc desc;
    lo_cpu_threads *threads;
};

struct lo_backend_buffer {
    void *block; /* what was allocated; data is its first aligned byte */
    unsigned char *data;
    size_t bytes;
};

typedef struct lo_cpu_launch {
    lo_step step;
    char node_name[128];
    const void *inputs[LO_STEP_MAX_INPUTS]; /* arena bytes, or the constant's host copy */
    void *output;
    lo_cpu_kernel *kernel; /* Conv, Gemm, chains, MatMul; NULL: cpu_plain.h's kinds */
} lo_cpu_launch;

typedef struct lo_cpu_io {
    unsigned char *at;
    size_t bytes;
} lo_cpu_io;

struct lo_prepared {
    lo_backend_context *ctx;
    lo_cpu_launch *launches;
    int num_launches;
    void **constants; /* host copies of the constants some step reads unpacked, else NULL */
    int num_constants;
    uint64_t constant_bytes; /* those copies and every packed weight */
    void *scratch_block;
    unsigned char *scratch; /* shared by the steps in turn: padded planes, chain rows */
    lo_cpu_io *inputs, *outputs;
    int num_inputs, num_outputs;
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

static void describe_host(lenet_onnx_device_desc *desc, int threads)
{
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->index = 0;
    desc->type = LENET_ONNX_DEVICE_TYPE_CPU;
    char model[96];
    cpu_model(model, sizeof model);
    snprintf(desc->name, sizeof desc->name, "%s, %d thread%s", model, threads,
             threads == 1 ? "" : "s");
    snprintf(desc->driver, sizeof desc->driver, "lenet-onnx native CPU kernels");
    snprintf(desc->driver_version, sizeof desc->driver_version, "%u",
             (unsigned)LO_BACKEND_API_VERSION);
    const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    desc->memory_bytes = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
    desc->alignment_bytes = LO_CPU_ALIGNMENT;
}

static lo_status cpu_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                                  lo_error *err)
{
    if (!count || (capacity > 0 && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "list_devices: count is NULL, or devices is NULL with a nonzero capacity");
    if (capacity > 0) describe_host(&devices[0], lo_cpu_threads_default());
    *count = 1;
    return LO_OK;
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
    describe_host(&ctx->desc, lo_cpu_threads_count(ctx->threads));
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
    return LO_CPU_ALIGNMENT;
}

static lo_status cpu_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    (void)ctx;
    if (lo_cpu_kernel_handles(step)) return lo_cpu_kernel_supports(step, err);
    if (lo_cpu_plain_handles(step)) return LO_OK;
    return lo_fail(err, LO_ERR_UNSUPPORTED, "the CPU backend has no kernel for this step (%s)",
                   step->label);
}

/* ---- buffers ---- */

/* size bytes at a multiple of LO_CPU_ALIGNMENT; *block is what lo_free takes. */
static unsigned char *aligned_alloc_bytes(size_t size, void **block)
{
    *block = size <= SIZE_MAX - LO_CPU_ALIGNMENT ? lo_malloc(size + LO_CPU_ALIGNMENT) : NULL;
    if (!*block) return NULL;
    const uintptr_t at =
        ((uintptr_t)*block + LO_CPU_ALIGNMENT - 1) & ~(uintptr_t)(LO_CPU_ALIGNMENT - 1);
    return (unsigned char *)at;
}

static lo_status cpu_buffer_alloc(lo_backend_context *ctx, size_t bytes, lo_backend_buffer **out,
                                  lo_error *err)
{
    (void)ctx;
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "buffer_alloc: out is NULL");
    *out = NULL;
    lo_backend_buffer *buffer = lo_calloc(1, sizeof *buffer);
    if (buffer) buffer->data = aligned_alloc_bytes(bytes ? bytes : 1, &buffer->block);
    if (!buffer || !buffer->data) {
        lo_free(buffer);
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of host memory allocating %zu bytes", bytes);
    }
    buffer->bytes = bytes;
    *out = buffer;
    return LO_OK;
}

static void cpu_buffer_free(lo_backend_buffer *buffer)
{
    if (!buffer) return;
    lo_free(buffer->block);
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

static lo_status cpu_buffer_write(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                  const void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    lo_status status = check_range(buffer, offset, bytes, data, "buffer_write", err);
    if (status == LO_OK && bytes > 0) memcpy(buffer->data + offset, data, bytes);
    return status;
}

static lo_status cpu_buffer_read(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                 void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    lo_status status = check_range(buffer, offset, bytes, data, "buffer_read", err);
    if (status == LO_OK && bytes > 0) memcpy(data, buffer->data + offset, bytes);
    return status;
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
    lo_free(prepared->scratch_block);
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

/* The plan's constant a step input names, checked against the reference's size. */
static lo_status find_constant(const lo_plan *plan, const lo_tensor_ref *ref, const char *what,
                               const lo_plan_constant **out, lo_error *err)
{
    if (ref->constant < 0 || ref->constant >= plan->num_constants)
        return lo_fail(err, LO_ERR_ARGUMENT, "%s names constant %d of %d", what, ref->constant,
                       plan->num_constants);
    const lo_plan_constant *c = &plan->constants[ref->constant];
    const size_t bytes = lo_tensor_ref_bytes(ref);
    if (c->bytes != bytes || (bytes > 0 && !c->data))
        return lo_fail(err, LO_ERR_ARGUMENT, "%s reads %zu bytes of constant '%s', which holds %zu",
                       what, bytes, c->name ? c->name : "?", c->bytes);
    *out = c;
    return LO_OK;
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
            status = find_constant(plan, ref, names[i], &c, err);
            if (status != LO_OK) break;
            constants[i] = c->data;
            /* A packed input is read only through the kernel's own copy. */
            if (!(packed_kind && lo_cpu_kernel_packs_input(step, i)))
                status = copy_constant(prepared, plan, ref->constant, &launch->inputs[i], err);
        } else {
            unsigned char *at = NULL;
            size_t bytes = 0;
            status = place_in_arena(arena, ref, names[i], &at, &bytes, err);
            launch->inputs[i] = at;
        }
    }
    unsigned char *output = NULL;
    size_t output_bytes = 0;
    if (status == LO_OK)
        status = place_in_arena(arena, &step->output, "the output", &output, &output_bytes, err);
    launch->output = output;
    if (status == LO_OK && packed_kind) {
        status = lo_cpu_kernel_prepare(step, constants, &launch->kernel, scratch_bytes, err);
        prepared->constant_bytes += lo_cpu_kernel_bytes(launch->kernel);
    }
    if (status != LO_OK) lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name, step->label);
    return status;
}

static lo_status cpu_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                             lo_prepared **out, lo_error *err)
{
    lo_status status = LO_OK;
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
    prepared->scratch =
        aligned_alloc_bytes(scratch_bytes ? scratch_bytes : 1, &prepared->scratch_block);
    if (!prepared->scratch)
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory for %zu bytes of kernel scratch",
                         scratch_bytes);
done:
    if (status != LO_OK) {
        cpu_release(prepared);
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

static lo_status cpu_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
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
    lo_cpu_threads *threads = prepared->ctx->threads;
    for (int s = 0; s < prepared->num_launches; s++) {
        const lo_cpu_launch *launch = &prepared->launches[s];
        const double start = step_ms ? now_ms() : 0.0;
        if (launch->kernel) {
            lo_cpu_kernel_run(launch->kernel, threads, launch->inputs, launch->output,
                              prepared->scratch);
        } else {
            const lo_status status =
                lo_cpu_run_plain(threads, &launch->step, launch->inputs, launch->output, err);
            if (status != LO_OK)
                return lo_fail_prefix(err, "node '%s' (%s): ", launch->node_name,
                                      launch->step.label);
        }
        if (step_ms) step_ms[s] = now_ms() - start;
    }
    for (int i = 0; i < prepared->num_outputs; i++)
        if (prepared->outputs[i].bytes > 0)
            memcpy(outputs[i], prepared->outputs[i].at, prepared->outputs[i].bytes);
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
        .buffer_alloc = cpu_buffer_alloc,
        .buffer_free = cpu_buffer_free,
        .buffer_write = cpu_buffer_write,
        .buffer_read = cpu_buffer_read,
        .prepare = cpu_prepare,
        .run = cpu_run,
        .release = cpu_release,
        .constant_bytes = cpu_constant_bytes,
    };
    return &backend;
}
