/* TensorProto → an IR constant: initializers and the `value` of Constant nodes. */
#ifndef LO_ONNX_TENSOR_H
#define LO_ONNX_TENSOR_H

#include "ir.h"
#include "onnx.pb-c.h"

/* ONNX's name for a TensorProto.DataType value, including those the IR cannot hold. */
const char *lo_onnx_dtype_name(int32_t data_type);

/* Decodes `proto` and adds it to `graph` as a constant named `name` (NULL: a generated name),
 * holding host-order values of the dtype's C type (float16 as its 2-byte bit pattern). `what`
 * names the tensor in messages, e.g. "initializer 'w'". Sets *index. */
lo_status lo_onnx_add_constant(lo_graph *graph, const Onnx__TensorProto *proto, const char *name,
                               const char *what, int *index, lo_error *err);

#endif
