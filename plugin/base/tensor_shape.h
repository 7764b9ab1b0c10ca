/* Element types and static shapes: what the graph IR, the planned steps and every backend
 * share, so a backend sees shapes without seeing the graph. */
#ifndef LO_TENSOR_SHAPE_H
#define LO_TENSOR_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define LO_MAX_RANK LENET_ONNX_MAX_RANK

/* Values follow ONNX's TensorProto.DataType. */
typedef enum lo_dtype {
    LO_DTYPE_UNDEFINED = 0,
    LO_DTYPE_FLOAT = 1,
    LO_DTYPE_UINT8 = 2,
    LO_DTYPE_INT8 = 3,
    LO_DTYPE_UINT16 = 4,
    LO_DTYPE_INT16 = 5,
    LO_DTYPE_INT32 = 6,
    LO_DTYPE_INT64 = 7,
    LO_DTYPE_STRING = 8,
    LO_DTYPE_BOOL = 9,
    LO_DTYPE_FLOAT16 = 10,
    LO_DTYPE_DOUBLE = 11,
    LO_DTYPE_UINT32 = 12,
    LO_DTYPE_UINT64 = 13,
} lo_dtype;

/* Bytes per element, or 0 for types the runtime cannot hold (string, complex, undefined). */
size_t lo_dtype_size(lo_dtype dtype);
const char *lo_dtype_name(lo_dtype dtype);

/* A dimension of -1 is not known yet (a dynamic dimension before the batch is bound). */
typedef struct lo_shape {
    int rank;
    int64_t dims[LO_MAX_RANK];
} lo_shape;

/* Product of the dims (1 for rank 0); -1 when any dim is unknown. */
int64_t lo_shape_numel(const lo_shape *shape);
bool lo_shape_equal(const lo_shape *a, const lo_shape *b);
bool lo_shape_is_static(const lo_shape *shape);
/* "[1,3,32,32]" into buf; returns buf. */
const char *lo_shape_format(const lo_shape *shape, char *buf, size_t size);

#endif
