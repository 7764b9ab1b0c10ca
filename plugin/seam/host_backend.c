/* The host backends' shared plumbing (host_backend.h). */
#define _POSIX_C_SOURCE 200809L
#include "host_backend.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

/* The machine's physical memory in bytes; 0 when it cannot say. */
static uint64_t physical_memory(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    return pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
}

void lo_host_describe(lenet_onnx_device_desc *desc, const char *name, const char *driver,
                      size_t alignment)
{
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->index = 0;
    desc->type = LENET_ONNX_DEVICE_TYPE_CPU;
    snprintf(desc->name, sizeof desc->name, "%s", name);
    snprintf(desc->driver, sizeof desc->driver, "%s", driver);
    snprintf(desc->driver_version, sizeof desc->driver_version, "%u",
             (unsigned)LO_BACKEND_API_VERSION);
    desc->memory_bytes = physical_memory();
    desc->alignment_bytes = alignment;
}

lo_status lo_host_list_one(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                           void (*describe)(lenet_onnx_device_desc *desc), lo_error *err)
{
    if (!count || (capacity > 0 && !devices))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "list_devices: count is NULL, or devices is NULL with a nonzero capacity");
    if (capacity > 0) describe(&devices[0]);
    *count = 1;
    return LO_OK;
}

lo_status lo_host_buffer_alloc(size_t bytes, size_t alignment, lo_host_buffer *out, lo_error *err)
{
    memset(out, 0, sizeof *out);
    /* Past the machine's memory, malloc may still say yes (overcommit) and the first touch
     * would bring the OOM killer: refuse it here, as a device refuses past its memory. */
    const uint64_t memory = physical_memory();
    if (memory > 0 && (uint64_t)bytes > memory)
        return lo_fail(err, LO_ERR_NO_MEMORY,
                       "%zu bytes asked of host memory, past the machine's %llu", bytes,
                       (unsigned long long)memory);
    const size_t size = bytes ? bytes : 1;
    out->block = size <= SIZE_MAX - alignment ? lo_malloc(size + alignment) : NULL;
    if (!out->block)
        return lo_fail(err, LO_ERR_NO_MEMORY, "out of host memory allocating %zu bytes", bytes);
    const uintptr_t at = ((uintptr_t)out->block + alignment - 1) & ~(uintptr_t)(alignment - 1);
    out->data = (unsigned char *)at;
    out->bytes = bytes;
    return LO_OK;
}

void lo_host_buffer_release(lo_host_buffer *buffer)
{
    lo_free(buffer->block);
    memset(buffer, 0, sizeof *buffer);
}

lo_status lo_host_buffer_write(lo_host_buffer *buffer, size_t offset, const void *data,
                               size_t bytes, lo_error *err)
{
    const lo_status status = lo_backend_check_copy(buffer != NULL, buffer ? buffer->bytes : 0,
                                                   offset, bytes, data, "buffer_write", err);
    if (status == LO_OK && bytes > 0) memcpy(buffer->data + offset, data, bytes);
    return status;
}

lo_status lo_host_buffer_read(const lo_host_buffer *buffer, size_t offset, void *data, size_t bytes,
                              lo_error *err)
{
    const lo_status status = lo_backend_check_copy(buffer != NULL, buffer ? buffer->bytes : 0,
                                                   offset, bytes, data, "buffer_read", err);
    if (status == LO_OK && bytes > 0) memcpy(data, buffer->data + offset, bytes);
    return status;
}

lo_status lo_host_slot_buffer_alloc(lo_backend_context *context, size_t bytes,
                                    lo_backend_buffer **out, lo_error *err)
{
    (void)context;
    if (!out) return lo_fail(err, LO_ERR_ARGUMENT, "buffer_alloc: out is NULL");
    *out = NULL;
    lo_backend_buffer *buffer = lo_calloc(1, sizeof *buffer);
    if (!buffer) return lo_fail(err, LO_ERR_NO_MEMORY, "out of host memory for a buffer");
    const lo_status status = lo_host_buffer_alloc(bytes, LO_HOST_ALIGNMENT, &buffer->host, err);
    if (status != LO_OK) {
        lo_free(buffer);
        return status;
    }
    *out = buffer;
    return LO_OK;
}

void lo_host_slot_buffer_free(lo_backend_buffer *buffer)
{
    if (!buffer) return;
    lo_host_buffer_release(&buffer->host);
    lo_free(buffer);
}

lo_status lo_host_slot_buffer_write(lo_backend_context *context, lo_backend_buffer *buffer,
                                    size_t offset, const void *data, size_t bytes, lo_error *err)
{
    (void)context;
    return lo_host_buffer_write(buffer ? &buffer->host : NULL, offset, data, bytes, err);
}

lo_status lo_host_slot_buffer_read(lo_backend_context *context, lo_backend_buffer *buffer,
                                   size_t offset, void *data, size_t bytes, lo_error *err)
{
    (void)context;
    return lo_host_buffer_read(lo_host_of(buffer), offset, data, bytes, err);
}

const lo_host_buffer *lo_host_of(const lo_backend_buffer *buffer)
{
    return buffer ? &buffer->host : NULL;
}

lo_status lo_host_check_plan(const lo_plan *plan, const lo_host_buffer *arena, lo_error *err)
{
    if (!plan || plan->num_steps < 0 || plan->num_inputs < 0 || plan->num_outputs < 0 ||
        plan->num_constants < 0 || (plan->num_steps > 0 && !plan->steps) ||
        (plan->num_inputs > 0 && !plan->inputs) || (plan->num_outputs > 0 && !plan->outputs) ||
        (plan->num_constants > 0 && !plan->constants))
        return lo_fail(err, LO_ERR_ARGUMENT, "prepare: NULL or inconsistent plan arguments");
    if (plan->arena_bytes > 0 && (!arena || arena->bytes < plan->arena_bytes))
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "prepare: the plan needs a %zu-byte arena; the buffer holds %zu",
                       plan->arena_bytes, arena ? arena->bytes : 0);
    return LO_OK;
}

lo_status lo_host_place(const lo_host_buffer *arena, const lo_tensor_ref *ref, const char *what,
                        unsigned char **at, size_t *bytes, lo_error *err)
{
    *bytes = lo_tensor_ref_bytes(ref);
    if (!arena || ref->offset > arena->bytes || *bytes > arena->bytes - ref->offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "%s (%zu bytes at offset %zu) runs past the arena (%zu bytes)", what, *bytes,
                       ref->offset, arena ? arena->bytes : 0);
    *at = arena->data + ref->offset;
    return LO_OK;
}

lo_status lo_host_find_constant(const lo_plan *plan, const lo_tensor_ref *ref, const char *what,
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

lo_status lo_host_place_io(const lo_plan *plan, const lo_host_buffer *arena, lo_host_io *inputs,
                           lo_host_io *outputs, lo_error *err)
{
    lo_status status = LO_OK;
    for (int i = 0; i < plan->num_inputs && status == LO_OK; i++) {
        if (plan->inputs[i].buffer != LO_BUFFER_ARENA)
            return lo_fail(err, LO_ERR_ARGUMENT, "graph input %d is not placed in the arena", i);
        status = lo_host_place(arena, &plan->inputs[i], "a graph input", &inputs[i].at,
                               &inputs[i].bytes, err);
    }
    for (int i = 0; i < plan->num_outputs && status == LO_OK; i++)
        if (plan->outputs[i].buffer == LO_BUFFER_ARENA) /* constants are the core's */
            status = lo_host_place(arena, &plan->outputs[i], "a graph output", &outputs[i].at,
                                   &outputs[i].bytes, err);
    return status;
}

lo_status lo_host_begin_run(const lo_host_io *io_in, int num_inputs, const void *const *inputs,
                            const lo_host_io *io_out, int num_outputs, void *const *outputs,
                            lo_error *err)
{
    for (int i = 0; i < num_inputs; i++)
        if (io_in[i].bytes > 0 && (!inputs || !inputs[i]))
            return lo_fail(err, LO_ERR_ARGUMENT, "run: input %d is NULL", i);
    for (int i = 0; i < num_outputs; i++)
        if (io_out[i].bytes > 0 && (!outputs || !outputs[i]))
            return lo_fail(err, LO_ERR_ARGUMENT, "run: output %d is NULL", i);
    for (int i = 0; i < num_inputs; i++)
        if (io_in[i].bytes > 0 && !io_in[i].in_place)
            memcpy(io_in[i].at, inputs[i], io_in[i].bytes);
    return LO_OK;
}

void lo_host_end_run(const lo_host_io *io_out, int num_outputs, void *const *outputs)
{
    for (int i = 0; i < num_outputs; i++)
        if (io_out[i].bytes > 0) memcpy(outputs[i], io_out[i].at, io_out[i].bytes);
}

double lo_host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}
