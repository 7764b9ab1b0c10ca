/* ONNX ModelProto → IR. The only part of the project that sees protobuf types.
 *
 * Validates what the IR relies on: ir_version, an opset import for the default domain,
 * unique tensor names, every node input defined before use (topological order), graph inputs
 * and outputs with tensor types, initializers with a supported data type and the exact byte
 * count their dims imply (raw_data or typed fields, or external data in the model's folder:
 * onnx_external.h).
 * Which ops and versions are supported is not decided here but by the op table.
 */
#ifndef LO_ONNX_LOADER_H
#define LO_ONNX_LOADER_H

#include <stddef.h>

#include "ir.h"

/* ONNX bytes to a graph. `source` names the bytes in messages (a file name, or "<memory>");
 * external initializer data resolves in `external_base` (NULL: external data is refused); the
 * graph is held to `limits` (NULL: the defaults) and keeps them. */
lo_status lo_onnx_load(const void *data, size_t size, const char *source, const char *external_base,
                       const lo_limits *limits, lo_graph **out, lo_error *err);
/* lo_onnx_load with no external data and the default limits. */
lo_status lo_onnx_load_bytes(const void *data, size_t size, const char *source, lo_graph **out,
                             lo_error *err);
/* A regular file of at most limits->model_bytes; external data resolves in its folder. */
lo_status lo_onnx_load_file_limited(const char *path, const lo_limits *limits, lo_graph **out,
                                    lo_error *err);
lo_status lo_onnx_load_file(const char *path, lo_graph **out, lo_error *err);

#endif
