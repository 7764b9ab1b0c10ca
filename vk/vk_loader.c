/* The Vulkan loader, opened at run time: libvulkan.so.1 is dlopen'ed once per process and every
 * function comes from vkGetInstanceProcAddr / vkGetDeviceProcAddr, so the library has no link
 * dependency on Vulkan and a machine without it only sees 0 devices. Also: result names, and
 * the validation layer's messages routed to lo_log when LENET_ONNX_VK_VALIDATION asks for it.
 */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_NOLOAD, RTLD_NODELETE */
#include "vk_internal.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

static struct {
    pthread_once_t once;
    void *library;
    PFN_vkGetInstanceProcAddr get_instance_proc;
    PFN_vkEnumerateInstanceVersion enumerate_version; /* NULL: a Vulkan 1.0 loader */
    PFN_vkEnumerateInstanceLayerProperties enumerate_layers;
    PFN_vkEnumerateInstanceExtensionProperties enumerate_extensions;
    PFN_vkCreateInstance create_instance;
    char why[256]; /* why the loader is unusable, "" when it is */
} loader = {.once = PTHREAD_ONCE_INIT};

static void loader_open(void)
{
    loader.library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!loader.library) {
        const char *why = dlerror();
        snprintf(loader.why, sizeof loader.why, "libvulkan.so.1 could not be opened (%s)",
                 why ? why : "unknown reason");
        return;
    }
    /* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer. */
    void *sym = dlsym(loader.library, "vkGetInstanceProcAddr");
    memcpy(&loader.get_instance_proc, &sym, sizeof sym);
    if (!loader.get_instance_proc) {
        snprintf(loader.why, sizeof loader.why, "libvulkan.so.1 has no vkGetInstanceProcAddr");
        return;
    }
    PFN_vkGetInstanceProcAddr get = loader.get_instance_proc;
    loader.enumerate_version =
        (PFN_vkEnumerateInstanceVersion)get(VK_NULL_HANDLE, "vkEnumerateInstanceVersion");
    loader.enumerate_layers = (PFN_vkEnumerateInstanceLayerProperties)get(
        VK_NULL_HANDLE, "vkEnumerateInstanceLayerProperties");
    loader.enumerate_extensions = (PFN_vkEnumerateInstanceExtensionProperties)get(
        VK_NULL_HANDLE, "vkEnumerateInstanceExtensionProperties");
    loader.create_instance = (PFN_vkCreateInstance)get(VK_NULL_HANDLE, "vkCreateInstance");
    if (!loader.create_instance || !loader.enumerate_layers || !loader.enumerate_extensions)
        snprintf(loader.why, sizeof loader.why, "libvulkan.so.1 lacks the global functions");
}

const char *lo_vk_result_name(VkResult result)
{
    switch (result) {
#define LO_VK_NAME(r)                                                                              \
    case r:                                                                                        \
        return #r;
        LO_VK_NAME(VK_SUCCESS)
        LO_VK_NAME(VK_NOT_READY)
        LO_VK_NAME(VK_TIMEOUT)
        LO_VK_NAME(VK_INCOMPLETE)
        LO_VK_NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
        LO_VK_NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        LO_VK_NAME(VK_ERROR_INITIALIZATION_FAILED)
        LO_VK_NAME(VK_ERROR_DEVICE_LOST)
        LO_VK_NAME(VK_ERROR_MEMORY_MAP_FAILED)
        LO_VK_NAME(VK_ERROR_LAYER_NOT_PRESENT)
        LO_VK_NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
        LO_VK_NAME(VK_ERROR_FEATURE_NOT_PRESENT)
        LO_VK_NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
        LO_VK_NAME(VK_ERROR_TOO_MANY_OBJECTS)
        LO_VK_NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
        LO_VK_NAME(VK_ERROR_FRAGMENTED_POOL)
        LO_VK_NAME(VK_ERROR_OUT_OF_POOL_MEMORY)
        LO_VK_NAME(VK_ERROR_INVALID_EXTERNAL_HANDLE)
        LO_VK_NAME(VK_ERROR_UNKNOWN)
#undef LO_VK_NAME
    default:
        break;
    }
    static _Thread_local char other[32];
    snprintf(other, sizeof other, "VkResult(%d)", (int)result);
    return other;
}

lo_status lo_vk_status_of(VkResult result)
{
    return result == VK_ERROR_OUT_OF_HOST_MEMORY || result == VK_ERROR_OUT_OF_DEVICE_MEMORY
               ? LO_ERR_NO_MEMORY
               : LO_ERR_DEVICE;
}

lo_status lo_vk_fail(lo_error *err, VkResult result, const char *what)
{
    return lo_fail(err, lo_vk_status_of(result), "vulkan: %s failed: %s", what,
                   lo_vk_result_name(result));
}

static bool layer_present(const char *name)
{
    uint32_t count = 0;
    if (loader.enumerate_layers(&count, NULL) != VK_SUCCESS || count == 0) return false;
    VkLayerProperties *layers = lo_calloc(count, sizeof *layers);
    if (!layers) return false;
    bool found = false;
    if (loader.enumerate_layers(&count, layers) >= VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(layers[i].layerName, name) == 0;
    lo_free(layers);
    return found;
}

static bool instance_extension_present(const char *layer, const char *name)
{
    uint32_t count = 0;
    if (loader.enumerate_extensions(layer, &count, NULL) != VK_SUCCESS || count == 0) return false;
    VkExtensionProperties *exts = lo_calloc(count, sizeof *exts);
    if (!exts) return false;
    bool found = false;
    if (loader.enumerate_extensions(layer, &count, exts) >= VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(exts[i].extensionName, name) == 0;
    lo_free(exts);
    return found;
}

/* The driver libraries (ICDs) the loader opens for an instance are unloaded again when it is
 * destroyed, and with them LLVM for lavapipe: every context and device listing would reload
 * them, and leak checkers could no longer name what the drivers keep for the process. Each
 * instance pins whatever libraries (drivers, layers) appeared while it was created. */
#define MAX_MODULES 512

typedef struct module_list {
    uintptr_t bases[MAX_MODULES];
    int count;
} module_list;

static int record_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    module_list *list = data;
    if (list->count < MAX_MODULES) list->bases[list->count++] = (uintptr_t)info->dlpi_addr;
    return 0;
}

static int pin_new_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const module_list *before = data;
    if (!info->dlpi_name || !info->dlpi_name[0]) return 0;
    for (int i = 0; i < before->count; i++)
        if (before->bases[i] == (uintptr_t)info->dlpi_addr) return 0;
    /* Never closed: the reference keeps the module mapped for the life of the process. */
    (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}

lo_status lo_vk_create_instance(bool validation, lo_vk_api *api, VkInstance *out, bool *debug_utils,
                                bool *loader_missing, lo_error *err)
{
    *out = VK_NULL_HANDLE;
    *debug_utils = false;
    pthread_once(&loader.once, loader_open);
    *loader_missing = loader.why[0] != '\0';
    if (*loader_missing) return lo_fail(err, LO_ERR_DEVICE, "vulkan: %s", loader.why);

    /* 1.1 brings vkGetPhysicalDeviceProperties2 (driver name and version); ask for it when the
     * loader knows it, and never for more than the header this was built with. */
    uint32_t version = VK_API_VERSION_1_0;
    if (loader.enumerate_version && loader.enumerate_version(&version) != VK_SUCCESS)
        version = VK_API_VERSION_1_0;
    if (version > VK_API_VERSION_1_2) version = VK_API_VERSION_1_2;

    const char *layers[1], *extensions[1];
    uint32_t num_layers = 0, num_extensions = 0;
    if (validation) {
        const char *name = "VK_LAYER_KHRONOS_validation";
        if (layer_present(name)) {
            layers[num_layers++] = name;
            if (instance_extension_present(NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                instance_extension_present(name, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
                extensions[num_extensions++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
                *debug_utils = true;
            }
        } else {
            lo_log(LENET_ONNX_LOG_WARNING,
                   "vulkan: LENET_ONNX_VK_VALIDATION is set but %s is "
                   "not installed; running without it",
                   name);
        }
    }

    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "lenet-onnx",
                             .pEngineName = "lenet-onnx",
                             .apiVersion = version};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                 .pApplicationInfo = &app,
                                 .enabledLayerCount = num_layers,
                                 .ppEnabledLayerNames = num_layers ? layers : NULL,
                                 .enabledExtensionCount = num_extensions,
                                 .ppEnabledExtensionNames = num_extensions ? extensions : NULL};
    VkInstance instance = VK_NULL_HANDLE;
    module_list *before = lo_calloc(1, sizeof *before);
    if (!before) return lo_fail(err, LO_ERR_NO_MEMORY, "vulkan: out of memory");
    dl_iterate_phdr(record_module, before);
    VkResult r = loader.create_instance(&info, NULL, &instance);
    if (r == VK_SUCCESS) dl_iterate_phdr(pin_new_module, before);
    lo_free(before);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return lo_fail(err, LO_ERR_DEVICE,
                       "vulkan: no Vulkan driver is installed, or none supports Vulkan %u.%u "
                       "(vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER)",
                       VK_API_VERSION_MAJOR(version), VK_API_VERSION_MINOR(version));
    if (r != VK_SUCCESS) return lo_vk_fail(err, r, "vkCreateInstance");

    PFN_vkGetInstanceProcAddr get = loader.get_instance_proc;
#define LO_VK_FETCH(name) api->name = (PFN_##name)get(instance, #name);
    LO_VK_INSTANCE_FUNCTIONS(LO_VK_FETCH)
    LO_VK_OPTIONAL_INSTANCE_FUNCTIONS(LO_VK_FETCH)
#undef LO_VK_FETCH
    if (version < VK_API_VERSION_1_1) api->vkGetPhysicalDeviceProperties2 = NULL;
#define LO_VK_CHECK(name)                                                                          \
    if (!api->name) {                                                                              \
        if (api->vkDestroyInstance) api->vkDestroyInstance(instance, NULL);                        \
        return lo_fail(err, LO_ERR_DEVICE, "vulkan: the loader has no %s", #name);                 \
    }
    LO_VK_INSTANCE_FUNCTIONS(LO_VK_CHECK)
#undef LO_VK_CHECK
    *out = instance;
    return LO_OK;
}

lo_status lo_vk_load_device(lo_vk_api *api, VkDevice device, lo_error *err)
{
#define LO_VK_FETCH(name)                                                                          \
    api->name = (PFN_##name)api->vkGetDeviceProcAddr(device, #name);                               \
    if (!api->name) return lo_fail(err, LO_ERR_DEVICE, "vulkan: the device has no %s", #name);
    LO_VK_DEVICE_FUNCTIONS(LO_VK_FETCH)
#undef LO_VK_FETCH
    return LO_OK;
}
