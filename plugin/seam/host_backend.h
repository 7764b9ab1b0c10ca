/* Plumbing shared by the backends whose device is the host itself (cpu/, ref/): the arena is
 * host memory, a tensor is a pointer into it, a constant is the plan's bytes (or a copy), and
 * a run copies the graph's inputs in and its outputs out. Kernels are each backend's own.
 */
#ifndef LO_HOST_BACKEND_H
#define LO_HOST_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

/* Arena offsets and buffers of the host backends: a cache line, the widest vector's size. */
#define LO_HOST_ALIGNMENT 64u

typedef struct lo_host_buffer {
    void *block;         /* what was allocated */
    unsigned char *data; /* its first byte at the alignment */
    size_t bytes;
} lo_host_buffer;

/* A host backend's buffer (the type backend.h leaves to each backend). */
struct lo_backend_buffer {
    lo_host_buffer host;
};

/* The buffer slots of the backend table, for every host backend. */
lo_status lo_host_slot_buffer_alloc(lo_backend_context *context, size_t bytes,
                                    lo_backend_buffer **out, lo_error *err);
void lo_host_slot_buffer_free(lo_backend_buffer *buffer);
lo_status lo_host_slot_buffer_write(lo_backend_context *context, lo_backend_buffer *buffer,
                                    size_t offset, const void *data, size_t bytes, lo_error *err);
lo_status lo_host_slot_buffer_read(lo_backend_context *context, lo_backend_buffer *buffer,
                                   size_t offset, void *data, size_t bytes, lo_error *err);

/* The host memory of a buffer (NULL for NULL). */
const lo_host_buffer *lo_host_of(const lo_backend_buffer *buffer);

/* The host as a device: type CPU, the machine's memory, the alignment arena offsets keep. */
void lo_host_describe(lenet_onnx_device_desc *desc, const char *name, const char *driver,
                      size_t alignment);

/* list_devices for one host device described by describe(desc). */
lo_status lo_host_list_one(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                           void (*describe)(lenet_onnx_device_desc *desc), lo_error *err);

lo_status lo_host_buffer_alloc(size_t bytes, size_t alignment, lo_host_buffer *out, lo_error *err);
void lo_host_buffer_release(lo_host_buffer *buffer);
/* buffer_write / buffer_read: bytes at offset, checked to lie inside the buffer. */
lo_status lo_host_buffer_write(lo_host_buffer *buffer, size_t offset, const void *data,
                               size_t bytes, lo_error *err);
lo_status lo_host_buffer_read(const lo_host_buffer *buffer, size_t offset, void *data, size_t bytes,
                              lo_error *err);

/* prepare's argument checks: a consistent plan, and an arena that holds it. */
lo_status lo_host_check_plan(const lo_plan *plan, const lo_host_buffer *arena, lo_error *err);

/* Where a tensor placed in the arena lies, checked to lie inside it; `what` names it. */
lo_status lo_host_place(const lo_host_buffer *arena, const lo_tensor_ref *ref, const char *what,
                        unsigned char **at, size_t *bytes, lo_error *err);

/* The plan constant a step input names, checked to hold the bytes the input reads. */
lo_status lo_host_find_constant(const lo_plan *plan, const lo_tensor_ref *ref, const char *what,
                                const lo_plan_constant **out, lo_error *err);

/* A graph input or output in the arena (bytes 0: an output held in a constant, the core's). */
typedef struct lo_host_io {
    unsigned char *at;
    size_t bytes;
    bool in_place; /* an input the steps read where the caller holds it (input_in_place.h) */
} lo_host_io;

/* Places the plan's inputs (always in the arena) and outputs into arrays of num_inputs and
 * num_outputs entries. */
lo_status lo_host_place_io(const lo_plan *plan, const lo_host_buffer *arena, lo_host_io *inputs,
                           lo_host_io *outputs, lo_error *err);
/* run's first part: checks the host's pointers and copies every input not in place into the
 * arena. */
lo_status lo_host_begin_run(const lo_host_io *io_in, int num_inputs, const void *const *inputs,
                            const lo_host_io *io_out, int num_outputs, void *const *outputs,
                            lo_error *err);
/* run's last part: copies every output held in the arena out. */
void lo_host_end_run(const lo_host_io *io_out, int num_outputs, void *const *outputs);

/* Milliseconds on a monotonic clock, for per-step times. */
double lo_host_now_ms(void);

#endif
