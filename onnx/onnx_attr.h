/* AttributeProto → lo_attr. */
#ifndef LO_ONNX_ATTR_H
#define LO_ONNX_ATTR_H

#include "ir.h"
#include "onnx.pb-c.h"

/* Converts one attribute of `node` (only its name and op_type are read, for messages) into
 * *out, which the caller releases with lo_attr_clear() (ir.h). A TENSOR attribute is decoded
 * into a constant added to `graph`; out->tensor is its index. Graphs, sparse tensors, type
 * protos and references to function attributes are rejected as unsupported. */
lo_status lo_onnx_convert_attr(lo_graph *graph, const lo_node *node,
                               const Onnx__AttributeProto *proto, lo_attr *out, lo_error *err);

#endif
