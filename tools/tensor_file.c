/* .pb through tensor_pb.c; .npy parsed here (its header is a Python dict literal). */
#include "tensor_file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "file_read.h"
#include "tensor_pb.h"

static bool ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n > m && strcasecmp(text + n - m, suffix) == 0;
}

bool tensor_file_is_raw(const char *path)
{
    return ends_with(path, ".pb") || ends_with(path, ".npy");
}

void tensor_file_release(tensor_file *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

static int load_pb(const char *path, const unsigned char *bytes, size_t size, tensor_file *out,
                   char *message, size_t message_size)
{
    Onnx__TensorProto *proto = onnx__tensor_proto__unpack(NULL, size, bytes);
    if (!proto) {
        snprintf(message, message_size, "%s: not an ONNX TensorProto file", path);
        return 1;
    }
    tensor t = {0};
    pb_msg msg = {{0}, {0}};
    pb_status st = pb_decode_tensor(proto, path, &t, &msg);
    onnx__tensor_proto__free_unpacked(proto, NULL);
    if (st == PB_OK && t.dtype != DT_FLOAT) {
        snprintf(message, message_size, "%s: a %s tensor; images are float32", path,
                 pb_dtype_name(t.dtype));
        free(t.name);
        free(t.data);
        return 1;
    }
    if (st != PB_OK) {
        snprintf(message, message_size, "%s", msg.text);
        return 1;
    }
    out->rank = t.rank;
    memcpy(out->dims, t.dims, sizeof out->dims);
    out->numel = t.numel;
    out->data = t.data;
    free(t.name);
    return 0;
}

/* The value of 'key' in the header dict: the text after its colon. */
static const char *npy_field(const char *header, const char *key)
{
    const char *at = strstr(header, key);
    if (!at) return NULL;
    at = strchr(at + strlen(key), ':');
    if (!at) return NULL;
    at++;
    while (*at == ' ')
        at++;
    return at;
}

static int load_npy(const char *path, const unsigned char *bytes, size_t size, tensor_file *out,
                    char *message, size_t message_size)
{
    if (size < 10 || memcmp(bytes, "\x93NUMPY", 6) != 0) {
        snprintf(message, message_size, "%s: not a .npy file", path);
        return 1;
    }
    unsigned major = bytes[6];
    size_t header_len, header_at;
    if (major == 1) {
        header_len = bytes[8] | (size_t)bytes[9] << 8;
        header_at = 10;
    } else if ((major == 2 || major == 3) && size >= 12) {
        header_len =
            bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
        header_at = 12;
    } else {
        snprintf(message, message_size, "%s: .npy format version %u is not supported", path, major);
        return 1;
    }
    if (header_len > size - header_at || header_len > 65535) {
        snprintf(message, message_size, "%s: truncated .npy header", path);
        return 1;
    }
    char header[65536];
    memcpy(header, bytes + header_at, header_len);
    header[header_len] = '\0';
    const char *descr = npy_field(header, "'descr'");
    const char *order = npy_field(header, "'fortran_order'");
    const char *shape = npy_field(header, "'shape'");
    if (!descr || !order || !shape || *shape != '(') {
        snprintf(message, message_size, "%s: .npy header without descr, fortran_order or shape",
                 path);
        return 1;
    }
    if (strncmp(descr, "'<f4'", 5) != 0 && strncmp(descr, "'float32'", 9) != 0) {
        snprintf(message, message_size, "%s: .npy dtype %.12s; images are float32 ('<f4')", path,
                 descr);
        return 1;
    }
    if (strncmp(order, "False", 5) != 0) {
        snprintf(message, message_size, "%s: a Fortran-order .npy array; save it in C order", path);
        return 1;
    }
    size_t rank = 0, numel = 1;
    const char *p = shape + 1;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p) || rank == LENET_ONNX_MAX_RANK) {
            snprintf(message, message_size, "%s: .npy shape %.40s is not supported", path, shape);
            return 1;
        }
        char *end;
        unsigned long long d = strtoull(p, &end, 10);
        if (d > (1ull << 31) || (d && numel > SIZE_MAX / 4 / d)) {
            snprintf(message, message_size, "%s: .npy shape %.40s is too large", path, shape);
            return 1;
        }
        out->dims[rank++] = (int64_t)d;
        numel *= (size_t)d;
        p = end;
    }
    size_t data_at = header_at + header_len;
    if (size - data_at != numel * sizeof(float)) {
        snprintf(message, message_size, "%s: .npy data is %zu bytes, its shape needs %zu", path,
                 size - data_at, numel * sizeof(float));
        return 1;
    }
    out->data = malloc(numel ? numel * sizeof(float) : 1);
    if (!out->data) {
        snprintf(message, message_size, "%s: out of memory", path);
        return 1;
    }
    /* little-endian on disk; the tools run on little-endian hosts (x86-64, arm64) */
    memcpy(out->data, bytes + data_at, numel * sizeof(float));
    out->rank = rank;
    out->numel = numel;
    return 0;
}

int tensor_file_load(const char *path, tensor_file *out, char *message, size_t message_size)
{
    memset(out, 0, sizeof *out);
    unsigned char *bytes;
    size_t size;
    if (file_read_all(path, FILE_MAX_IMAGE_BYTES, "tensor file", &bytes, &size, message,
                      message_size))
        return 1;
    int rc = ends_with(path, ".npy") ? load_npy(path, bytes, size, out, message, message_size)
                                     : load_pb(path, bytes, size, out, message, message_size);
    free(bytes);
    return rc;
}
