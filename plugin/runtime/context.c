#include "context.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "registry.h"

/* Every device of one backend, each stamped with the backend's name; *devices is lo_malloc'd
 * (NULL when there are none). */
static lo_status backend_devices(const lo_backend *b, lenet_onnx_device_desc **devices,
                                 size_t *count, lo_error *err)
{
    *devices = NULL;
    *count = 0;
    size_t total = 0;
    lo_status st = b->list_devices(NULL, 0, &total, err);
    if (st != LO_OK || total == 0) return st;
    lenet_onnx_device_desc *list = lo_calloc(total, sizeof *list);
    if (!list) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory listing %s devices", b->name);
    size_t filled = 0;
    if ((st = b->list_devices(list, total, &filled, err)) != LO_OK) {
        lo_free(list);
        return st;
    }
    if (filled < total) total = filled; /* a device went away between the two calls */
    for (size_t i = 0; i < total; i++) {
        list[i].struct_size = sizeof list[i];
        snprintf(list[i].backend, sizeof list[i].backend, "%s", b->name);
        list[i].index = (uint32_t)i;
    }
    *devices = list;
    *count = total;
    return LO_OK;
}

lo_status lo_list_backend_devices(const char *backend, lenet_onnx_device_desc *devices,
                                  size_t capacity, size_t *count, lo_error *err)
{
    *count = 0;
    size_t total = 0;
    for (size_t i = 0; i < lo_registry_count(); i++) {
        const lo_backend *b;
        lo_status st = backend && backend[0] ? lo_registry_find(backend, &b, err)
                                             : lo_registry_get(i, &b, err);
        if (st != LO_OK) return st;
        lenet_onnx_device_desc *list;
        size_t n;
        if ((st = backend_devices(b, &list, &n, err)) != LO_OK) return st;
        for (size_t d = 0; d < n; d++, total++)
            if (total < capacity) devices[total] = list[d];
        lo_free(list);
        if (backend && backend[0]) break;
    }
    *count = total;
    return LO_OK;
}

/* The device of `list` the choice names, or -1. AUTO takes a GPU only: its fallback to any
 * device is the caller's, after every backend was asked for a GPU. */
static long pick_device(const lo_device_choice *c, const lenet_onnx_device_desc *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (c->select) {
        case LENET_ONNX_DEVICE_AUTO:
            if (list[i].type == LENET_ONNX_DEVICE_TYPE_GPU) return (long)i;
            break;
        case LENET_ONNX_DEVICE_INDEX:
            if (i == c->index) return (long)i;
            break;
        case LENET_ONNX_DEVICE_TYPE:
            if (list[i].type == c->type) return (long)i;
            break;
        case LENET_ONNX_DEVICE_NAME:
            if (c->name && strstr(list[i].name, c->name)) return (long)i;
            break;
        }
    }
    return -1;
}

static const char *choice_text(const lo_device_choice *c, char *buf, size_t size)
{
    static const char *const types[] = {"other", "cpu", "gpu", "accelerator"};
    switch (c->select) {
    case LENET_ONNX_DEVICE_AUTO:
        snprintf(buf, size, "device");
        break;
    case LENET_ONNX_DEVICE_INDEX:
        snprintf(buf, size, "device %u", (unsigned)c->index);
        break;
    case LENET_ONNX_DEVICE_TYPE:
        snprintf(buf, size, "device of type %s",
                 (unsigned)c->type < 4 ? types[c->type] : "unknown");
        break;
    case LENET_ONNX_DEVICE_NAME:
        snprintf(buf, size, "device whose name contains '%s'", c->name ? c->name : "");
        break;
    }
    return buf;
}

static lo_status open_device(const lo_backend *b, uint32_t index, lenet_onnx_context **out,
                             lo_error *err)
{
    lenet_onnx_context *context = lo_calloc(1, sizeof *context);
    if (!context) return lo_fail(err, LO_ERR_NO_MEMORY, "out of memory opening a context");
    context->backend = b;
    atomic_init(&context->references, 1);
    lo_status st = b->open(index, &context->device, err);
    if (st != LO_OK) {
        lo_free(context);
        return st;
    }
    b->device_info(context->device, &context->desc);
    context->desc.struct_size = sizeof context->desc;
    snprintf(context->desc.backend, sizeof context->desc.backend, "%s", b->name);
    context->desc.index = index;
    lo_log(LENET_ONNX_LOG_INFO, "%s: opened device %u '%s' (%s %s)", b->name, (unsigned)index,
           context->desc.name, context->desc.driver, context->desc.driver_version);
    *out = context;
    return LO_OK;
}

lo_status lo_context_open(const lo_device_choice *choice, lenet_onnx_context **out, lo_error *err)
{
    *out = NULL;
    const bool automatic =
        !choice->backend || !choice->backend[0] || strcmp(choice->backend, "auto") == 0;
    const lo_backend *fallback = NULL; /* AUTO without a GPU anywhere: the first with a device */
    size_t devices_seen = 0;
    for (size_t i = 0; i < lo_registry_count(); i++) {
        const lo_backend *b;
        lo_status st =
            automatic ? lo_registry_get(i, &b, err) : lo_registry_find(choice->backend, &b, err);
        if (st != LO_OK) return st;
        lenet_onnx_device_desc *list;
        size_t n;
        if ((st = backend_devices(b, &list, &n, err)) != LO_OK) return st;
        long at = pick_device(choice, list, n);
        lo_free(list);
        devices_seen += n;
        if (at >= 0) return open_device(b, (uint32_t)at, out, err);
        if (n > 0 && !fallback) fallback = b;
        if (!automatic) break;
    }
    if (choice->select == LENET_ONNX_DEVICE_AUTO && fallback)
        return open_device(fallback, 0, out, err);
    char what[160];
    choice_text(choice, what, sizeof what);
    if (devices_seen == 0)
        return lo_fail(err, LO_ERR_DEVICE, "no %s device found (is its driver installed?)",
                       automatic ? "compute" : choice->backend);
    return lo_fail(err, LO_ERR_ARGUMENT, "%s: no %s among the %zu device(s) found",
                   automatic ? "any backend" : choice->backend, what, devices_seen);
}

void lo_context_retain(lenet_onnx_context *context)
{
    atomic_fetch_add_explicit(&context->references, 1, memory_order_relaxed);
}

void lo_context_release(lenet_onnx_context *context)
{
    if (!context) return;
    /* acq_rel: the last releaser sees every other holder's writes before closing. */
    if (atomic_fetch_sub_explicit(&context->references, 1, memory_order_acq_rel) != 1) return;
    context->backend->close(context->device);
    lo_free(context);
}
