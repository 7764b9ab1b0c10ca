/* Storage buffers and host transfers. Device buffers take device-local memory that is also
 * host-visible and coherent when the device has it (lavapipe, integrated GPUs, resizable BAR),
 * mapped once so inputs and outputs are plain memcpy; otherwise plain device-local memory
 * reached through staging buffers and a copy submit.
 */
#include "vk_internal.h"

#include <string.h>

#include "alloc.h"

#define HOST_BITS (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)

/* The first memory type allowed by type_bits that has every `want` flag; -1 when none. */
static int memory_type(const VkPhysicalDeviceMemoryProperties *mem, uint32_t type_bits,
                       VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < mem->memoryTypeCount; i++)
        if ((type_bits & (1u << i)) && (mem->memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

lo_status lo_vk_buffer_create(lo_backend_context *ctx, size_t bytes, lo_vk_memory_use use,
                              lo_backend_buffer **out, lo_error *err)
{
    *out = NULL;
    const lo_vk_api *vk = &ctx->api;
    lo_backend_buffer *b = lo_calloc(1, sizeof *b);
    if (!b) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    b->ctx = ctx;
    /* Whole 16-byte words, so every tensor range rounded up to a word stays inside. */
    b->bytes = (bytes + 15) / 16 * 16;
    lo_status st;
    VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                               .size = b->bytes,
                               .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vk->vkCreateBuffer(ctx->device, &info, NULL, &b->buffer);
    if (r != VK_SUCCESS) {
        b->buffer = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkCreateBuffer");
        goto fail;
    }
    VkMemoryRequirements req;
    vk->vkGetBufferMemoryRequirements(ctx->device, b->buffer, &req);

    /* Preferred memory first; a failed allocation falls back to the next kind. */
    const VkMemoryPropertyFlags device_local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkMemoryPropertyFlags choices[3] = {use == LO_VK_MEMORY_HOST
                                                  ? HOST_BITS | VK_MEMORY_PROPERTY_HOST_CACHED_BIT
                                                  : device_local | HOST_BITS,
                                              use == LO_VK_MEMORY_HOST ? HOST_BITS : device_local,
                                              use == LO_VK_MEMORY_HOST ? HOST_BITS : 0};
    r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
    int type = -1;
    for (int c = 0; c < 3 && r != VK_SUCCESS; c++) {
        type = memory_type(&ctx->memory, req.memoryTypeBits, choices[c]);
        if (type < 0) continue;
        VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = req.size,
                                      .memoryTypeIndex = (uint32_t)type};
        r = vk->vkAllocateMemory(ctx->device, &alloc, NULL, &b->memory);
    }
    if (r != VK_SUCCESS) {
        b->memory = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkAllocateMemory");
        lo_fail_prefix(err, "%zu bytes on '%s': ", bytes, ctx->desc.name);
        goto fail;
    }
    r = vk->vkBindBufferMemory(ctx->device, b->buffer, b->memory, 0);
    if (r != VK_SUCCESS) {
        st = lo_vk_fail(err, r, "vkBindBufferMemory");
        goto fail;
    }
    if ((ctx->memory.memoryTypes[type].propertyFlags & HOST_BITS) == HOST_BITS &&
        !(use == LO_VK_MEMORY_DEVICE && ctx->force_staging)) {
        r = vk->vkMapMemory(ctx->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped);
        if (r != VK_SUCCESS) {
            b->mapped = NULL;
            if (use == LO_VK_MEMORY_HOST) {
                st = lo_vk_fail(err, r, "vkMapMemory");
                goto fail;
            }
        }
    }
    *out = b;
    return LO_OK;
fail:
    lo_vk_buffer_destroy(b);
    return st;
}

void lo_vk_buffer_destroy(lo_backend_buffer *b)
{
    if (!b) return;
    const lo_vk_api *vk = &b->ctx->api;
    if (b->mapped) vk->vkUnmapMemory(b->ctx->device, b->memory);
    if (b->buffer) vk->vkDestroyBuffer(b->ctx->device, b->buffer, NULL);
    if (b->memory) vk->vkFreeMemory(b->ctx->device, b->memory, NULL);
    lo_free(b);
}

/* One copy between `device` at offset and a staging buffer, submitted and waited for. */
static lo_status staged_copy(lo_backend_buffer *device, size_t offset, lo_backend_buffer *staging,
                             size_t bytes, bool to_device, lo_error *err)
{
    lo_backend_context *ctx = device->ctx;
    const lo_vk_api *vk = &ctx->api;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    lo_status st = LO_OK;
    VkResult r;
    pthread_mutex_lock(&ctx->lock);
    VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                         .commandPool = ctx->transfer_pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                         .commandBufferCount = 1};
    if ((r = vk->vkAllocateCommandBuffers(ctx->device, &alloc, &cmd)) != VK_SUCCESS) {
        cmd = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkAllocateCommandBuffers");
        goto done;
    }
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vk->vkBeginCommandBuffer(cmd, &begin);
    /* Earlier runs' shader writes before the copy; the copy before the host reads. */
    VkMemoryBarrier before = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    vk->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                             VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
    VkBufferCopy region = {
        .srcOffset = to_device ? 0 : offset, .dstOffset = to_device ? offset : 0, .size = bytes};
    vk->vkCmdCopyBuffer(cmd, to_device ? staging->buffer : device->buffer,
                        to_device ? device->buffer : staging->buffer, 1, &region);
    VkMemoryBarrier after = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                             .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                             .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT |
                                              VK_ACCESS_SHADER_WRITE_BIT};
    vk->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1,
                             &after, 0, NULL, 0, NULL);
    if ((r = vk->vkEndCommandBuffer(cmd)) != VK_SUCCESS) {
        st = lo_vk_fail(err, r, "vkEndCommandBuffer");
        goto done;
    }
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vk->vkCreateFence(ctx->device, &fence_info, NULL, &fence)) != VK_SUCCESS) {
        fence = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkCreateFence");
        goto done;
    }
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    if ((r = vk->vkQueueSubmit(ctx->queue, 1, &submit, fence)) != VK_SUCCESS) {
        st = lo_vk_fail(err, r, "vkQueueSubmit");
        goto done;
    }
    if ((r = vk->vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, UINT64_MAX)) != VK_SUCCESS)
        st = lo_vk_fail(err, r, "vkWaitForFences");
done:
    if (fence) vk->vkDestroyFence(ctx->device, fence, NULL);
    if (cmd) vk->vkFreeCommandBuffers(ctx->device, ctx->transfer_pool, 1, &cmd);
    pthread_mutex_unlock(&ctx->lock);
    return st;
}

static lo_status check_range(const lo_backend_buffer *b, size_t offset, size_t bytes, lo_error *err)
{
    if (offset > b->bytes || bytes > b->bytes - offset)
        return lo_fail(err, LO_ERR_ARGUMENT,
                       "vulkan: %zu bytes at offset %zu lie outside a buffer of %zu bytes", bytes,
                       offset, b->bytes);
    return LO_OK;
}

lo_status lo_vk_buffer_write(lo_backend_buffer *b, size_t offset, const void *data, size_t bytes,
                             lo_error *err)
{
    lo_status st = check_range(b, offset, bytes, err);
    if (st != LO_OK || bytes == 0) return st;
    if (b->mapped) {
        memcpy((unsigned char *)b->mapped + offset, data, bytes);
        return LO_OK;
    }
    lo_backend_buffer *staging;
    if ((st = lo_vk_buffer_create(b->ctx, bytes, LO_VK_MEMORY_HOST, &staging, err)) != LO_OK)
        return st;
    memcpy(staging->mapped, data, bytes);
    st = staged_copy(b, offset, staging, bytes, true, err);
    lo_vk_buffer_destroy(staging);
    return st;
}

lo_status lo_vk_buffer_read(lo_backend_buffer *b, size_t offset, void *data, size_t bytes,
                            lo_error *err)
{
    lo_status st = check_range(b, offset, bytes, err);
    if (st != LO_OK || bytes == 0) return st;
    if (b->mapped) {
        memcpy(data, (const unsigned char *)b->mapped + offset, bytes);
        return LO_OK;
    }
    lo_backend_buffer *staging;
    if ((st = lo_vk_buffer_create(b->ctx, bytes, LO_VK_MEMORY_HOST, &staging, err)) != LO_OK)
        return st;
    st = staged_copy(b, offset, staging, bytes, false, err);
    if (st == LO_OK) memcpy(data, staging->mapped, bytes);
    lo_vk_buffer_destroy(staging);
    return st;
}
