/* Decoding of TensorProto values: raw_data or the typed fields, checked against the dims
 * before anything is allocated, so a header can never ask for more memory than the bytes it
 * came with. */
#include "onnx_tensor.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "blob.h"

const char *lo_onnx_dtype_name(int32_t data_type)
{
    switch (data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64:
        return "complex64";
    case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128:
        return "complex128";
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
        return "bfloat16";
    default:
        break;
    }
    if (data_type < 0 || data_type > LO_DTYPE_UINT64) return "unknown";
    return lo_dtype_name((lo_dtype)data_type);
}

static bool host_is_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

/* raw_data is little-endian by the ONNX spec; the IR holds host-order values. */
static void swap_elements(unsigned char *data, size_t count, size_t elem)
{
    for (size_t i = 0; i < count; i++) {
        unsigned char *e = data + i * elem;
        for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
            unsigned char t = e[a];
            e[a] = e[b];
            e[b] = t;
        }
    }
}

/* The typed field a dtype's values live in, per onnx.proto, and how many it holds. */
static const char *typed_field(const Onnx__TensorProto *proto, lo_dtype dtype, size_t *count)
{
    switch (dtype) {
    case LO_DTYPE_FLOAT:
        *count = proto->n_float_data;
        return "float_data";
    case LO_DTYPE_DOUBLE:
        *count = proto->n_double_data;
        return "double_data";
    case LO_DTYPE_INT64:
        *count = proto->n_int64_data;
        return "int64_data";
    case LO_DTYPE_UINT32:
    case LO_DTYPE_UINT64:
        *count = proto->n_uint64_data;
        return "uint64_data";
    default:
        *count = proto->n_int32_data; /* int32, int16, int8, uint16, uint8, bool, float16 */
        return "int32_data";
    }
}

/* Narrows the typed field into `data` (count elements, already checked against the dims).
 * Narrowing goes through unsigned types, where C defines it as keeping the low bits. */
static void convert_typed(const Onnx__TensorProto *proto, lo_dtype dtype, size_t count,
                          unsigned char *data)
{
    size_t elem = lo_dtype_size(dtype);
    if (count == 0) return;
    switch (dtype) {
    case LO_DTYPE_FLOAT:
        memcpy(data, proto->float_data, count * elem);
        break;
    case LO_DTYPE_DOUBLE:
        memcpy(data, proto->double_data, count * elem);
        break;
    case LO_DTYPE_INT64:
        memcpy(data, proto->int64_data, count * elem);
        break;
    case LO_DTYPE_UINT64:
        memcpy(data, proto->uint64_data, count * elem);
        break;
    case LO_DTYPE_INT32:
        memcpy(data, proto->int32_data, count * elem);
        break;
    case LO_DTYPE_UINT32:
        for (size_t i = 0; i < count; i++) {
            uint32_t v = (uint32_t)proto->uint64_data[i];
            memcpy(data + i * elem, &v, elem);
        }
        break;
    case LO_DTYPE_INT16:
    case LO_DTYPE_UINT16:
    case LO_DTYPE_FLOAT16: /* the int32 holds the half's bit pattern */
        for (size_t i = 0; i < count; i++) {
            uint16_t v = (uint16_t)proto->int32_data[i];
            memcpy(data + i * elem, &v, elem);
        }
        break;
    case LO_DTYPE_INT8:
    case LO_DTYPE_UINT8:
        for (size_t i = 0; i < count; i++)
            data[i] = (unsigned char)proto->int32_data[i];
        break;
    case LO_DTYPE_BOOL:
        for (size_t i = 0; i < count; i++)
            data[i] = proto->int32_data[i] != 0;
        break;
    default:
        break;
    }
}

static bool dtype_supported(int32_t data_type)
{
    switch (data_type) {
    case LO_DTYPE_FLOAT:
    case LO_DTYPE_DOUBLE:
    case LO_DTYPE_INT64:
    case LO_DTYPE_INT32:
    case LO_DTYPE_INT16:
    case LO_DTYPE_INT8:
    case LO_DTYPE_UINT8:
    case LO_DTYPE_UINT16:
    case LO_DTYPE_UINT32:
    case LO_DTYPE_UINT64:
    case LO_DTYPE_BOOL:
    case LO_DTYPE_FLOAT16:
        return true;
    default:
        return false;
    }
}

static const char *external_location(const Onnx__TensorProto *proto)
{
    for (size_t i = 0; i < proto->n_external_data; i++) {
        const Onnx__StringStringEntryProto *entry = proto->external_data[i];
        if (entry && entry->key && strcmp(entry->key, "location") == 0 && entry->value)
            return entry->value;
    }
    return "";
}

lo_status lo_onnx_add_constant(lo_graph *graph, const Onnx__TensorProto *proto, const char *name,
                               const char *what, int *index, lo_error *err)
{
    lo_status status = LO_OK;
    unsigned char *data = NULL;
    char dims_text[256];
    lo_shape shape = {0};
    int at = -1;

    if (proto->n_external_data > 0 ||
        (proto->has_data_location &&
         proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: %s uses external data (location '%s'), which is not supported; "
                         "save the model with its weights inside",
                         graph->source, what, external_location(proto));
        goto done;
    }
    if (proto->segment) {
        status =
            lo_fail(err, LO_ERR_UNSUPPORTED, "%s: %s is stored in segments, which is not supported",
                    graph->source, what);
        goto done;
    }
    if (!proto->has_data_type || proto->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s has no data type", graph->source, what);
        goto done;
    }
    if (proto->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: %s is a string tensor, which is not supported", graph->source, what);
        goto done;
    }
    if (!dtype_supported(proto->data_type)) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED,
                         "%s: %s has data type %d (%s), which is not supported", graph->source,
                         what, (int)proto->data_type, lo_onnx_dtype_name(proto->data_type));
        goto done;
    }
    lo_dtype dtype = (lo_dtype)proto->data_type;
    if (proto->n_dims > LO_MAX_RANK) {
        status = lo_fail(err, LO_ERR_UNSUPPORTED, "%s: %s has rank %zu; at most %d is supported",
                         graph->source, what, proto->n_dims, LO_MAX_RANK);
        goto done;
    }
    shape.rank = (int)proto->n_dims;
    for (size_t i = 0; i < proto->n_dims; i++) {
        if (proto->dims[i] < 0) {
            status = lo_fail(err, LO_ERR_MODEL, "%s: %s has a negative dimension (%lld)",
                             graph->source, what, (long long)proto->dims[i]);
            goto done;
        }
        shape.dims[i] = proto->dims[i];
    }
    lo_shape_format(&shape, dims_text, sizeof dims_text);
    size_t elem = lo_dtype_size(dtype);
    int64_t numel = lo_shape_numel(&shape);
    if (numel < 0 || (uint64_t)numel > SIZE_MAX / elem) {
        status = lo_fail(err, LO_ERR_MODEL, "%s: %s has dims %s: too many elements", graph->source,
                         what, dims_text);
        goto done;
    }
    size_t count = (size_t)numel;
    size_t bytes = count * elem;

    status = lo_graph_add_tensor(graph, name, dtype, &shape, LO_TENSOR_CONSTANT, &at, err);
    if (status != LO_OK) goto done;
    if (proto->has_raw_data) {
        if (proto->raw_data.len != bytes) {
            status = lo_fail(err, LO_ERR_MODEL,
                             "%s: %s has %zu bytes of raw_data, but %s %s needs %zu", graph->source,
                             what, proto->raw_data.len, lo_dtype_name(dtype), dims_text, bytes);
            goto done;
        }
        status = lo_tensor_set_data(graph, at, proto->raw_data.data, bytes, err);
        if (status != LO_OK) goto done;
        if (host_is_big_endian() && elem > 1) swap_elements(graph->tensors[at].data, count, elem);
    } else {
        size_t present = 0;
        const char *field = typed_field(proto, dtype, &present);
        if (present != count) {
            status = lo_fail(err, LO_ERR_MODEL,
                             "%s: %s holds %zu values in %s, but %s %s needs %zu", graph->source,
                             what, present, field, lo_dtype_name(dtype), dims_text, count);
            goto done;
        }
        status = lo_graph_account_constant(graph, at, bytes, err);
        if (status != LO_OK) goto done;
        data = lo_blob_alloc(bytes);
        if (!data) {
            status = lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory decoding %s (%zu bytes)",
                             graph->source, what, bytes);
            goto done;
        }
        convert_typed(proto, dtype, count, data);
        /* Handed over rather than copied again: weights can be large. */
        lo_tensor *tensor = &graph->tensors[at];
        lo_blob_release(tensor->data);
        tensor->data = data;
        tensor->data_bytes = bytes;
        data = NULL;
    }
    if (index) *index = at;
done:
    lo_blob_release(data);
    return status;
}
