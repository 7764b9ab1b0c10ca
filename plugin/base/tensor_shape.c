/* Element types and static shapes: what the graph, the steps and every backend share. */
#include "tensor_shape.h"

#include <stdio.h>
#include <string.h>

size_t lo_dtype_size(lo_dtype dtype)
{
    switch (dtype) {
    case LO_DTYPE_UINT8:
    case LO_DTYPE_INT8:
    case LO_DTYPE_BOOL:
        return 1;
    case LO_DTYPE_UINT16:
    case LO_DTYPE_INT16:
    case LO_DTYPE_FLOAT16:
        return 2;
    case LO_DTYPE_FLOAT:
    case LO_DTYPE_INT32:
    case LO_DTYPE_UINT32:
        return 4;
    case LO_DTYPE_INT64:
    case LO_DTYPE_DOUBLE:
    case LO_DTYPE_UINT64:
        return 8;
    case LO_DTYPE_UNDEFINED:
    case LO_DTYPE_STRING:
        return 0;
    }
    return 0;
}

const char *lo_dtype_name(lo_dtype dtype)
{
    switch (dtype) {
    case LO_DTYPE_UNDEFINED:
        return "undefined";
    case LO_DTYPE_FLOAT:
        return "float32";
    case LO_DTYPE_UINT8:
        return "uint8";
    case LO_DTYPE_INT8:
        return "int8";
    case LO_DTYPE_UINT16:
        return "uint16";
    case LO_DTYPE_INT16:
        return "int16";
    case LO_DTYPE_INT32:
        return "int32";
    case LO_DTYPE_INT64:
        return "int64";
    case LO_DTYPE_STRING:
        return "string";
    case LO_DTYPE_BOOL:
        return "bool";
    case LO_DTYPE_FLOAT16:
        return "float16";
    case LO_DTYPE_DOUBLE:
        return "float64";
    case LO_DTYPE_UINT32:
        return "uint32";
    case LO_DTYPE_UINT64:
        return "uint64";
    }
    return "unknown";
}

/* Also -1 when the product does not fit in int64_t or the rank is out of range, so a huge
 * shape can never pass for a small one. */
int64_t lo_shape_numel(const lo_shape *shape)
{
    if (!shape || shape->rank < 0 || shape->rank > LO_MAX_RANK) return -1;
    int64_t numel = 1;
    bool overflow = false;
    for (int i = 0; i < shape->rank; i++) {
        int64_t dim = shape->dims[i];
        if (dim < 0) return -1;
        if (dim == 0) {
            numel = 0;
            overflow = false; /* a zero anywhere makes the product exactly 0 */
            for (int j = i + 1; j < shape->rank; j++)
                if (shape->dims[j] < 0) return -1;
            break;
        }
        if (numel > INT64_MAX / dim)
            overflow = true;
        else
            numel *= dim;
    }
    return overflow ? -1 : numel;
}

bool lo_shape_equal(const lo_shape *a, const lo_shape *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank && i < LO_MAX_RANK; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

bool lo_shape_is_static(const lo_shape *shape)
{
    if (shape->rank < 0 || shape->rank > LO_MAX_RANK) return false;
    for (int i = 0; i < shape->rank; i++)
        if (shape->dims[i] < 0) return false;
    return true;
}

const char *lo_shape_format(const lo_shape *shape, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    buf[0] = '\0';
    size_t used = 0;
    int rank = shape->rank < 0 ? 0 : shape->rank > LO_MAX_RANK ? LO_MAX_RANK : shape->rank;
    for (int i = 0; i <= rank + 1 && used < size; i++) {
        int n;
        if (i == 0)
            n = snprintf(buf + used, size - used, "[");
        else if (i == rank + 1)
            n = snprintf(buf + used, size - used, "]");
        else
            n = snprintf(buf + used, size - used, "%s%lld", i > 1 ? "," : "",
                         (long long)shape->dims[i - 1]);
        if (n < 0) break;
        used += (size_t)n;
    }
    return buf;
}
