/* The OpenCL backend's vtable (plugin/seam/backend.h): contexts, buffers, prepared plans and
 * runs. Kernel choice and argument binding per step live in cl_launch*.c, what the kernels
 * cannot run in cl_supports.c, the upload of constants in cl_constants.c, program builds in
 * cl_program.c, device enumeration in cl_device.c.
 */
#include "cl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* A graph input or output placed in a device buffer. */
typedef struct lo_cl_io {
    cl_mem mem;
    size_t offset;
    size_t bytes;
} lo_cl_io;

struct lo_prepared {
    lo_backend_context *ctx;
    cl_command_queue queue; /* in order: steps run one after another */
    bool profiling;
    cl_mem arena;          /* retained for the prepared object's lifetime */
    cl_mem *constant_mems; /* per plan constant: its plain copy (a cache reference), or NULL */
    int num_constants;
    lo_cl_launch *launches; /* one per step, or the network kernel alone */
    int num_launches;
    lo_cl_network network; /* when the plan runs as one kernel (cl_network.c) */
    cl_event *events;      /* one per step, only while a profiled run is in flight */
    lo_cl_io *inputs;
    int num_inputs;
    lo_cl_io *outputs;
    int num_outputs;
};

static bool env_flag(const char *name)
{
    const char *value = getenv(name);
    return value && value[0] && strcmp(value, "0") != 0;
}

/* ---- devices and contexts ---- */

static lo_status ocl_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                                  lo_error *err)
{
    return lo_cl_list_devices(devices, capacity, count, err);
}

static void ocl_close(lo_backend_context *ctx)
{
    if (!ctx) return;
    lo_cl_programs_release(&ctx->programs);
    lo_cl_constant_cache_release(&ctx->constants);
    if (ctx->transfer_queue) clReleaseCommandQueue(ctx->transfer_queue);
    pthread_mutex_destroy(&ctx->transfer_lock);
    if (ctx->context) clReleaseContext(ctx->context);
    lo_free(ctx);
}

static lo_status ocl_open(uint32_t index, lo_backend_context **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_backend_context *ctx = NULL;
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "open: out is NULL");
    *out = NULL;
    ctx = lo_calloc(1, sizeof *ctx);
    if (!ctx) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory opening an OpenCL device");
        goto done;
    }
    lo_cl_programs_init(&ctx->programs);
    lo_cl_constant_cache_init(&ctx->constants);
    pthread_mutex_init(&ctx->transfer_lock, NULL);
    status = lo_cl_find_device(index, &ctx->platform, &ctx->device, &ctx->desc, err);
    if (status != LO_OK) goto done;

    const char *what = "clCreateContext";
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform, 0};
    cl_int rc = CL_SUCCESS;
    ctx->context = clCreateContext(props, 1, &ctx->device, NULL, NULL, &rc);
    if (rc != CL_SUCCESS) ctx->context = NULL;
    cl_uint align_bits = 0;
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_MAX_WORK_GROUP_SIZE)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE,
                             sizeof ctx->max_work_group_size, &ctx->max_work_group_size, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_LOCAL_MEM_SIZE)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ctx->local_mem_bytes,
                             &ctx->local_mem_bytes, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ctx->max_alloc_bytes,
                             &ctx->max_alloc_bytes, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT,
                             sizeof ctx->preferred_float_width, &ctx->preferred_float_width, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_TYPE)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_TYPE, sizeof ctx->type, &ctx->type, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_MAX_COMPUTE_UNITS)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof ctx->compute_units,
                             &ctx->compute_units, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clGetDeviceInfo(CL_DEVICE_MEM_BASE_ADDR_ALIGN)";
        rc = clGetDeviceInfo(ctx->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits,
                             &align_bits, NULL);
    }
    if (rc == CL_SUCCESS) {
        what = "clCreateCommandQueue";
        ctx->transfer_queue = clCreateCommandQueue(ctx->context, ctx->device, 0, &rc);
        if (rc != CL_SUCCESS) ctx->transfer_queue = NULL;
    }
    if (rc != CL_SUCCESS) {
        status = lo_fail(err, lo_cl_status_of(rc), "OpenCL device %u (%s): %s failed: %s",
                         (unsigned)ctx->desc.index, ctx->desc.name, what, lo_cl_error_name(rc));
        goto done;
    }
    ctx->alignment = lo_cl_alignment_of(align_bits);
    ctx->generic_only = env_flag("LENET_ONNX_CL_GENERIC");
    const char *tiled = getenv("LENET_ONNX_CL_TILED");
    ctx->tiled = tiled && tiled[0] ? strcmp(tiled, "0") != 0
                                   : (ctx->type & CL_DEVICE_TYPE_GPU) && !ctx->generic_only;
    ctx->tiled_forced = ctx->tiled && tiled && tiled[0];
    ctx->reduce_forced = env_flag("LENET_ONNX_CL_REDUCE");
    const char *network = getenv("LENET_ONNX_CL_NETWORK");
    ctx->network = !network || !network[0]     ? LO_CL_NETWORK_AUTO
                   : strcmp(network, "0") == 0 ? LO_CL_NETWORK_OFF
                                               : LO_CL_NETWORK_ON;
    lo_log(LENET_ONNX_LOG_INFO,
           "opencl: opened device %u '%s' on '%s' (driver %s), max work-group %zu, local "
           "memory %llu, float vector width %u, alignment %zu%s%s",
           (unsigned)ctx->desc.index, ctx->desc.name, ctx->desc.driver, ctx->desc.driver_version,
           ctx->max_work_group_size, (unsigned long long)ctx->local_mem_bytes,
           (unsigned)ctx->preferred_float_width, ctx->alignment,
           ctx->generic_only ? ", direct kernels only" : "",
           ctx->tiled ? ", tiled Conv and Gemm" : "");
done:
    if (status != LO_OK) {
        ocl_close(ctx);
        ctx = NULL;
    }
    *out = ctx;
    return status;
}

static void ocl_device_info(const lo_backend_context *ctx, lenet_onnx_device_desc *out)
{
    *out = ctx->desc;
}

static size_t ocl_alignment(const lo_backend_context *ctx)
{
    return ctx->alignment;
}

static lo_status ocl_supports(const lo_backend_context *ctx, const lo_step *step, lo_error *err)
{
    return lo_cl_step_supported(ctx, step, err);
}

/* ---- buffers ---- */

static lo_status ocl_buffer_alloc(lo_backend_context *ctx, size_t bytes, lo_backend_buffer **out,
                                  lo_error *err)
{
    lo_status status = LO_OK;
    lo_backend_buffer *buffer = lo_calloc(1, sizeof *buffer);
    if (!buffer) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory allocating a buffer handle");
        goto done;
    }
    buffer->context = ctx;
    buffer->bytes = bytes;
    if (bytes == 0) goto done; /* a NULL-backed handle: see struct lo_backend_buffer */
    if (bytes > ctx->max_alloc_bytes) {
        status = lo_fail(err, LO_ERR_NO_MEMORY,
                         "a buffer of %zu bytes exceeds the device's largest allocation "
                         "(CL_DEVICE_MAX_MEM_ALLOC_SIZE %llu)",
                         bytes, (unsigned long long)ctx->max_alloc_bytes);
        goto done;
    }
    cl_int rc = CL_SUCCESS;
    buffer->mem = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &rc);
    if (rc != CL_SUCCESS) {
        buffer->mem = NULL;
        status = lo_fail(err, lo_cl_status_of(rc), "clCreateBuffer (%zu bytes) failed: %s", bytes,
                         lo_cl_error_name(rc));
    }
done:
    if (status != LO_OK) {
        lo_free(buffer);
        buffer = NULL;
    }
    *out = buffer;
    return status;
}

static void ocl_buffer_free(lo_backend_buffer *buffer)
{
    if (!buffer) return;
    if (buffer->mem) clReleaseMemObject(buffer->mem);
    lo_free(buffer);
}

static lo_status buffer_copy(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                             void *data, size_t bytes, bool write, lo_error *err)
{
    const char *call = write ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer";
    const lo_status checked = lo_backend_check_copy(buffer != NULL, buffer ? buffer->bytes : 0,
                                                    offset, bytes, data, call, err);
    if (checked != LO_OK || bytes == 0) return checked;
    pthread_mutex_lock(&ctx->transfer_lock);
    cl_int rc = write ? clEnqueueWriteBuffer(ctx->transfer_queue, buffer->mem, CL_TRUE, offset,
                                             bytes, data, 0, NULL, NULL)
                      : clEnqueueReadBuffer(ctx->transfer_queue, buffer->mem, CL_TRUE, offset,
                                            bytes, data, 0, NULL, NULL);
    pthread_mutex_unlock(&ctx->transfer_lock);
    if (rc != CL_SUCCESS)
        return lo_fail(err, lo_cl_status_of(rc), "%s (%zu bytes at offset %zu) failed: %s", call,
                       bytes, offset, lo_cl_error_name(rc));
    return LO_OK;
}

static lo_status ocl_buffer_write(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                  const void *data, size_t bytes, lo_error *err)
{
    /* The write path never stores through data: the cast only shares buffer_copy. */
    return buffer_copy(ctx, buffer, offset, (void *)data, bytes, true, err);
}

static lo_status ocl_buffer_read(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                 void *data, size_t bytes, lo_error *err)
{
    return buffer_copy(ctx, buffer, offset, data, bytes, false, err);
}

/* ---- prepared plans ---- */

static void ocl_release(lo_prepared *prepared)
{
    if (!prepared) return;
    if (prepared->queue) clFinish(prepared->queue);
    for (int i = 0; i < prepared->num_launches; i++)
        lo_cl_launch_release(prepared->ctx, &prepared->launches[i]);
    lo_cl_network_release(prepared->ctx, &prepared->network);
    if (prepared->queue) clReleaseCommandQueue(prepared->queue);
    if (prepared->arena) clReleaseMemObject(prepared->arena);
    for (int c = 0; c < prepared->num_constants; c++)
        lo_cl_constant_release(prepared->ctx, prepared->constant_mems[c]);
    lo_free(prepared->constant_mems);
    lo_free(prepared->launches);
    lo_free(prepared->events);
    lo_free(prepared->inputs);
    lo_free(prepared->outputs);
    lo_free(prepared);
}

/* Where a graph input or output lives in the arena, checked against it. Outputs held in a
 * constant are the core's to copy: they get 0 bytes and are skipped. */
static lo_status place_io(const lo_cl_buffers *buffers, const lo_tensor_ref *ref, bool input,
                          int index, lo_cl_io *out, lo_error *err)
{
    const char *what = input ? "input" : "output";
    memset(out, 0, sizeof *out);
    if (!input && ref->buffer == LO_BUFFER_CONSTANT) return LO_OK;
    if (ref->buffer != LO_BUFFER_ARENA)
        return lo_fail(err, LO_ERR_ARGUMENT, "graph %s %d is not placed in the arena", what, index);
    out->mem = buffers->arena;
    out->offset = ref->offset;
    out->bytes = lo_tensor_ref_bytes(ref);
    if (out->offset > buffers->arena_bytes || out->bytes > buffers->arena_bytes - out->offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "graph %s %d (%zu bytes at offset %zu) runs past the arena (%zu bytes)",
                       what, index, out->bytes, out->offset, buffers->arena_bytes);
    return LO_OK;
}

/* Enqueues every step once, in order. With events, each step records one. */
static lo_status enqueue_steps(lo_prepared *prepared, cl_event *events, lo_error *err)
{
    for (int i = 0; i < prepared->num_launches; i++) {
        lo_cl_launch *launch = &prepared->launches[i];
        if (events) events[i] = NULL;
        if (launch->empty) continue;
        cl_int rc = clEnqueueNDRangeKernel(prepared->queue, launch->kernel, launch->dims, NULL,
                                           launch->global, launch->local, 0, NULL,
                                           events ? &events[i] : NULL);
        if (rc != CL_SUCCESS) {
            if (events) events[i] = NULL;
            return lo_fail(err, lo_cl_status_of(rc),
                           "node '%s' (%s): clEnqueueNDRangeKernel(%s, global %zux%zux%zu, local "
                           "%zux%zux%zu) failed: %s",
                           launch->node_name, launch->label, launch->variant, launch->global[0],
                           launch->global[1], launch->global[2], launch->local[0], launch->local[1],
                           launch->local[2], lo_cl_error_name(rc));
        }
    }
    return LO_OK;
}

static lo_status ocl_prepare(lo_backend_context *ctx, const lo_plan *plan, lo_backend_buffer *arena,
                             lo_prepared **out, lo_error *err)
{
    lo_status status = LO_OK;
    lo_prepared *prepared = NULL;
    if (!ctx || !plan || !out || (plan->num_steps > 0 && !plan->steps) ||
        (plan->num_inputs > 0 && !plan->inputs) || (plan->num_outputs > 0 && !plan->outputs) ||
        (plan->num_constants > 0 && !plan->constants) || plan->num_steps < 0 ||
        plan->num_inputs < 0 || plan->num_outputs < 0 || plan->num_constants < 0) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "prepare: NULL or inconsistent plan arguments");
        goto done;
    }
    if (plan->arena_bytes > 0 && (!arena || arena->bytes < plan->arena_bytes)) {
        status = lo_fail(err, LO_ERR_ARGUMENT,
                         "prepare: the plan needs a %zu-byte arena; the buffer given holds %zu",
                         plan->arena_bytes, arena ? arena->bytes : 0);
        goto done;
    }
    prepared = lo_calloc(1, sizeof *prepared);
    if (prepared)
        prepared->constant_mems =
            lo_calloc((size_t)plan->num_constants + 1, sizeof *prepared->constant_mems);
    if (!prepared || !prepared->constant_mems) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing a plan");
        goto done;
    }
    prepared->ctx = ctx;
    prepared->profiling = plan->profiling;
    if (arena && arena->mem && clRetainMemObject(arena->mem) == CL_SUCCESS)
        prepared->arena = arena->mem;

    cl_int rc = CL_SUCCESS;
    prepared->queue = clCreateCommandQueue(ctx->context, ctx->device,
                                           plan->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &rc);
    if (rc != CL_SUCCESS) {
        prepared->queue = NULL;
        status =
            lo_fail(err, lo_cl_status_of(rc), "clCreateCommandQueue%s failed: %s",
                    plan->profiling ? " (CL_QUEUE_PROFILING_ENABLE)" : "", lo_cl_error_name(rc));
        goto done;
    }
    prepared->num_constants = plan->num_constants;
    char why[LENET_ONNX_MESSAGE_SIZE];
    const bool network = lo_cl_network_choose(ctx, plan, why, sizeof why);
    if (!network && plan->num_steps > 0) lo_trace("opencl: one launch per step: %s", why);
    if (!network) status = lo_cl_upload_constants(ctx, plan, prepared->constant_mems, err);
    if (status != LO_OK) goto done;
    const lo_cl_buffers buffers = {
        .arena = prepared->arena,
        .arena_bytes = arena ? arena->bytes : 0,
        .constant_mems = prepared->constant_mems,
        .plan = plan,
    };

    const size_t n_steps = (size_t)plan->num_steps;
    prepared->launches = lo_calloc(n_steps ? n_steps : 1, sizeof *prepared->launches);
    prepared->events = lo_calloc(n_steps ? n_steps : 1, sizeof *prepared->events);
    prepared->inputs =
        lo_calloc(plan->num_inputs ? (size_t)plan->num_inputs : 1, sizeof *prepared->inputs);
    prepared->outputs =
        lo_calloc(plan->num_outputs ? (size_t)plan->num_outputs : 1, sizeof *prepared->outputs);
    if (!prepared->launches || !prepared->events || !prepared->inputs || !prepared->outputs) {
        status =
            lo_fail(err, LO_ERR_NO_MEMORY, "out of memory preparing %d steps", plan->num_steps);
        goto done;
    }
    if (network) {
        status = lo_cl_prepare_network(ctx, plan, &buffers, &prepared->launches[0],
                                       &prepared->network, err);
        if (status != LO_OK) goto done;
        prepared->num_launches = 1;
    }
    for (int i = 0; i < plan->num_steps && !network; i++) {
        status = lo_cl_launch_prepare(ctx, &plan->steps[i], &buffers, &prepared->launches[i], err);
        if (status != LO_OK) goto done;
        prepared->num_launches = i + 1;
    }
    for (int i = 0; i < plan->num_inputs && status == LO_OK; i++)
        status = place_io(&buffers, &plan->inputs[i], true, i, &prepared->inputs[i], err);
    prepared->num_inputs = plan->num_inputs;
    for (int i = 0; i < plan->num_outputs && status == LO_OK; i++)
        status = place_io(&buffers, &plan->outputs[i], false, i, &prepared->outputs[i], err);
    prepared->num_outputs = plan->num_outputs;
    if (status != LO_OK) goto done;

    /* One warm-up pass over the arena's current contents: PoCL compiles each (kernel, local
     * size) on its first launch, and a launch the device refuses should fail here, at session
     * creation, not in the first run. The kernels index nothing by data, so any contents do.
     * (The constants' uploads copied the host bytes when their buffers were created.) */
    status = enqueue_steps(prepared, NULL, err);
    rc = clFinish(prepared->queue);
    if (status == LO_OK && rc != CL_SUCCESS)
        status = lo_fail(err, lo_cl_status_of(rc), "clFinish after the warm-up run failed: %s",
                         lo_cl_error_name(rc));
done:
    if (status != LO_OK) {
        ocl_release(prepared); /* finishes the queue: no upload outlives the call */
        prepared = NULL;
    }
    if (out) *out = prepared;
    return status;
}

static lo_status ocl_run(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                         double *step_ms, lo_error *err)
{
    lo_status status = LO_OK;
    cl_int rc = CL_SUCCESS;
    bool enqueued = false;
    cl_event *events = NULL;
    if (!prepared) {
        status = lo_fail(err, LO_ERR_ARGUMENT, "run: prepared plan is NULL");
        goto done;
    }
    if (step_ms && !prepared->profiling) {
        status = lo_fail(err, LO_ERR_ARGUMENT,
                         "run: step times asked of a plan prepared without profiling");
        goto done;
    }
    if (step_ms) events = prepared->events;
    for (int i = 0; i < prepared->num_inputs; i++)
        if (prepared->inputs[i].bytes > 0 && (!inputs || !inputs[i])) {
            status = lo_fail(err, LO_ERR_ARGUMENT, "run: input %d is NULL", i);
            goto done;
        }
    for (int i = 0; i < prepared->num_outputs; i++)
        if (prepared->outputs[i].bytes > 0 && (!outputs || !outputs[i])) {
            status = lo_fail(err, LO_ERR_ARGUMENT, "run: output %d is NULL", i);
            goto done;
        }
    if (events) memset(events, 0, (size_t)prepared->num_launches * sizeof *events);

    enqueued = true;
    for (int i = 0; i < prepared->num_inputs; i++) {
        const lo_cl_io *io = &prepared->inputs[i];
        if (io->bytes == 0) continue;
        rc = clEnqueueWriteBuffer(prepared->queue, io->mem, CL_FALSE, io->offset, io->bytes,
                                  inputs[i], 0, NULL, NULL);
        if (rc != CL_SUCCESS) {
            status = lo_fail(err, lo_cl_status_of(rc),
                             "graph input %d: clEnqueueWriteBuffer (%zu bytes) failed: %s", i,
                             io->bytes, lo_cl_error_name(rc));
            goto done;
        }
    }
    status = enqueue_steps(prepared, events, err);
    if (status != LO_OK) goto done;
    for (int i = 0; i < prepared->num_outputs; i++) {
        const lo_cl_io *io = &prepared->outputs[i];
        if (io->bytes == 0) continue;
        rc = clEnqueueReadBuffer(prepared->queue, io->mem, CL_FALSE, io->offset, io->bytes,
                                 outputs[i], 0, NULL, NULL);
        if (rc != CL_SUCCESS) {
            status = lo_fail(err, lo_cl_status_of(rc),
                             "graph output %d: clEnqueueReadBuffer (%zu bytes) failed: %s", i,
                             io->bytes, lo_cl_error_name(rc));
            goto done;
        }
    }
done:
    /* The one wait; also after a failed enqueue, since queued copies still use the caller's
     * memory. Measured against the alternatives on PoCL (2-core AMD EPYC, AVX-512, shared and
     * loaded, LeNet batch 1, median of 2 s, alternating runs): clFinish 0.055-0.061 ms; a spin
     * on the last read's CL_EVENT_COMMAND_EXECUTION_STATUS after clFlush 0.22-0.24 ms (the
     * spinning thread takes a core from PoCL's two workers), the same spin with sched_yield
     * 0.21 ms; zero-copy I/O (the arena mapped once for the plan's lifetime, inputs and
     * outputs memcpy'd on the host: the upper bound of CL_MEM_USE_HOST_PTR / map on a
     * CL_DEVICE_HOST_UNIFIED_MEMORY device) 0.055-0.076 ms, no gain: the 12 KB of copies are
     * not the cost, the enqueues and PoCL's worker wake-ups are. So the blocking finish and
     * the enqueued copies stay, on every device kind measured (PoCL's CPU device; no GPU was
     * available to measure). */
    if (enqueued) {
        rc = clFinish(prepared->queue);
        if (status == LO_OK && rc != CL_SUCCESS)
            status = lo_fail(err, lo_cl_status_of(rc), "clFinish failed: %s", lo_cl_error_name(rc));
    }
    if (events) {
        for (int i = 0; i < prepared->num_launches; i++) {
            cl_ulong start = 0, end = 0;
            if (events[i] && status == LO_OK) {
                rc = clGetEventProfilingInfo(events[i], CL_PROFILING_COMMAND_START, sizeof start,
                                             &start, NULL);
                if (rc == CL_SUCCESS)
                    rc = clGetEventProfilingInfo(events[i], CL_PROFILING_COMMAND_END, sizeof end,
                                                 &end, NULL);
                if (rc != CL_SUCCESS)
                    status = lo_fail(err, lo_cl_status_of(rc),
                                     "node '%s' (%s): clGetEventProfilingInfo failed: %s",
                                     prepared->launches[i].node_name, prepared->launches[i].label,
                                     lo_cl_error_name(rc));
            }
            step_ms[i] = end > start ? (double)(end - start) * 1e-6 : 0.0;
            if (events[i]) clReleaseEvent(events[i]);
            events[i] = NULL;
        }
    }
    return status;
}

/* Device bytes of a buffer; 0 when the driver will not say. */
static uint64_t mem_bytes(cl_mem mem)
{
    size_t bytes = 0;
    return clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) == CL_SUCCESS ? bytes
                                                                                          : 0;
}

/* True when mem is among the first n plain copies or launches' re-laid-out constants. */
static bool counted_before(const lo_prepared *p, cl_mem mem, int plain, int launches)
{
    for (int c = 0; c < plain; c++)
        if (p->constant_mems[c] == mem) return true;
    for (int i = 0; i < launches; i++)
        if (p->launches[i].extra == mem) return true;
    return false;
}

/* Every constant buffer the plan's launches read, each once: the plain copies and the blocked
 * re-layouts, or the network kernel's packed constants. They come from the context's cache
 * (cl_constant_cache.c), so sessions of one model share them; each session counts what its plan
 * reads. */
static uint64_t ocl_constant_bytes(const lo_prepared *p)
{
    uint64_t total = 0;
    if (!p) return 0;
    for (int c = 0; c < p->num_constants; c++)
        if (p->constant_mems[c] && !counted_before(p, p->constant_mems[c], c, 0))
            total += mem_bytes(p->constant_mems[c]);
    for (int i = 0; i < p->num_launches; i++)
        if (p->launches[i].extra && !counted_before(p, p->launches[i].extra, p->num_constants, i))
            total += mem_bytes(p->launches[i].extra);
    if (p->network.constants) total += mem_bytes(p->network.constants);
    return total;
}

const lo_backend *lo_opencl_backend(void)
{
    static const lo_backend backend = {
        .api_version = LO_BACKEND_API_VERSION,
        .name = "opencl",
        .summary = "OpenCL 1.2 devices through the ICD loader",
        .list_devices = ocl_list_devices,
        .open = ocl_open,
        .close = ocl_close,
        .device_info = ocl_device_info,
        .alignment = ocl_alignment,
        .supports = ocl_supports,
        .buffer_alloc = ocl_buffer_alloc,
        .buffer_free = ocl_buffer_free,
        .buffer_write = ocl_buffer_write,
        .buffer_read = ocl_buffer_read,
        .prepare = ocl_prepare,
        .run = ocl_run,
        .release = ocl_release,
        .constant_bytes = ocl_constant_bytes,
    };
    return &backend;
}
