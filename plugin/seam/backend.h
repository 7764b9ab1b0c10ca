/* The seam between the compute-API-agnostic core and a compute backend, after ggml's backend
 * vtable: a struct of function pointers with the interface version first. A backend is one
 * folder (cl/, vk/, ref/) that includes this header and tensor_shape.h / step.h only, and
 * exposes one entry function returning its table; the registry (registry.h) lists the
 * backends a build compiled in. A backend holds kernels and device plumbing; planning,
 * scheduling, step validation and the op table live in the core.
 *
 * Lifetime: open a device, allocate the arena, prepare a plan against it (the backend uploads
 * the constants its kernels read, once, in the layout they read), run it any number of times,
 * release, free, close.
 *
 * Threading: one context may be shared by several sessions on several threads; each prepared
 * plan has its own queue and launches, so runs of different prepared plans may be concurrent,
 * while one prepared plan is run by one thread at a time. Nothing here prints.
 *
 * What a new backend writes: every slot below except the optional ones; kernels for the step
 * kinds of step.h it supports (supports() refuses the others, naming why, at plan time).
 */
#ifndef LO_BACKEND_H
#define LO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "step.h"

/* Raised when a slot is added, removed or changes meaning; the registry refuses a backend
 * built against another version. */
#define LO_BACKEND_API_VERSION 4u

typedef struct lo_backend_context lo_backend_context;
typedef struct lo_backend_buffer lo_backend_buffer;
typedef struct lo_prepared lo_prepared;

typedef struct lo_backend {
    uint32_t api_version; /* LO_BACKEND_API_VERSION */
    const char *name;     /* what hosts and --backend select it by: lowercase, no spaces */
    const char *summary;  /* one line for listings: the API, and how devices are reached */

    /* Every device the backend can use, in a stable order; *count is the total. Each entry's
     * index is its position; backend is left for the core to fill. A backend whose API is
     * absent on the machine (no loader, no driver) reports 0 devices, not an error. */
    lo_status (*list_devices)(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                              lo_error *err);
    /* Opens device `index` of list_devices (the core resolves automatic choices). */
    lo_status (*open)(uint32_t index, lo_backend_context **out, lo_error *err);
    void (*close)(lo_backend_context *context);
    void (*device_info)(const lo_backend_context *context, lenet_onnx_device_desc *out);
    /* Required alignment of arena offsets in bytes: a power of two, at least sizeof(float). */
    size_t (*alignment)(const lo_backend_context *context);

    /* Asked once per step while planning, never at run time: LO_OK, or LO_ERR_UNSUPPORTED
     * with the reason (a dtype, an activation, a size past the kernels' indexing). The step is
     * already valid; this is only about what the backend can run. The message is the reason
     * alone: the core prefixes the file, node and op. */
    lo_status (*supports)(const lo_backend_context *context, const lo_step *step, lo_error *err);

    /* The arena: one buffer of `bytes` (never 0). */
    lo_status (*buffer_alloc)(lo_backend_context *context, size_t bytes, lo_backend_buffer **out,
                              lo_error *err);
    void (*buffer_free)(lo_backend_buffer *buffer);
    /* Blocking copies between host memory and (buffer, offset), for tools that look inside
     * the arena (per-node comparisons) and tests. */
    lo_status (*buffer_write)(lo_backend_context *context, lo_backend_buffer *buffer, size_t offset,
                              const void *data, size_t bytes, lo_error *err);
    lo_status (*buffer_read)(lo_backend_context *context, lo_backend_buffer *buffer, size_t offset,
                             void *data, size_t bytes, lo_error *err);

    /* Uploads the constants the steps read (plan->constants, valid only during this call) in
     * the layout its kernels read, builds (or fetches cached) programs, and creates one launch
     * per step with every argument bound. Every failure a run could hit is found here. */
    lo_status (*prepare)(lo_backend_context *context, const lo_plan *plan, lo_backend_buffer *arena,
                         lo_prepared **out, lo_error *err);
    /* One inference: write every input, enqueue every step, one wait, read every output held
     * in the arena (outputs placed in a constant are the core's). inputs[i] holds
     * plan->inputs[i]'s bytes; outputs likewise. When step_ms is not NULL it receives each
     * step's device time in milliseconds (profiling may add waits). */
    lo_status (*run)(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                     double *step_ms, lo_error *err);
    void (*release)(lo_prepared *prepared);

    /* ---- version 3 ---- */

    /* Bytes of device memory this prepared plan reads its constants from, in the layouts its
     * kernels read (plain copies and re-laid-out ones alike; a constant read in two layouts
     * counts twice). A copy the backend shares with other prepared plans (sessions of one
     * model) counts in each of them: this is what the plan reads, not what it alone owns. */
    uint64_t (*constant_bytes)(const lo_prepared *prepared);

    /* ---- version 4: no new slot; Conv and Gemm steps may fuse LeakyRelu and Clip, their
     * parameters in lo_activation_args (step.h), which a version 3 backend would ignore. ---- */
} lo_backend;

/* buffer_write and buffer_read's argument check, the same in every backend: a buffer
 * (`present`), data for a copy of any bytes, and the bytes at offset inside the buffer's
 * `size`; `what` names the call in the message. */
lo_status lo_backend_check_copy(bool present, size_t size, size_t offset, size_t bytes,
                                const void *data, const char *what, lo_error *err);

#endif
