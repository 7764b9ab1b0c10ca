/* A bound on protobuf nesting, checked before decoding.
 *
 * protobuf-c decodes nested messages by recursion, so a few kilobytes of bytes nesting a
 * TypeProto or a graph-valued attribute thousands deep overflow the host's stack. This scan
 * walks the wire format with an explicit stack, using the message descriptors to know which
 * length-delimited fields are messages, and refuses the bytes before protobuf-c sees them. */
#ifndef LO_PROTO_DEPTH_H
#define LO_PROTO_DEPTH_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* LENET_ONNX_ERROR_LIMIT when messages (the outermost counting 1) nest deeper than max_depth;
 * LENET_ONNX_ERROR_INVALID_MODEL when the wire format itself is broken (a truncated field, a
 * length past its message's end, a group or an unknown wire type); LO_OK otherwise.
 * Linear in size; allocates max_depth small frames. */
lo_status lo_proto_check_depth(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                               size_t size, uint32_t max_depth, const char *source, lo_error *err);

#endif
