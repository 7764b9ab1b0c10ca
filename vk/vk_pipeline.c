/* Compute pipelines: one per shader, made on first use with every shader sharing a layout per
 * binding count (storage buffers 0..n-1, one push-constant block). A VkPipelineCache keeps the
 * drivers' compiled code on disk beside the OpenCL binary cache, in a file named by vendor,
 * device, driver version and the driver's pipelineCacheUUID, behind a header with a checksum so
 * a truncated or foreign file is ignored rather than handed to the driver.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "disk_cache.h"
#include "regular_file.h"

#define CACHE_MAGIC     "LOVKPC01"
#define CACHE_MAX_BYTES (256u << 20)

static void cache_path(lo_backend_context *ctx)
{
    ctx->pipeline_cache_path[0] = '\0';
    char dir[3072];
    if (lo_disk_cache_disabled() || !lo_disk_cache_dir(dir, sizeof dir)) return;
    const VkPhysicalDeviceProperties *p = &ctx->properties;
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; i++)
        snprintf(uuid + 2 * i, 3, "%02x", p->pipelineCacheUUID[i]);
    int n = snprintf(ctx->pipeline_cache_path, sizeof ctx->pipeline_cache_path,
                     "%s/vk-%04x-%04x-%08x-%s.vkpc", dir, p->vendorID, p->deviceID,
                     p->driverVersion, uuid);
    if (n < 0 || (size_t)n >= sizeof ctx->pipeline_cache_path) ctx->pipeline_cache_path[0] = '\0';
}

/* The cached bytes of a previous process, or NULL. */
static void *cache_load(const char *path, size_t *bytes)
{
    *bytes = 0;
    FILE *f = lo_fopen_regular(path); /* a FIFO left there must not block us */
    if (!f) return NULL;
    unsigned char header[24];
    void *data = NULL;
    uint64_t size, hash;
    if (fread(header, 1, sizeof header, f) != sizeof header || memcmp(header, CACHE_MAGIC, 8) != 0)
        goto fail;
    memcpy(&size, header + 8, 8);
    memcpy(&hash, header + 16, 8);
    if (size == 0 || size > CACHE_MAX_BYTES || !(data = lo_malloc((size_t)size))) goto fail;
    if (fread(data, 1, (size_t)size, f) != size ||
        lo_fnv1a(LO_FNV1A_SEED, data, (size_t)size) != hash)
        goto fail;
    fclose(f);
    *bytes = (size_t)size;
    return data;
fail:
    lo_free(data);
    fclose(f);
    lo_trace("vulkan: ignoring the unreadable pipeline cache %s", path);
    return NULL;
}

void lo_vk_pipeline_cache_save(lo_backend_context *ctx)
{
    if (!ctx->pipeline_cache || !ctx->pipeline_cache_dirty || !ctx->pipeline_cache_path[0]) return;
    ctx->pipeline_cache_dirty = false;
    const lo_vk_api *vk = &ctx->api;
    size_t size = 0;
    if (vk->vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &size, NULL) != VK_SUCCESS ||
        size == 0 || size > CACHE_MAX_BYTES)
        return;
    unsigned char *data = lo_malloc(size);
    if (!data) return;
    if (vk->vkGetPipelineCacheData(ctx->device, ctx->pipeline_cache, &size, data) != VK_SUCCESS)
        goto done;
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", ctx->pipeline_cache_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (slash && !lo_make_dirs(dir)) goto done;
    /* Written aside and renamed, so a reader never sees half a file. */
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", ctx->pipeline_cache_path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) goto done;
    uint64_t size64 = size, hash = lo_fnv1a(LO_FNV1A_SEED, data, size);
    bool ok = fwrite(CACHE_MAGIC, 1, 8, f) == 8 && fwrite(&size64, 8, 1, f) == 1 &&
              fwrite(&hash, 8, 1, f) == 1 && fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, ctx->pipeline_cache_path) == 0)
        lo_trace("vulkan: saved %zu bytes of pipeline cache to %s", size, ctx->pipeline_cache_path);
    else
        remove(tmp);
done:
    lo_free(data);
}

lo_status lo_vk_pipelines_init(lo_backend_context *ctx, lo_error *err)
{
    const lo_vk_api *vk = &ctx->api;
    VkResult r;
    const uint32_t limit = ctx->properties.limits.maxPerStageDescriptorStorageBuffers;
    VkDescriptorSetLayoutBinding bindings[LO_VK_MAX_BINDINGS];
    for (uint32_t i = 0; i < LO_VK_MAX_BINDINGS; i++)
        bindings[i] =
            (VkDescriptorSetLayoutBinding){.binding = i,
                                           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                           .descriptorCount = 1,
                                           .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    const uint32_t push_bytes = ctx->properties.limits.maxPushConstantsSize < LO_VK_PUSH_BYTES
                                    ? ctx->properties.limits.maxPushConstantsSize
                                    : LO_VK_PUSH_BYTES;
    VkPushConstantRange push = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = push_bytes};
    /* Binding counts past the device's per-stage limit get no layout; supports() refuses them. */
    for (uint32_t n = 1; n <= LO_VK_MAX_BINDINGS && n <= limit; n++) {
        VkDescriptorSetLayoutCreateInfo set_info = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
            .bindingCount = n,
            .pBindings = bindings};
        r = vk->vkCreateDescriptorSetLayout(ctx->device, &set_info, NULL, &ctx->set_layouts[n]);
        if (r != VK_SUCCESS) {
            ctx->set_layouts[n] = VK_NULL_HANDLE;
            return lo_vk_fail(err, r, "vkCreateDescriptorSetLayout");
        }
        VkPipelineLayoutCreateInfo layout_info = {.sType =
                                                      VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                                  .setLayoutCount = 1,
                                                  .pSetLayouts = &ctx->set_layouts[n],
                                                  .pushConstantRangeCount = 1,
                                                  .pPushConstantRanges = &push};
        r = vk->vkCreatePipelineLayout(ctx->device, &layout_info, NULL, &ctx->pipeline_layouts[n]);
        if (r != VK_SUCCESS) {
            ctx->pipeline_layouts[n] = VK_NULL_HANDLE;
            return lo_vk_fail(err, r, "vkCreatePipelineLayout");
        }
    }

    cache_path(ctx);
    size_t bytes = 0;
    void *data = ctx->pipeline_cache_path[0] ? cache_load(ctx->pipeline_cache_path, &bytes) : NULL;
    VkPipelineCacheCreateInfo cache_info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                            .initialDataSize = bytes,
                                            .pInitialData = data};
    r = vk->vkCreatePipelineCache(ctx->device, &cache_info, NULL, &ctx->pipeline_cache);
    if (r != VK_SUCCESS && data) {
        /* A cache the driver refuses is dropped, not fatal. */
        cache_info.initialDataSize = 0;
        cache_info.pInitialData = NULL;
        r = vk->vkCreatePipelineCache(ctx->device, &cache_info, NULL, &ctx->pipeline_cache);
    }
    if (data)
        lo_trace("vulkan: read %zu bytes of pipeline cache from %s", bytes,
                 ctx->pipeline_cache_path);
    lo_free(data);
    if (r != VK_SUCCESS) ctx->pipeline_cache = VK_NULL_HANDLE; /* runs without a cache */
    return LO_OK;
}

void lo_vk_pipelines_release(lo_backend_context *ctx)
{
    const lo_vk_api *vk = &ctx->api;
    lo_vk_pipeline_cache_save(ctx);
    for (int s = 0; s < LO_VK_NUM_SHADERS; s++)
        if (ctx->pipelines[s]) vk->vkDestroyPipeline(ctx->device, ctx->pipelines[s], NULL);
    for (int n = 0; n <= LO_VK_MAX_BINDINGS; n++) {
        if (ctx->pipeline_layouts[n])
            vk->vkDestroyPipelineLayout(ctx->device, ctx->pipeline_layouts[n], NULL);
        if (ctx->set_layouts[n])
            vk->vkDestroyDescriptorSetLayout(ctx->device, ctx->set_layouts[n], NULL);
    }
    if (ctx->pipeline_cache) vk->vkDestroyPipelineCache(ctx->device, ctx->pipeline_cache, NULL);
}

lo_status lo_vk_pipeline(lo_backend_context *ctx, lo_vk_shader shader, VkPipeline *out,
                         lo_error *err)
{
    if (ctx->pipelines[shader]) {
        *out = ctx->pipelines[shader];
        return LO_OK;
    }
    const lo_vk_api *vk = &ctx->api;
    const lo_vk_shader_info *info = lo_vk_shader_get(shader);
    if (!ctx->pipeline_layouts[info->bindings])
        return lo_fail(err, LO_ERR_UNSUPPORTED,
                       "vulkan: shader '%s' binds %u storage buffers; device '%s' allows %u",
                       info->name, info->bindings, ctx->desc.name,
                       ctx->properties.limits.maxPerStageDescriptorStorageBuffers);
    VkShaderModuleCreateInfo module_info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                            .codeSize = info->bytes,
                                            .pCode = info->code};
    VkShaderModule module;
    VkResult r = vk->vkCreateShaderModule(ctx->device, &module_info, NULL, &module);
    if (r != VK_SUCCESS) {
        lo_status st = lo_vk_fail(err, r, "vkCreateShaderModule");
        lo_fail_prefix(err, "shader '%s': ", info->name);
        return st;
    }
    VkComputePipelineCreateInfo pipeline_info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = ctx->pipeline_layouts[info->bindings]};
    r = vk->vkCreateComputePipelines(ctx->device, ctx->pipeline_cache, 1, &pipeline_info, NULL,
                                     &ctx->pipelines[shader]);
    vk->vkDestroyShaderModule(ctx->device, module, NULL);
    if (r != VK_SUCCESS) {
        ctx->pipelines[shader] = VK_NULL_HANDLE;
        lo_status st = lo_vk_fail(err, r, "vkCreateComputePipelines");
        lo_fail_prefix(err, "shader '%s': ", info->name);
        return st;
    }
    ctx->pipeline_cache_dirty = true;
    lo_trace("vulkan: built pipeline '%s'", info->name);
    *out = ctx->pipelines[shader];
    return LO_OK;
}
