#include "disk_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool lo_disk_cache_disabled(void)
{
    const char *off = getenv("LENET_ONNX_NO_BINARY_CACHE");
    return off && off[0] && strcmp(off, "0") != 0;
}

bool lo_disk_cache_dir(char *dir, size_t size)
{
    const char *env = getenv("LENET_ONNX_CACHE_DIR");
    int n = -1;
    if (env && env[0])
        n = snprintf(dir, size, "%s", env);
    else if ((env = getenv("XDG_CACHE_HOME")) && env[0])
        n = snprintf(dir, size, "%s/lenet-onnx", env);
    else if ((env = getenv("HOME")) && env[0])
        n = snprintf(dir, size, "%s/.cache/lenet-onnx", env);
    return n > 0 && (size_t)n < size;
}

bool lo_make_dirs(const char *dir)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof buf) return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

uint64_t lo_fnv1a(uint64_t hash, const void *data, size_t length)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}
