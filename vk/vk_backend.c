/* The Vulkan backend's table (plugin/seam/backend.h, interface version 2). Devices and
 * contexts live in vk_device.c, buffers in vk_memory.c, step lowering in vk_steps.c, recording
 * and running in vk_prepared.c.
 */
#include "vk_internal.h"

static void vk_close(lo_backend_context *ctx)
{
    lo_vk_close(ctx);
}

static void vk_device_info(const lo_backend_context *ctx, lenet_onnx_device_desc *out)
{
    *out = ctx->desc;
}

static size_t vk_alignment(const lo_backend_context *ctx)
{
    return ctx->alignment;
}

static lo_status vk_buffer_alloc(lo_backend_context *ctx, size_t bytes, lo_backend_buffer **out,
                                 lo_error *err)
{
    return lo_vk_buffer_create(ctx, bytes, LO_VK_MEMORY_DEVICE, out, err);
}

static lo_status vk_buffer_write(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                 const void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    return lo_vk_buffer_write(buffer, offset, data, bytes, err);
}

static lo_status vk_buffer_read(lo_backend_context *ctx, lo_backend_buffer *buffer, size_t offset,
                                void *data, size_t bytes, lo_error *err)
{
    (void)ctx;
    return lo_vk_buffer_read(buffer, offset, data, bytes, err);
}

static const lo_backend vulkan_backend = {
    .api_version = LO_BACKEND_API_VERSION,
    .name = "vulkan",
    .summary = "Vulkan compute devices through libvulkan.so.1, opened at run time",
    .list_devices = lo_vk_list_devices,
    .open = lo_vk_open,
    .close = vk_close,
    .device_info = vk_device_info,
    .alignment = vk_alignment,
    .supports = lo_vk_supports,
    .buffer_alloc = vk_buffer_alloc,
    .buffer_free = lo_vk_buffer_destroy,
    .buffer_write = vk_buffer_write,
    .buffer_read = vk_buffer_read,
    .prepare = lo_vk_prepare,
    .run = lo_vk_run,
    .release = lo_vk_release,
    .constant_bytes = lo_vk_constant_bytes,
};

const lo_backend *lo_vulkan_backend(void);

const lo_backend *lo_vulkan_backend(void)
{
    return &vulkan_backend;
}
