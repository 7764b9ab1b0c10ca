/* The seam between the compute-API-agnostic core and a compute backend (OpenCL today,
 * Vulkan next), after ggml's backend vtable: a struct of function pointers with the interface
 * version first. A backend holds kernels and device plumbing only; planning, scheduling and
 * the op table live in the core.
 *
 * Lifetime: open a context, allocate the arena and weights buffers, write the weights,
 * prepare a plan against them, run it any number of times, release, free, close.
 * Threading: one context may be shared by several sessions on several threads; each prepared
 * plan has its own queue and kernels, so runs of different prepared plans may be concurrent,
 * while one prepared plan is run by one thread at a time. Nothing here prints.
 */
#ifndef LO_BACKEND_H
#define LO_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "step.h"

#define LO_BACKEND_API_VERSION 1u

typedef struct lo_backend_context lo_backend_context;
typedef struct lo_backend_buffer lo_backend_buffer;
typedef struct lo_prepared lo_prepared;

typedef struct lo_backend {
    uint32_t api_version; /* LO_BACKEND_API_VERSION */
    const char *name;     /* "opencl" */

    /* Every device the backend can use, in a stable order; *count is the total. */
    lo_status (*list_devices)(lenet_onnx_device_info *devices, size_t capacity, size_t *count,
                              lo_error *err);
    /* Opens the device: LENET_ONNX_DEVICE_AUTO picks the first GPU, else the first device. */
    lo_status (*open)(lenet_onnx_device_select select, uint32_t index, lo_backend_context **out,
                      lo_error *err);
    void (*close)(lo_backend_context *context);
    void (*device_info)(const lo_backend_context *context, lenet_onnx_device_info *out);
    /* Required alignment of buffer offsets in bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
    size_t (*alignment)(const lo_backend_context *context);

    /* Asked while planning, never at run time: LO_OK, or LO_ERR_UNSUPPORTED with the reason. */
    lo_status (*supports)(const lo_backend_context *context, const lo_step *step, lo_error *err);

    lo_status (*buffer_alloc)(lo_backend_context *context, size_t bytes, lo_backend_buffer **out,
                              lo_error *err);
    void (*buffer_free)(lo_backend_buffer *buffer);
    /* Blocking copies between host memory and (buffer, offset). */
    lo_status (*buffer_write)(lo_backend_context *context, lo_backend_buffer *buffer, size_t offset,
                              const void *data, size_t bytes, lo_error *err);
    lo_status (*buffer_read)(lo_backend_context *context, lo_backend_buffer *buffer, size_t offset,
                             void *data, size_t bytes, lo_error *err);

    /* Builds (or fetches cached) programs and creates one launch per step with every argument
     * bound. The core has already written plan->weights into `weights` (NULL when
     * plan->weights_bytes is 0); prepare may read the host image to derive kernel-friendly
     * copies of constants (pre-transposed weights), which the prepared plan then owns. */
    lo_status (*prepare)(lo_backend_context *context, const lo_plan *plan, lo_backend_buffer *arena,
                         lo_backend_buffer *weights, lo_prepared **out, lo_error *err);
    /* One inference: write every input, enqueue every step, one wait, read every output.
     * inputs[i] holds plan->inputs[i]'s bytes; outputs likewise. When step_ms is not NULL it
     * receives each step's device time in milliseconds (profiling may add waits). */
    lo_status (*run)(lo_prepared *prepared, const void *const *inputs, void *const *outputs,
                     double *step_ms, lo_error *err);
    void (*release)(lo_prepared *prepared);
} lo_backend;

/* The OpenCL backend (cl/). */
const lo_backend *lo_opencl_backend(void);

#endif
