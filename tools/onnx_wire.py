"""Minimal protobuf wire-format helpers for ONNX files, with no protobuf or onnx module.

Used by tools/train_lenet.py --add-metadata-only (which must run where torch and onnx are
not installed) and by the tests that generate models (external data, metadata). Only what
those need: varints, length-delimited fields, and splitting a message into its top-level
fields so one field can be replaced.
"""

# ModelProto field numbers (onnx.proto)
MODEL_IR_VERSION = 1
MODEL_PRODUCER_NAME = 2
MODEL_GRAPH = 7
MODEL_OPSET_IMPORT = 8
MODEL_METADATA_PROPS = 14


def varint(value):
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data, pos):
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def field_float(number, value):
    import struct
    return varint(number << 3 | 5) + struct.pack("<f", value)


def split_fields(data):
    """[(field number, raw bytes of the whole field)] of a message, in order."""
    fields, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        wire = key & 7
        if wire == 0:
            _, pos = read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = read_varint(data, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        if pos > len(data):
            raise ValueError("truncated field")
        fields.append((key >> 3, data[start:pos]))
    return fields


def string_entry(key, value):
    """A StringStringEntryProto (key = 1, value = 2)."""
    return field_bytes(1, key) + field_bytes(2, value)


def with_metadata(model_bytes, props):
    """The model with its metadata_props replaced by `props` ([(key, value)] in order)."""
    kept = [raw for number, raw in split_fields(model_bytes)
            if number != MODEL_METADATA_PROPS]
    entries = [field_bytes(MODEL_METADATA_PROPS, string_entry(k, v)) for k, v in props]
    return b"".join(kept) + b"".join(entries)


def metadata_of(model_bytes):
    """The model's metadata_props as [(key, value)]."""
    props = []
    for number, raw in split_fields(model_bytes):
        if number != MODEL_METADATA_PROPS:
            continue
        _, pos = read_varint(raw, 0)
        length, pos = read_varint(raw, pos)
        entry = {1: "", 2: ""}
        for n, f in split_fields(raw[pos:pos + length]):
            _, p = read_varint(f, 0)
            ln, p = read_varint(f, p)
            entry[n] = f[p:p + ln].decode("utf-8")
        props.append((entry[1], entry[2]))
    return props
