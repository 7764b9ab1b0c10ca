/* A context: one backend from the registry and one of its devices, opened. The choice of
 * backend and device (by name, index, type or substring, or automatic) is made here, once for
 * every backend, so a backend only lists and opens devices by index. */
#ifndef LO_CONTEXT_H
#define LO_CONTEXT_H

#include <stdatomic.h>

#include "backend.h"

struct lenet_onnx_context {
    const lo_backend *backend;
    lo_backend_context *device;
    lenet_onnx_device_desc desc;
    /* The host's reference plus one per session: the device closes when the last goes. */
    atomic_int references;
};

/* What to open; names and indices as in lenet_onnx_context_options (backend NULL, "" or
 * "auto": automatic). */
typedef struct lo_device_choice {
    const char *backend;
    lenet_onnx_device_select select;
    uint32_t index;
    lenet_onnx_device_type type;
    const char *name;
} lo_device_choice;

/* Opens a context holding one reference. */
lo_status lo_context_open(const lo_device_choice *choice, lenet_onnx_context **out, lo_error *err);
void lo_context_retain(lenet_onnx_context *context);
/* Drops one reference; the last closes the device. NULL is ignored. */
void lo_context_release(lenet_onnx_context *context);

/* Devices of one backend (NULL: every backend, in registry order), each naming its backend;
 * fills up to capacity and sets *count to the total. */
lo_status lo_list_backend_devices(const char *backend, lenet_onnx_device_desc *devices,
                                  size_t capacity, size_t *count, lo_error *err);

#endif
