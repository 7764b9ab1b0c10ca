/* Raw input tensors for lenet-onnx-run and lenet-onnx-bench: ONNX TensorProto files (.pb, as
 * onnx_test_runner and onnxruntime_perf_test read them) and NumPy .npy files (format 1.0-3.0,
 * C order, little-endian float32). Values are fed as they are: no preprocessing. */
#ifndef LENET_ONNX_TOOLS_TENSOR_FILE_H
#define LENET_ONNX_TOOLS_TENSOR_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lenet-onnx/lenet_onnx.h"

typedef struct tensor_file {
    size_t rank;
    int64_t dims[LENET_ONNX_MAX_RANK];
    size_t numel;
    float *data; /* malloc'd */
} tensor_file;

/* True for a name ending in .pb or .npy (any case). */
bool tensor_file_is_raw(const char *path);

/* Reads a float32 tensor (a regular file of at most FILE_MAX_IMAGE_BYTES); nonzero with a
 * message starting with the path otherwise. */
int tensor_file_load(const char *path, tensor_file *out, char *message, size_t message_size);

void tensor_file_release(tensor_file *t);

#endif
