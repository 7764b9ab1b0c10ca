/* Vulkan devices: listing them as API-neutral descriptions, opening one (instance, logical
 * device, a compute queue, the transfer pool and the pipeline layouts) and closing it.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static bool env_flag(const char *name)
{
    const char *value = getenv(name);
    return value && value[0] && strcmp(value, "0") != 0;
}

/* LENET_ONNX_VK_POOL_FORM's value (anything else: by the grid). */
static lo_vk_pool_form pool_form_of(const char *value)
{
    if (!value) return LO_VK_POOL_BY_GRID;
    if (strcmp(value, "direct") == 0) return LO_VK_POOL_DIRECT;
    if (strcmp(value, "one") == 0) return LO_VK_POOL_ONE;
    if (strcmp(value, "several") == 0) return LO_VK_POOL_SEVERAL;
    return LO_VK_POOL_BY_GRID;
}

/* Copies a driver's string, cut to the field (driver strings may be longer than ours). */
static void copy_text(char *dst, size_t size, const char *src)
{
    const size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static lenet_onnx_device_type type_of(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return LENET_ONNX_DEVICE_TYPE_GPU;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return LENET_ONNX_DEVICE_TYPE_CPU;
    default:
        return LENET_ONNX_DEVICE_TYPE_OTHER;
    }
}

static bool device_extension_present(const lo_vk_api *api, VkPhysicalDevice physical,
                                     const char *name)
{
    uint32_t count = 0;
    if (api->vkEnumerateDeviceExtensionProperties(physical, NULL, &count, NULL) != VK_SUCCESS ||
        count == 0)
        return false;
    VkExtensionProperties *exts = lo_calloc(count, sizeof *exts);
    if (!exts) return false;
    bool found = false;
    if (api->vkEnumerateDeviceExtensionProperties(physical, NULL, &count, exts) >= VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(exts[i].extensionName, name) == 0;
    lo_free(exts);
    return found;
}

/* Arena offsets must suit storage-buffer descriptors (tensors are bound at their offset) and
 * the shaders' 16-byte accesses. */
static size_t alignment_of(const VkPhysicalDeviceProperties *props)
{
    size_t a = (size_t)props->limits.minStorageBufferOffsetAlignment;
    if (a < 16) a = 16;
    if (a < sizeof(float)) a = sizeof(float);
    return a;
}

static void describe(const lo_vk_api *api, VkPhysicalDevice physical, uint32_t index,
                     lenet_onnx_device_desc *d)
{
    VkPhysicalDeviceProperties props;
    api->vkGetPhysicalDeviceProperties(physical, &props);
    VkPhysicalDeviceMemoryProperties mem;
    api->vkGetPhysicalDeviceMemoryProperties(physical, &mem);

    memset(d, 0, sizeof *d);
    d->struct_size = sizeof *d;
    d->index = index;
    d->type = type_of(props.deviceType);
    copy_text(d->name, sizeof d->name, props.deviceName);
    /* NVIDIA packs 10.8.8.6 bits; the others use Vulkan's own version encoding. */
    const uint32_t v = props.driverVersion;
    if (props.vendorID == 0x10DE)
        snprintf(d->driver_version, sizeof d->driver_version, "%u.%u.%u.%u", v >> 22,
                 (v >> 14) & 0xff, (v >> 6) & 0xff, v & 0x3f);
    else
        snprintf(d->driver_version, sizeof d->driver_version, "%u.%u.%u", VK_API_VERSION_MAJOR(v),
                 VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
    snprintf(d->driver, sizeof d->driver, "vendor 0x%04x", props.vendorID);

    /* The driver's own name and version string (Vulkan 1.2 or VK_KHR_driver_properties). */
    if (api->vkGetPhysicalDeviceProperties2 &&
        (props.apiVersion >= VK_API_VERSION_1_2 ||
         device_extension_present(api, physical, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME))) {
        VkPhysicalDeviceDriverProperties driver = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
        VkPhysicalDeviceProperties2 props2 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &driver};
        api->vkGetPhysicalDeviceProperties2(physical, &props2);
        if (driver.driverName[0]) copy_text(d->driver, sizeof d->driver, driver.driverName);
        if (driver.driverInfo[0])
            copy_text(d->driver_version, sizeof d->driver_version, driver.driverInfo);
    }

    for (uint32_t h = 0; h < mem.memoryHeapCount; h++)
        if ((mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            mem.memoryHeaps[h].size > d->memory_bytes)
            d->memory_bytes = mem.memoryHeaps[h].size;
    d->alignment_bytes = (uint32_t)alignment_of(&props);
}

lo_status lo_vk_list_devices(lenet_onnx_device_desc *devices, size_t capacity, size_t *count,
                             lo_error *err)
{
    *count = 0;
    lo_vk_api api;
    memset(&api, 0, sizeof api);
    VkInstance instance;
    bool debug_utils, loader_missing;
    lo_error ignored;
    /* No loader, no driver, no device: 0 devices, not an error. */
    if (lo_vk_create_instance(false, &api, &instance, &debug_utils, &loader_missing, &ignored) !=
        LO_OK) {
        lo_trace("%s", ignored.message);
        return LO_OK;
    }
    uint32_t n = 0;
    VkResult r = api.vkEnumeratePhysicalDevices(instance, &n, NULL);
    VkPhysicalDevice *physical = NULL;
    lo_status st = LO_OK;
    if (r == VK_SUCCESS && n > 0) {
        physical = lo_calloc(n, sizeof *physical);
        if (!physical) {
            st = lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory listing devices");
            goto done;
        }
        r = api.vkEnumeratePhysicalDevices(instance, &n, physical);
        if (r < VK_SUCCESS) n = 0;
    } else {
        n = 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (i < capacity) describe(&api, physical[i], i, &devices[i]);
    *count = n;
done:
    lo_free(physical);
    api.vkDestroyInstance(instance, NULL);
    return st;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    (void)user;
    lenet_onnx_log_level level = LENET_ONNX_LOG_DEBUG;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
        level = LENET_ONNX_LOG_ERROR;
    else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
        level = LENET_ONNX_LOG_WARNING;
    lo_log(level, "vulkan validation: %s", data && data->pMessage ? data->pMessage : "?");
    return VK_FALSE;
}

/* The first queue family that runs compute shaders. */
static bool compute_family(const lo_vk_api *api, VkPhysicalDevice physical, uint32_t *family,
                           uint32_t *timestamp_bits)
{
    uint32_t n = 0;
    api->vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, NULL);
    VkQueueFamilyProperties *families = n ? lo_calloc(n, sizeof *families) : NULL;
    if (!families) return false;
    api->vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, families);
    bool found = false;
    for (uint32_t i = 0; i < n && !found; i++)
        if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
            *family = i;
            *timestamp_bits = families[i].timestampValidBits;
            found = true;
        }
    lo_free(families);
    return found;
}

void lo_vk_close(lo_backend_context *ctx)
{
    if (!ctx) return;
    if (ctx->device) {
        ctx->api.vkDeviceWaitIdle(ctx->device);
        lo_vk_pipelines_release(ctx);
        if (ctx->transfer_pool)
            ctx->api.vkDestroyCommandPool(ctx->device, ctx->transfer_pool, NULL);
        ctx->api.vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger && ctx->api.vkDestroyDebugUtilsMessengerEXT)
        ctx->api.vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
    if (ctx->instance) ctx->api.vkDestroyInstance(ctx->instance, NULL);
    pthread_mutex_destroy(&ctx->lock);
    lo_free(ctx);
}

lo_status lo_vk_open(uint32_t index, lo_backend_context **out, lo_error *err)
{
    *out = NULL;
    lo_backend_context *ctx = lo_calloc(1, sizeof *ctx);
    if (!ctx) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
    pthread_mutex_init(&ctx->lock, NULL);
    lo_status st;
    bool debug_utils, loader_missing;
    st = lo_vk_create_instance(env_flag("LENET_ONNX_VK_VALIDATION"), &ctx->api, &ctx->instance,
                               &debug_utils, &loader_missing, err);
    if (st != LO_OK) {
        lo_fail_prefix(err, "cannot open Vulkan device %u: ", (unsigned)index);
        goto fail;
    }
    if (debug_utils && ctx->api.vkCreateDebugUtilsMessengerEXT) {
        VkDebugUtilsMessengerCreateInfoEXT info = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
            .pfnUserCallback = validation_message};
        VkResult r =
            ctx->api.vkCreateDebugUtilsMessengerEXT(ctx->instance, &info, NULL, &ctx->messenger);
        if (r != VK_SUCCESS) ctx->messenger = VK_NULL_HANDLE;
    }

    uint32_t n = 0;
    VkResult r = ctx->api.vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
    if (r != VK_SUCCESS || index >= n) {
        st = lo_fail(err, LO_ERR_DEVICE, "vulkan: no device %u (the driver reports %u device%s)",
                     (unsigned)index, (unsigned)n, n == 1 ? "" : "s");
        goto fail;
    }
    VkPhysicalDevice *physical = lo_calloc(n, sizeof *physical);
    if (!physical) {
        st = lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of host memory");
        goto fail;
    }
    r = ctx->api.vkEnumeratePhysicalDevices(ctx->instance, &n, physical);
    if (r >= VK_SUCCESS && index < n) ctx->physical = physical[index];
    lo_free(physical);
    if (!ctx->physical) {
        st = lo_fail(err, LO_ERR_DEVICE, "vulkan: device %u disappeared", (unsigned)index);
        goto fail;
    }
    ctx->api.vkGetPhysicalDeviceProperties(ctx->physical, &ctx->properties);
    ctx->api.vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory);
    describe(&ctx->api, ctx->physical, index, &ctx->desc);
    snprintf(ctx->desc.backend, sizeof ctx->desc.backend, "vulkan");
    ctx->alignment = alignment_of(&ctx->properties);
    ctx->force_staging = env_flag("LENET_ONNX_VK_STAGING");
    ctx->pool_form = pool_form_of(getenv("LENET_ONNX_VK_POOL_FORM"));
    const char *tiled = getenv("LENET_ONNX_VK_TILED");
    ctx->tiled = tiled && tiled[0] ? strcmp(tiled, "0") != 0
                                   : ctx->properties.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;

    if (!compute_family(&ctx->api, ctx->physical, &ctx->queue_family, &ctx->timestamp_bits)) {
        st =
            lo_fail(err, LO_ERR_DEVICE, "vulkan: device '%s' has no compute queue", ctx->desc.name);
        goto fail;
    }
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                          .queueFamilyIndex = ctx->queue_family,
                                          .queueCount = 1,
                                          .pQueuePriorities = &priority};
    VkDeviceCreateInfo device_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                      .queueCreateInfoCount = 1,
                                      .pQueueCreateInfos = &queue_info};
    r = ctx->api.vkCreateDevice(ctx->physical, &device_info, NULL, &ctx->device);
    if (r != VK_SUCCESS) {
        ctx->device = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkCreateDevice");
        lo_fail_prefix(err, "device '%s': ", ctx->desc.name);
        goto fail;
    }
    if ((st = lo_vk_load_device(&ctx->api, ctx->device, err)) != LO_OK) goto fail;
    ctx->api.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);

    VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                         .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                         .queueFamilyIndex = ctx->queue_family};
    r = ctx->api.vkCreateCommandPool(ctx->device, &pool_info, NULL, &ctx->transfer_pool);
    if (r != VK_SUCCESS) {
        ctx->transfer_pool = VK_NULL_HANDLE;
        st = lo_vk_fail(err, r, "vkCreateCommandPool");
        goto fail;
    }
    if ((st = lo_vk_pipelines_init(ctx, err)) != LO_OK) goto fail;
    lo_log(LENET_ONNX_LOG_INFO, "vulkan: opened device %u '%s' (%s %s)", (unsigned)index,
           ctx->desc.name, ctx->desc.driver, ctx->desc.driver_version);
    *out = ctx;
    return LO_OK;
fail:
    lo_vk_close(ctx);
    return st;
}
