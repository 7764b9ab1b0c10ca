/* The ABI 3 slots that describe a loaded model (model_describe, model_metadata,
 * model_metadata_at, model_io_name). */
#ifndef LO_API_METADATA_H
#define LO_API_METADATA_H

#include "lenet-onnx/lenet_onnx.h"

lenet_onnx_status lo_api_model_describe(const lenet_onnx_model *model,
                                        lenet_onnx_model_description *out, lenet_onnx_error *err);
lenet_onnx_status lo_api_model_metadata(const lenet_onnx_model *model, const char *key,
                                        const char **value, lenet_onnx_error *err);
lenet_onnx_status lo_api_model_metadata_at(const lenet_onnx_model *model, size_t index,
                                           const char **key, const char **value,
                                           lenet_onnx_error *err);
lenet_onnx_status lo_api_model_io_name(const lenet_onnx_model *model, lenet_onnx_io_kind kind,
                                       size_t index, const char **name, lenet_onnx_error *err);

#endif
