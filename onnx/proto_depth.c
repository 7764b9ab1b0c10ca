#include "proto_depth.h"

#include "alloc.h"

typedef struct depth_frame {
    const ProtobufCMessageDescriptor *descriptor;
    size_t end; /* where this message's bytes end */
} depth_frame;

/* Reads a base-128 varint at *pos (at most 10 bytes, none past end). */
static bool read_varint(const uint8_t *data, size_t end, size_t *pos, uint64_t *value)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70 && *pos < end; shift += 7) {
        uint8_t byte = data[(*pos)++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* Advances *pos by n bytes when they lie before end. */
static bool skip(size_t *pos, size_t end, uint64_t n)
{
    if (n > end - *pos) return false;
    *pos += (size_t)n;
    return true;
}

/* The message descriptor of field `number` when it is a message field, else NULL. */
static const ProtobufCMessageDescriptor *submessage(const ProtobufCMessageDescriptor *descriptor,
                                                    uint64_t number)
{
    if (!descriptor || number == 0 || number > UINT32_MAX) return NULL;
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field(descriptor, (unsigned)number);
    if (!field || field->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
    return field->descriptor;
}

lo_status lo_proto_check_depth(const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                               size_t size, uint32_t max_depth, const char *source, lo_error *err)
{
    if (max_depth == 0) return lo_fail(err, LO_ERR_ARGUMENT, "%s: max_nesting_depth is 0", source);
    /* Each nested message takes at least 2 bytes (key and length): no more frames than that. */
    const size_t frames = max_depth < size / 2 + 1 ? max_depth : size / 2 + 1;
    depth_frame *stack = lo_malloc(sizeof *stack * frames);
    if (!stack) return lo_fail(err, LO_ERR_NO_MEMORY, "%s: out of memory", source);
    lo_status status = LO_OK;
    uint32_t depth = 1;
    stack[0].descriptor = descriptor;
    stack[0].end = size;
    size_t pos = 0;
    while (depth > 0) {
        depth_frame *top = &stack[depth - 1];
        if (pos == top->end) {
            depth--;
            continue;
        }
        const size_t field_at = pos;
        uint64_t key, value;
        bool ok = read_varint(data, top->end, &pos, &key);
        if (ok) {
            switch (key & 7) {
            case 0: /* varint */
                ok = read_varint(data, top->end, &pos, &value);
                break;
            case 1: /* 64-bit */
                ok = skip(&pos, top->end, 8);
                break;
            case 5: /* 32-bit */
                ok = skip(&pos, top->end, 4);
                break;
            case 2: { /* length-delimited: bytes, strings, packed values or a message */
                ok = read_varint(data, top->end, &pos, &value) && value <= top->end - pos;
                const ProtobufCMessageDescriptor *inner =
                    ok ? submessage(top->descriptor, key >> 3) : NULL;
                if (!inner) {
                    ok = ok && skip(&pos, top->end, value);
                } else if (depth == max_depth || depth == frames) {
                    status =
                        lo_fail(err, LO_ERR_LIMIT,
                                "%s: protobuf messages nest deeper than max_nesting_depth "
                                "(%u) at byte %zu (a %s inside %s)",
                                source, max_depth, field_at, inner->name, top->descriptor->name);
                    goto done;
                } else {
                    stack[depth].descriptor = inner;
                    stack[depth].end = pos + (size_t)value;
                    depth++;
                }
                break;
            }
            default: /* groups (3, 4) and 6, 7: ONNX uses none, protobuf-c decodes none */
                ok = false;
                break;
            }
        }
        if (!ok) {
            /* The same words as a failed decode: to the host both are undecodable bytes. */
            status = lo_fail(err, LO_ERR_MODEL, "%s: not an ONNX model (protobuf decoding failed)",
                             source);
            goto done;
        }
    }
done:
    lo_free(stack);
    return status;
}
