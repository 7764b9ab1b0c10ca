/* External initializer data: location checks, then one read-only mapping per tensor. */
#define _GNU_SOURCE /* realpath, O_CLOEXEC */
#include "onnx_external.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

int lo_onnx_is_external(const Onnx__TensorProto *proto)
{
    return proto->n_external_data > 0 ||
           (proto->has_data_location &&
            proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
}

/* The external_data entries this loader reads. */
typedef struct external_ref {
    const char *location;
    const char *offset; /* NULL: 0 */
    const char *length; /* NULL: to the end of the file */
} external_ref;

static void read_entries(const Onnx__TensorProto *proto, external_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    for (size_t i = 0; i < proto->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = proto->external_data[i];
        if (!e || !e->key || !e->value) continue;
        if (strcmp(e->key, "location") == 0) ref->location = e->value;
        if (strcmp(e->key, "offset") == 0) ref->offset = e->value;
        if (strcmp(e->key, "length") == 0) ref->length = e->value;
    }
}

/* A decimal byte count with no sign or trailing text. */
static int parse_count(const char *text, uint64_t *value)
{
    if (!text || text[0] < '0' || text[0] > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE) return 0;
    *value = v;
    return 1;
}

/* A ".." anywhere as a whole path component. */
static int has_parent_component(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return 1;
        p += n;
        while (*p == '/')
            p++;
    }
    return 0;
}

/* Opens location inside base_dir after checking where it really leads. */
static lo_status open_inside(const char *base_dir, const char *location, const char *source,
                             const char *what, int *fd, lo_error *err)
{
    lo_status status = LO_OK;
    char *joined = NULL;
    char base_real[PATH_MAX], file_real[PATH_MAX];
    if (!realpath(base_dir, base_real)) {
        status = lo_fail(err, LO_ERR_IO, "%s: %s: the model's folder '%s': %s", source, what,
                         base_dir, strerror(errno));
        goto done;
    }
    size_t len = strlen(base_dir) + strlen(location) + 2;
    joined = lo_malloc(len);
    if (!joined) {
        status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", source);
        goto done;
    }
    snprintf(joined, len, "%s/%s", base_dir, location);
    if (!realpath(joined, file_real)) {
        status = lo_fail(err, LO_ERR_IO, "%s: %s: external data file '%s': %s", source, what,
                         location, strerror(errno));
        goto done;
    }
    size_t base_len = strlen(base_real);
    int inside = strncmp(file_real, base_real, base_len) == 0 &&
                 (file_real[base_len] == '/' || (base_len == 1 && base_real[0] == '/'));
    if (!inside) {
        status = lo_fail(err, LO_ERR_MODEL,
                         "%s: %s: external data location '%s' resolves to '%s', outside the "
                         "model's folder '%s'; refused",
                         source, what, location, file_real, base_real);
        goto done;
    }
    *fd = open(file_real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0)
        status = lo_fail(err, LO_ERR_IO, "%s: %s: cannot open external data file '%s': %s", source,
                         what, location, strerror(errno));
done:
    lo_free(joined);
    return status;
}

lo_status lo_onnx_external_resolve(const Onnx__TensorProto *proto, const char *base_dir,
                                   const char *source, const char *what,
                                   Onnx__TensorProto *resolved, lo_external_map *map, lo_error *err)
{
    lo_status status = LO_OK;
    int fd = -1;
    external_ref ref;
    read_entries(proto, &ref);
    memset(map, 0, sizeof *map);
    if (!ref.location || !*ref.location) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s has external data without a 'location'", source,
                         what);
        goto done;
    }
    if (ref.location[0] == '/' || has_parent_component(ref.location)) {
        status = lo_fail(err, LO_ERR_MODEL,
                         "%s: %s: external data location '%s' is %s; only paths inside the "
                         "model's folder are read",
                         source, what, ref.location,
                         ref.location[0] == '/' ? "absolute" : "outside the model's folder (..)");
        goto done;
    }
    if (!base_dir) {
        status = lo_fail(err, LO_ERR_ARGUMENT,
                         "%s: %s keeps its data in the external file '%s'; a model loaded from "
                         "memory needs the folder of that file (model_load_bytes_with_base)",
                         source, what, ref.location);
        goto done;
    }
    uint64_t offset = 0, length = 0;
    if ((ref.offset && !parse_count(ref.offset, &offset)) ||
        (ref.length && !parse_count(ref.length, &length))) {
        status = lo_fail(err, LO_ERR_MODEL,
                         "%s: %s: external data offset '%s' or length '%s' is not a byte count",
                         source, what, ref.offset ? ref.offset : "", ref.length ? ref.length : "");
        goto done;
    }
    status = open_inside(base_dir, ref.location, source, what, &fd, err);
    if (status != LO_OK) goto done;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        status = lo_fail(err, LO_ERR_IO, "%s: %s: external data '%s' is not a regular file", source,
                         what, ref.location);
        goto done;
    }
    uint64_t file_size = (uint64_t)st.st_size;
    if (offset > file_size || (ref.length && length > file_size - offset)) {
        status = lo_fail(err, LO_ERR_MODEL,
                         "%s: %s: external data offset %llu + length %llu is past the end of "
                         "'%s' (%llu bytes)",
                         source, what, (unsigned long long)offset,
                         (unsigned long long)(ref.length ? length : 0), ref.location,
                         (unsigned long long)file_size);
        goto done;
    }
    if (!ref.length) length = file_size - offset;
    if (length > SIZE_MAX / 2) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s: external data of %llu bytes is too large",
                         source, what, (unsigned long long)length);
        goto done;
    }
    *resolved = *proto;
    resolved->n_external_data = 0;
    resolved->external_data = NULL;
    resolved->has_data_location = 1;
    resolved->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
    resolved->has_raw_data = 1;
    resolved->raw_data.len = (size_t)length;
    resolved->raw_data.data = NULL;
    if (length == 0) goto done;
    /* mmap wants a page-aligned file offset: map from the page holding the first byte. */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = offset / page * page;
    size_t size = (size_t)(offset - start + length);
    void *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
    if (base == MAP_FAILED) {
        status = lo_fail(err, LO_ERR_IO, "%s: %s: cannot map external data '%s': %s", source, what,
                         ref.location, strerror(errno));
        goto done;
    }
    map->base = base;
    map->size = size;
    resolved->raw_data.data = (uint8_t *)base + (offset - start);
done:
    if (fd >= 0) close(fd);
    return status;
}

void lo_onnx_external_unmap(lo_external_map *map)
{
    if (map->base) munmap(map->base, map->size);
    map->base = NULL;
    map->size = 0;
}

lo_status lo_onnx_external_base(const char *model_path, char **folder, lo_error *err)
{
    const char *slash = strrchr(model_path, '/');
    size_t len = !slash ? 1 : slash == model_path ? 1 : (size_t)(slash - model_path);
    *folder = lo_malloc(len + 1);
    if (!*folder) return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", model_path);
    memcpy(*folder, !slash ? "." : model_path, len);
    (*folder)[len] = '\0';
    return LO_OK;
}
