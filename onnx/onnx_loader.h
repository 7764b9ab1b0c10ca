/* ONNX ModelProto → IR. The only part of the project that sees protobuf types.
 *
 * Validates what the IR relies on: ir_version, an opset import for the default domain,
 * unique tensor names, every node input defined before use (topological order), graph inputs
 * and outputs with tensor types, initializers with a supported data type and the exact byte
 * count their dims imply (raw_data or typed fields), external data rejected by name.
 * Which ops and versions are supported is not decided here but by the op table.
 */
#ifndef LO_ONNX_LOADER_H
#define LO_ONNX_LOADER_H

#include <stddef.h>

#include "ir.h"

/* `source` names the bytes in messages (a file name, or "<memory>"). */
lo_status lo_onnx_load_bytes(const void *data, size_t size, const char *source, lo_graph **out,
                             lo_error *err);
lo_status lo_onnx_load_file(const char *path, lo_graph **out, lo_error *err);

/* The same under `limits` (NULL: the defaults), which the graph keeps. The file must be a
 * regular file of at most limits->model_bytes. */
lo_status lo_onnx_load_bytes_limited(const void *data, size_t size, const char *source,
                                     const lo_limits *limits, lo_graph **out, lo_error *err);
lo_status lo_onnx_load_file_limited(const char *path, const lo_limits *limits, lo_graph **out,
                                    lo_error *err);

#endif
