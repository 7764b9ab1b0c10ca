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

/* `source` names the bytes in messages (a file name, or "<memory>"). */
lo_status lo_onnx_load_bytes(const void *data, size_t size, const char *source, lo_graph **out,
                             lo_error *err);
/* The same, with external initializer data read relative to `external_base` (NULL: external
 * data is refused). */
lo_status lo_onnx_load_bytes_in(const void *data, size_t size, const char *source,
                                const char *external_base, lo_graph **out, lo_error *err);
/* External data resolves in the file's folder. */
lo_status lo_onnx_load_file(const char *path, lo_graph **out, lo_error *err);

#endif
