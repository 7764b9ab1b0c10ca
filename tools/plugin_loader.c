#include "plugin_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LO_PLUGIN_SONAME, LO_PLUGIN_INSTALL_REL and LO_PLUGIN_BUILD_REL come from the build. */

/* The table of the library at `path`, or NULL with the reason in message. */
static const lenet_onnx_api *open_table(const char *path, uint32_t abi_version,
                                        size_t min_struct_size, char *message, size_t size)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(message, size, "cannot load the lenet-onnx plugin %s: %s", path, dlerror());
        return NULL;
    }
    /* POSIX allows converting dlsym's object pointer to a function pointer: go through memcpy
     * so -Wpedantic has nothing to say. */
    void *symbol = dlsym(handle, "lenet_onnx_get_api");
    if (!symbol) {
        snprintf(message, size, "%s is not a lenet-onnx plugin: %s", path, dlerror());
        dlclose(handle);
        return NULL;
    }
    lenet_onnx_get_api_fn get_api;
    memcpy(&get_api, &symbol, sizeof get_api);
    const lenet_onnx_api *api = get_api(abi_version);
    if (!api || api->abi_version < abi_version || api->struct_size < min_struct_size) {
        snprintf(message, size,
                 "%s does not provide lenet-onnx ABI version %u with every function this "
                 "program uses (it has ABI %u)",
                 path, (unsigned)abi_version, api ? (unsigned)api->abi_version : 0u);
        dlclose(handle);
        return NULL;
    }
    return api;
}

/* <exe dir>/rel when that file exists, in buffer. */
static const char *beside_exe(const char *rel, char *buffer, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0';
    int written = snprintf(buffer, size, "%s/%s", exe, rel);
    if (written < 0 || (size_t)written >= size || access(buffer, F_OK) != 0) return NULL;
    return buffer;
}

const lenet_onnx_api *plugin_load(const char *path, uint32_t abi_version, size_t min_struct_size,
                                  char *message, size_t message_size)
{
    if (!path || !*path) path = getenv("LENET_ONNX_PLUGIN");
    char buffer[PATH_MAX];
    if (!path || !*path) path = beside_exe(LO_PLUGIN_INSTALL_REL, buffer, sizeof buffer);
    if (!path) path = beside_exe(LO_PLUGIN_BUILD_REL, buffer, sizeof buffer);
    if (!path) path = LO_PLUGIN_SONAME;
    return open_table(path, abi_version, min_struct_size, message, message_size);
}
