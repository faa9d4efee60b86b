"""Protobuf JSON for records.jsonl without ``json_format`` on the hot path.

``json_format.MessageToJson`` walks the descriptor for every message; on real text it took about half of an
audit's time (issue 13). ``JsonEncoder(descriptor)`` compiles the walk once per message type into a list of
(field name, converter) pairs, then builds the same JSON object and dumps it the same way. The output is
byte-identical to ``MessageToJson(message, indent=None, preserving_proto_field_name=True, sort_keys=True,
always_print_fields_with_no_presence=True)`` (tests/test_record_json.py compares them on generated records),
so the schema in protos/audit.proto stays the contract.

The ProtoJSON rules kept here: int64 / uint64 as strings; enums by name; float32 as the shortest decimal that
reads back to the same 4-byte float (protobuf's own ``ToShortestFloat`` rule); NaN and infinities as strings;
fields without presence printed with their defaults; singular message fields only when set.
"""

import json
import struct

from google.protobuf import descriptor

FieldDescriptor = descriptor.FieldDescriptor
_FLOAT32 = struct.Struct("<f")
_INT64_TYPES = (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64)


def shortest_float32(value):
    """The shortest '%.{p}g' decimal (p from 6) that packs to the same float32: json_format's rule."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return value
    precision = 6
    while True:
        rounded = float(f"{value:.{precision}g}")
        if _FLOAT32.unpack(_FLOAT32.pack(rounded))[0] == value:
            return rounded
        precision += 1


def _double(value):
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _scalar_converter(field):
    cpp_type = field.cpp_type
    if cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        return JsonEncoder(field.message_type).to_object
    if cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        names = {value.number: value.name for value in field.enum_type.values}
        return lambda number: names.get(number, number)
    if cpp_type in _INT64_TYPES:
        return str
    if cpp_type == FieldDescriptor.CPPTYPE_FLOAT:
        return shortest_float32
    if cpp_type == FieldDescriptor.CPPTYPE_DOUBLE:
        return _double
    if cpp_type == FieldDescriptor.CPPTYPE_BOOL:
        return bool
    if cpp_type in (FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_UINT32):
        return int
    if field.type == FieldDescriptor.TYPE_BYTES:
        raise NotImplementedError("bytes fields are not used in the audit schema")
    return str


class JsonEncoder:
    """Compiled ProtoJSON encoder for one message type (see the module docstring for the rules)."""

    def __init__(self, message_descriptor):
        self.fields = []  # (name, converter, kind) with kind in "map", "repeated", "present", "plain"
        for field in message_descriptor.fields:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                key_type = field.message_type.fields_by_name["key"].cpp_type
                if key_type == FieldDescriptor.CPPTYPE_BOOL:
                    raise NotImplementedError("bool map keys are not used in the audit schema")
                self.fields.append((field.name, _scalar_converter(value_field), "map"))
            elif field.is_repeated:
                self.fields.append((field.name, _scalar_converter(field), "repeated"))
            elif field.has_presence:
                self.fields.append((field.name, _scalar_converter(field), "present"))
            else:
                self.fields.append((field.name, _scalar_converter(field), "plain"))

    def to_object(self, message):
        js = {}
        for name, convert, kind in self.fields:
            value = getattr(message, name)
            if kind == "plain":
                js[name] = convert(value)
            elif kind == "repeated":
                js[name] = [convert(item) for item in value]
            elif kind == "map":
                js[name] = {str(key): convert(value[key]) for key in value}
            elif message.HasField(name):
                js[name] = convert(value)
        return js

    def to_json(self, message):
        """One line, as MessageToJson(..., indent=None, sort_keys=True) writes it."""
        return json.dumps(self.to_object(message), sort_keys=True)
