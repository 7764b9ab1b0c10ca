/* ONNX test data: TensorProto files decoded into dense host tensors (float32, uint8, int32,
 * int64, from raw_data or the typed fields), and the numbered entries of a backend test
 * directory (test_data_set_N, input_N.pb), in index order. */
#ifndef LO_TOOLS_TENSOR_PB_H
#define LO_TOOLS_TENSOR_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lenet-onnx/lenet_onnx.h"
#include "onnx.pb-c.h"

/* TensorProto.DataType values decoded here. */
enum {
    DT_FLOAT = 1,
    DT_UINT8 = 2,
    DT_INT32 = 6,
    DT_INT64 = 7,
};

typedef enum pb_status {
    PB_OK = 0,
    PB_FAIL, /* msg.text says why */
    PB_SKIP, /* something not supported (a dtype or rank not decoded here); msg.cause names
              * it for counting ("dtype bool") */
} pb_status;

typedef struct pb_msg {
    char text[LENET_ONNX_MESSAGE_SIZE + 256];
    char cause[128];
} pb_msg;

/* One decoded TensorProto: dense, row-major, host byte order. */
typedef struct tensor {
    char *name; /* "" when the file gives none */
    int dtype;
    size_t rank;
    int64_t dims[LENET_ONNX_MAX_RANK];
    size_t numel;
    size_t bytes;
    void *data;
    bool consumed; /* the caller's: not to be matched again (moved into the model, fed) */
} tensor;

typedef struct tensor_list {
    tensor *items;
    size_t count;
} tensor_list;

typedef struct numbered {
    long index;
    char *name;
} numbered;

/* Fill msg and return PB_FAIL or PB_SKIP. */
pb_status pb_fail(pb_msg *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
pb_status pb_skip(pb_msg *msg, const char *cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Element size of a dtype decoded here, else 0. */
size_t pb_dtype_size(int dtype);
/* TensorProto.DataType names, decodable or not, for messages. */
const char *pb_dtype_name(int dtype);
void pb_format_dims(const int64_t *dims, size_t rank, char *buf, size_t size);

void tensor_list_free(tensor_list *list);

/* A whole file, malloc'd. */
pb_status pb_read_file(const char *path, uint8_t **out, size_t *size, pb_msg *msg);
pb_status pb_decode_tensor(const Onnx__TensorProto *p, const char *path, tensor *out, pb_msg *msg);
pb_status pb_load_tensor(const char *path, tensor *out, pb_msg *msg);

/* Entries of `dir` named PREFIX<number>SUFFIX, sorted by number (input_10 after input_9). */
pb_status pb_list_numbered(const char *dir, const char *prefix, const char *suffix, numbered **out,
                           size_t *count, pb_msg *msg);
void pb_numbered_free(numbered *list, size_t count);
/* "a/b", malloc'd; NULL when out of memory. */
char *pb_path_join(const char *a, const char *b);
/* Every PREFIX<N>.pb of one test data set, in index order. */
pb_status pb_load_set(const char *set_dir, const char *prefix, tensor_list *out, pb_msg *msg);
/* The test tensor for a model tensor: the one with the same name, else the index-th of those
 * not consumed (test files are written in graph order, names are sometimes missing). */
tensor *pb_match_tensor(tensor_list *list, const char *name, size_t index);

#endif
