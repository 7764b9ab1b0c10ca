/* ONNX test data for the tools and tests: TensorProto files (input_N.pb, output_N.pb) decoded
 * into dense host tensors, and the numbered files and folders of a backend test directory.
 * Shared by lenet-onnx-check and the ONNX Runtime EP test so the data is read one way. */
#include "tensor_pb.h"

#include "file_read.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test data and model files are small; anything larger is a broken directory. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

pb_status pb_fail(pb_msg *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg->text, sizeof msg->text, fmt, ap);
    va_end(ap);
    return PB_FAIL;
}

pb_status pb_skip(pb_msg *msg, const char *cause, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg->text, sizeof msg->text, fmt, ap);
    va_end(ap);
    snprintf(msg->cause, sizeof msg->cause, "%s", cause);
    return PB_SKIP;
}

size_t pb_dtype_size(int dtype)
{
    switch (dtype) {
    case DT_FLOAT:
    case DT_INT32:
        return 4;
    case DT_UINT8:
        return 1;
    case DT_INT64:
        return 8;
    default:
        return 0;
    }
}

/* TensorProto.DataType names, decodable here or not, for messages. */
const char *pb_dtype_name(int dtype)
{
    static const char *const names[] = {
        "undefined", "float32", "uint8",     "int8",       "uint16",   "int16",
        "int32",     "int64",   "string",    "bool",       "float16",  "float64",
        "uint32",    "uint64",  "complex64", "complex128", "bfloat16",
    };
    if (dtype >= 0 && (size_t)dtype < sizeof names / sizeof names[0]) return names[dtype];
    return "unknown";
}

void pb_format_dims(const int64_t *dims, size_t rank, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (size_t i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%" PRId64, i ? "," : "", dims[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

void tensor_list_free(tensor_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].data);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

pb_status pb_read_file(const char *path, uint8_t **out, size_t *size, pb_msg *msg)
{
    /* Regular files only, so a FIFO or a device can neither block nor exhaust memory. */
    if (file_read_all(path, MAX_FILE_BYTES, "test file", out, size, msg->text, sizeof msg->text))
        return PB_FAIL;
    return PB_OK;
}

/* Decodes one TensorProto from raw_data or from its typed field (ONNX stores uint8 and int32
 * in int32_data). Assumes a little-endian host, as raw_data is little-endian. */
pb_status pb_decode_tensor(const Onnx__TensorProto *p, const char *path, tensor *out, pb_msg *msg)
{
    memset(out, 0, sizeof *out);
    int dtype = p->has_data_type ? p->data_type : 0;
    size_t esize = pb_dtype_size(dtype);
    if (esize == 0) {
        char cause[64];
        snprintf(cause, sizeof cause, "dtype %s", pb_dtype_name(dtype));
        return pb_skip(msg, cause, "dtype %s (%d) in %s", pb_dtype_name(dtype), dtype, path);
    }
    if (p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return pb_fail(msg, "%s: external tensor data is not supported", path);
    if (p->n_dims > LENET_ONNX_MAX_RANK)
        return pb_skip(msg, "rank above 8", "rank %zu above %d in %s", p->n_dims,
                       LENET_ONNX_MAX_RANK, path);
    size_t numel = 1;
    for (size_t i = 0; i < p->n_dims; i++) {
        if (p->dims[i] < 0 || (p->dims[i] > 0 && numel > SIZE_MAX / 8 / (size_t)p->dims[i]))
            return pb_fail(msg, "%s: bad dimension %" PRId64, path, p->dims[i]);
        numel *= (size_t)p->dims[i];
        out->dims[i] = p->dims[i];
    }
    out->rank = p->n_dims;
    out->dtype = dtype;
    out->numel = numel;
    out->bytes = numel * esize;
    out->data = malloc(out->bytes ? out->bytes : 1);
    out->name = strdup(p->name ? p->name : "");
    if (!out->data || !out->name) {
        free(out->data);
        free(out->name);
        memset(out, 0, sizeof *out);
        return pb_fail(msg, "%s: out of memory", path);
    }

    size_t have;
    if (p->has_raw_data) {
        have = p->raw_data.len / esize;
        if (out->bytes && p->raw_data.len == out->bytes)
            memcpy(out->data, p->raw_data.data, out->bytes);
    } else if (dtype == DT_FLOAT) {
        have = p->n_float_data;
        if (out->bytes && have == numel) memcpy(out->data, p->float_data, out->bytes);
    } else if (dtype == DT_INT64) {
        have = p->n_int64_data;
        if (out->bytes && have == numel) memcpy(out->data, p->int64_data, out->bytes);
    } else {
        have = p->n_int32_data;
        for (size_t i = 0; have == numel && i < numel; i++) {
            if (dtype == DT_UINT8)
                ((uint8_t *)out->data)[i] = (uint8_t)p->int32_data[i];
            else
                ((int32_t *)out->data)[i] = p->int32_data[i];
        }
    }
    if (have != numel || (p->has_raw_data && p->raw_data.len != out->bytes)) {
        char dims[256];
        pb_format_dims(out->dims, out->rank, dims, sizeof dims);
        free(out->data);
        free(out->name);
        memset(out, 0, sizeof *out);
        return pb_fail(msg, "%s: %s tensor %s holds %zu values, expected %zu", path,
                       pb_dtype_name(dtype), dims, have, numel);
    }
    return PB_OK;
}

pb_status pb_load_tensor(const char *path, tensor *out, pb_msg *msg)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    pb_status st = pb_read_file(path, &bytes, &size, msg);
    if (st != PB_OK) return st;
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, size, bytes);
    free(bytes);
    if (!p) return pb_fail(msg, "%s: not a valid TensorProto", path);
    st = pb_decode_tensor(p, path, out, msg);
    onnx__tensor_proto__free_unpacked(p, NULL);
    return st;
}

static int numbered_cmp(const void *a, const void *b)
{
    long x = ((const numbered *)a)->index, y = ((const numbered *)b)->index;
    return (x > y) - (x < y);
}

void pb_numbered_free(numbered *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i].name);
    free(list);
}

/* Entries of `dir` named PREFIX<number>SUFFIX, sorted by number (so input_10 follows input_9). */
pb_status pb_list_numbered(const char *dir, const char *prefix, const char *suffix, numbered **out,
                           size_t *count, pb_msg *msg)
{
    pb_status st = PB_OK;
    numbered *list = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    if (!d) return pb_fail(msg, "%s: %s", dir, strerror(errno));
    size_t plen = strlen(prefix), slen = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        if (len <= plen + slen || strncmp(name, prefix, plen) != 0 ||
            strcmp(name + len - slen, suffix) != 0)
            continue;
        char *end = NULL;
        errno = 0;
        long index = strtol(name + plen, &end, 10);
        if (errno || end != name + len - slen || name[plen] < '0' || name[plen] > '9') continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            numbered *nl = realloc(list, ncap * sizeof *nl);
            if (!nl) {
                st = pb_fail(msg, "%s: out of memory", dir);
                break;
            }
            list = nl;
            cap = ncap;
        }
        list[n].index = index;
        list[n].name = strdup(name);
        if (!list[n].name) {
            st = pb_fail(msg, "%s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (st != PB_OK) {
        pb_numbered_free(list, n);
        return st;
    }
    if (n) qsort(list, n, sizeof *list, numbered_cmp);
    *out = list;
    *count = n;
    return PB_OK;
}

char *pb_path_join(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s", a, b);
    return p;
}

/* Loads every PREFIX_N.pb of one test data set, in index order. */
pb_status pb_load_set(const char *set_dir, const char *prefix, tensor_list *out, pb_msg *msg)
{
    numbered *files = NULL;
    size_t count = 0;
    pb_status st = pb_list_numbered(set_dir, prefix, ".pb", &files, &count, msg);
    if (st != PB_OK) return st;
    out->items = calloc(count ? count : 1, sizeof *out->items);
    out->count = 0;
    if (!out->items) {
        pb_numbered_free(files, count);
        return pb_fail(msg, "%s: out of memory", set_dir);
    }
    for (size_t i = 0; i < count && st == PB_OK; i++) {
        char *path = pb_path_join(set_dir, files[i].name);
        if (!path) {
            st = pb_fail(msg, "%s: out of memory", set_dir);
            break;
        }
        st = pb_load_tensor(path, &out->items[i], msg);
        free(path);
        if (st == PB_OK) out->count++;
    }
    pb_numbered_free(files, count);
    if (st != PB_OK) tensor_list_free(out);
    return st;
}

/* The test tensor for a model tensor: the one with the same name, else the index-th of those
 * still available (test files are written in graph order, names are sometimes missing). */
tensor *pb_match_tensor(tensor_list *list, const char *name, size_t index)
{
    for (size_t i = 0; i < list->count; i++)
        if (!list->items[i].consumed && name && name[0] && strcmp(list->items[i].name, name) == 0)
            return &list->items[i];
    size_t k = 0;
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].consumed) continue;
        if (k++ == index) return &list->items[i];
    }
    return NULL;
}
