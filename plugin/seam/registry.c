#include "registry.h"

#include <stdio.h>
#include <string.h>

lo_status lo_registry_check(const lo_backend *b, lo_error *err)
{
    if (!b) return lo_fail(err, LO_ERR_ABI, "backend registry: an entry returned no table");
    const char *name = b->name && b->name[0] ? b->name : "(unnamed)";
    if (b->api_version != LO_BACKEND_API_VERSION)
        return lo_fail(err, LO_ERR_ABI,
                       "backend '%s' implements backend interface version %u; this library "
                       "needs version %u",
                       name, (unsigned)b->api_version, (unsigned)LO_BACKEND_API_VERSION);
    const struct {
        const char *slot;
        bool present;
    } required[] = {
        {"name", b->name && b->name[0]},
        {"list_devices", b->list_devices != NULL},
        {"open", b->open != NULL},
        {"close", b->close != NULL},
        {"device_info", b->device_info != NULL},
        {"alignment", b->alignment != NULL},
        {"supports", b->supports != NULL},
        {"buffer_alloc", b->buffer_alloc != NULL},
        {"buffer_free", b->buffer_free != NULL},
        {"buffer_write", b->buffer_write != NULL},
        {"buffer_read", b->buffer_read != NULL},
        {"prepare", b->prepare != NULL},
        {"run", b->run != NULL},
        {"release", b->release != NULL},
        {"constant_bytes", b->constant_bytes != NULL},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!required[i].present)
            return lo_fail(err, LO_ERR_ABI, "backend '%s': required slot '%s' is missing", name,
                           required[i].slot);
    return LO_OK;
}

size_t lo_registry_count(void)
{
    return lo_registry_num_entries;
}

lo_status lo_registry_get(size_t index, const lo_backend **out, lo_error *err)
{
    *out = NULL;
    if (index >= lo_registry_num_entries)
        return lo_fail(err, LO_ERR_ARGUMENT, "backend %zu out of range (%zu built)", index,
                       lo_registry_num_entries);
    const lo_backend *b = lo_registry_entries[index]();
    lo_status st = lo_registry_check(b, err);
    if (st == LO_OK) *out = b;
    return st;
}

lo_status lo_registry_find(const char *name, const lo_backend **out, lo_error *err)
{
    *out = NULL;
    char built[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < lo_registry_num_entries; i++) {
        const lo_backend *b = lo_registry_entries[i]();
        const char *bname = b && b->name ? b->name : "?";
        if (name && strcmp(bname, name) == 0) return lo_registry_get(i, out, err);
        if (used < sizeof built) {
            int n = snprintf(built + used, sizeof built - used, "%s%s", i ? ", " : "", bname);
            if (n > 0) used += (size_t)n;
        }
    }
    return lo_fail(err, LO_ERR_UNSUPPORTED, "no backend '%s' in this build (built: %s)",
                   name ? name : "(null)", lo_registry_num_entries ? built : "none");
}
