/* Initializers whose bytes live in a file beside the model (TensorProto data_location =
 * EXTERNAL, the default output of recent PyTorch exporters for large models). */
#ifndef LO_ONNX_EXTERNAL_H
#define LO_ONNX_EXTERNAL_H

#include <stddef.h>

#include "onnx.pb-c.h"
#include "status.h"

/* A mapping of the part of an external file that holds one tensor's bytes. */
typedef struct lo_external_map {
    void *base; /* NULL when nothing is mapped */
    size_t size;
} lo_external_map;

/* True when `proto` says its data is external. */
int lo_onnx_is_external(const Onnx__TensorProto *proto);

/* Maps the bytes of external tensor `proto` and sets *resolved to a shallow copy of it whose
 * raw_data points into the mapping (valid until lo_onnx_external_unmap(map)).
 *
 * The location is a relative path inside `base_dir`: one that is absolute, has a ".."
 * component, or resolves (after symlinks) outside base_dir is refused, as are a non-regular
 * file, an offset or length past the file's end, and base_dir NULL (a model loaded from memory
 * without a folder). `source` and `what` name the model and the tensor in messages. */
lo_status lo_onnx_external_resolve(const Onnx__TensorProto *proto, const char *base_dir,
                                   const char *source, const char *what,
                                   Onnx__TensorProto *resolved, lo_external_map *map,
                                   lo_error *err);

void lo_onnx_external_unmap(lo_external_map *map);

/* The folder of `model_path` ("." for a bare file name), in a new string. */
lo_status lo_onnx_external_base(const char *model_path, char **folder, lo_error *err);

#endif
