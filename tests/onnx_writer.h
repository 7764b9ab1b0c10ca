/* Writing ONNX protobuf bytes in tests, so hostile models are generated where they are used
 * instead of committed as blobs. Only what the tests need: varints, length-delimited fields
 * and the few ONNX messages built from them (field numbers from onnx.proto). */
#ifndef LO_TEST_ONNX_WRITER_H
#define LO_TEST_ONNX_WRITER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct pbw {
    uint8_t *data;
    size_t len, cap;
} pbw;

static inline void pbw_raw(pbw *w, const void *bytes, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *grown = realloc(w->data, cap);
        if (!grown) abort(); /* a test host: out of memory ends the test */
        w->data = grown;
        w->cap = cap;
    }
    if (n) memcpy(w->data + w->len, bytes, n);
    w->len += n;
}

static inline void pbw_varint(pbw *w, uint64_t v)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) buf[n] |= 0x80;
        n++;
    } while (v);
    pbw_raw(w, buf, n);
}

static inline void pbw_int(pbw *w, unsigned field, int64_t v)
{
    pbw_varint(w, (uint64_t)field << 3);
    pbw_varint(w, (uint64_t)v);
}

static inline void pbw_bytes(pbw *w, unsigned field, const void *bytes, size_t n)
{
    pbw_varint(w, (uint64_t)field << 3 | 2);
    pbw_varint(w, n);
    pbw_raw(w, bytes, n);
}

static inline void pbw_str(pbw *w, unsigned field, const char *s)
{
    pbw_bytes(w, field, s, strlen(s));
}

/* Appends `sub` as message field `field` and frees it. */
static inline void pbw_msg(pbw *w, unsigned field, pbw *sub)
{
    pbw_bytes(w, field, sub->data, sub->len);
    free(sub->data);
    memset(sub, 0, sizeof *sub);
}

/* ---- ONNX messages ---- */

/* ValueInfoProto: a tensor of elem_type and dims (a negative dim: dynamic, named "N"). */
static inline pbw onnx_value_info(const char *name, int elem_type, const int64_t *dims, int rank)
{
    pbw shape = {0}, tensor = {0}, type = {0}, vi = {0};
    for (int d = 0; d < rank; d++) {
        pbw dim = {0};
        if (dims[d] >= 0)
            pbw_int(&dim, 1, dims[d]);
        else
            pbw_str(&dim, 2, "N");
        pbw_msg(&shape, 1, &dim);
    }
    pbw_int(&tensor, 1, elem_type);
    pbw_msg(&tensor, 2, &shape);
    pbw_msg(&type, 1, &tensor);
    pbw_str(&vi, 1, name);
    pbw_msg(&vi, 2, &type);
    return vi;
}

/* ValueInfoProto of a graph output: its element type, no shape (inferred). */
static inline pbw onnx_output_info(const char *name, int elem_type)
{
    pbw tensor = {0}, type = {0}, vi = {0};
    pbw_int(&tensor, 1, elem_type);
    pbw_msg(&type, 1, &tensor);
    pbw_str(&vi, 1, name);
    pbw_msg(&vi, 2, &type);
    return vi;
}

static inline pbw onnx_attr_int(const char *name, int64_t v)
{
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_int(&a, 3, v);
    pbw_int(&a, 20, 2);
    return a;
}

static inline pbw onnx_attr_ints(const char *name, const int64_t *v, int n)
{
    pbw a = {0};
    pbw_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        pbw_int(&a, 8, v[i]);
    pbw_int(&a, 20, 7);
    return a;
}

static inline pbw onnx_attr_string(const char *name, const char *s)
{
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_str(&a, 4, s);
    pbw_int(&a, 20, 3);
    return a;
}

/* NodeProto with its inputs and outputs ("" for an omitted one) and `attrs` (freed). */
static inline pbw onnx_node(const char *op, const char *const *in, int nin, const char *const *out,
                            int nout, pbw *attrs, int nattrs)
{
    pbw n = {0};
    for (int i = 0; i < nin; i++)
        pbw_str(&n, 1, in[i]);
    for (int i = 0; i < nout; i++)
        pbw_str(&n, 2, out[i]);
    pbw_str(&n, 4, op);
    for (int i = 0; i < nattrs; i++)
        pbw_msg(&n, 5, &attrs[i]);
    return n;
}

/* TensorProto of int64 values (an initializer named `name`). */
static inline pbw onnx_int64_tensor(const char *name, const int64_t *dims, int rank,
                                    const int64_t *values, size_t count)
{
    pbw t = {0};
    for (int d = 0; d < rank; d++)
        pbw_int(&t, 1, dims[d]);
    pbw_int(&t, 2, 7);
    for (size_t i = 0; i < count; i++)
        pbw_int(&t, 7, values[i]);
    pbw_str(&t, 8, name);
    return t;
}

/* ModelProto (ir_version 8, default-domain opset `opset`) around `graph` (freed). */
static inline pbw onnx_model(pbw *graph, int opset)
{
    pbw m = {0}, op = {0};
    pbw_int(&m, 1, 8);
    pbw_int(&op, 2, opset);
    pbw_msg(&m, 8, &op);
    pbw_msg(&m, 7, graph);
    return m;
}

#endif
