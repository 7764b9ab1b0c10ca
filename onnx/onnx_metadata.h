/* ModelProto's self-description (producer, versions, doc strings, metadata_props) → IR. */
#ifndef LO_ONNX_METADATA_H
#define LO_ONNX_METADATA_H

#include "model_info.h"
#include "onnx.pb-c.h"
#include "status.h"

/* Copies what `model` says about itself into a new *out. A metadata_props key given twice (the
 * ONNX checker's rule) or an entry without a key is an invalid model; `source` names it. */
lo_status lo_onnx_read_metadata(const Onnx__ModelProto *model, const char *source,
                                lo_model_info **out, lo_error *err);

#endif
