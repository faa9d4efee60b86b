"""Protobuf JSON for records.jsonl without ``json_format`` on the hot path.

``json_format.MessageToJson`` walks the descriptor for every message; on real text it took about half of an
audit's time. ``JsonEncoder(descriptor)`` compiles the walk once per message type into a sorted list
of (field name, value -> JSON text) pairs and joins the texts into the line that json.dumps would write for the
same object, without building the object. The output is
byte-identical to ``MessageToJson(message, indent=None, preserving_proto_field_name=True, sort_keys=True,
always_print_fields_with_no_presence=True)`` (tests/test_record_json.py compares them on generated records),
so the schema in protos/audit.proto stays the contract.

The ProtoJSON rules kept here: int64 / uint64 as strings; enums by name; float32 as the shortest decimal that
reads back to the same 4-byte float (protobuf's own ``ToShortestFloat`` rule); NaN and infinities as strings;
fields without presence printed with their defaults; singular message fields only when set.
"""

import struct
from json.encoder import encode_basestring_ascii

import numpy as np
from google.protobuf import descriptor
from google.protobuf.message import Message

FieldDescriptor = descriptor.FieldDescriptor
_FLOAT32 = struct.Struct("<f")
_INT64_TYPES = (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64)
_SMALLEST_NORMAL_FLOAT32 = float(np.finfo(np.float32).tiny)
_float32 = np.float32


def shortest_float32(value: float) -> str | float:
    """The shortest '%.{p}g' decimal (p from 6) that packs to the same float32: json_format's rule.

    NumPy's shortest round-trip repr of a float32 (Dragon4) is that decimal for every normal float32 (a
    correctly rounded p-digit decimal round-trips whenever any does, and below 6 digits both read back as the
    same double); subnormals, where the two rules part, take the search itself."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return value
    if abs(value) >= _SMALLEST_NORMAL_FLOAT32:
        return float(_float32(value).__str__())
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


_float_text = float.__repr__


def _float32_text(value):
    """A float32 field's JSON text.

    NumPy's positional text of a float32 is already what float.__repr__ prints for the decimal it reads as (both
    positional between 1e-4 and 1e16, shortest digits), so it is taken as it is: about 1 µs less per value, a
    dozen values a record. Exponents, NaN and infinities (an 'e' or an 'n' in the text) take the full rule."""
    if value == 0.0:  # most of a record's measures are unset: 0.0 (or -0.0) as float.__repr__ writes it
        return _float_text(value)
    text = _float32(value).__str__()
    if "e" in text or "n" in text:
        value = shortest_float32(value)
        return _float_text(value) if value.__class__ is float else encode_basestring_ascii(value)
    return text


def _double_text(value):
    value = _double(value)
    return _float_text(value) if value.__class__ is float else encode_basestring_ascii(value)


def _bool_text(value):
    return "true" if value else "false"


def _int64_text(value):
    return f'"{value}"'


def _text_converter(field):
    """field value -> its JSON text, as json.dumps(sort_keys=True) writes the converted value."""
    cpp_type = field.cpp_type
    if cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        return JsonEncoder(field.message_type)._to_json
    if cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        names = {value.number: encode_basestring_ascii(value.name) for value in field.enum_type.values}
        return lambda number: names.get(number) or str(number)
    if cpp_type in _INT64_TYPES:
        return _int64_text
    if cpp_type == FieldDescriptor.CPPTYPE_FLOAT:
        return _float32_text
    if cpp_type == FieldDescriptor.CPPTYPE_DOUBLE:
        return _double_text
    if cpp_type == FieldDescriptor.CPPTYPE_BOOL:
        return _bool_text
    if cpp_type in (FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_UINT32):
        return int.__repr__
    if field.type == FieldDescriptor.TYPE_BYTES:
        raise NotImplementedError("bytes fields are not used in the audit schema")
    return encode_basestring_ascii


def _is_map(field) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


class JsonEncoder:
    """Compiled ProtoJSON encoder for one message type (see the module docstring for the rules). The fields,
    sorted by name as sort_keys sorts them, become one generated function that fills a template of the message's
    line (names, separators and braces written once) with each value's JSON text: no per-field loop, no
    intermediate dict, no json.dumps."""

    def __init__(self, message_descriptor):
        namespace = {"_join": ", ".join, "_key": encode_basestring_ascii}
        fields = sorted(message_descriptor.fields, key=lambda f: f.name)
        template, values = [], []  # the line with a %s per value; expressions giving each value's JSON text
        for number, field in enumerate(fields):
            prefix = ", " + encode_basestring_ascii(field.name) + ": "  # the line's first ", " is cut off
            text = f"_text{number}"
            is_map = _is_map(field)
            namespace[text] = _text_converter(field.message_type.fields_by_name["value"] if is_map else field)
            if is_map:
                if field.message_type.fields_by_name["key"].cpp_type != FieldDescriptor.CPPTYPE_STRING:
                    raise NotImplementedError("only string map keys are used in the audit schema")
                value = (
                    f"'{{' + _join([_key(k) + ': ' + {text}(m.{field.name}[k]) for k in sorted(m.{field.name})]) + '}}'"
                )
            elif field.is_repeated:
                value = f"'[' + _join(map({text}, m.{field.name})) + ']'"
            elif field.cpp_type == FieldDescriptor.CPPTYPE_BOOL:
                value = f"('true' if m.{field.name} else 'false')"
            else:
                value = f"{text}(m.{field.name})"
            if field.has_presence and not field.is_repeated:  # an absent field is left out, separator and all
                template.append("%s")
                values.append(f"(({prefix!r} + {value}) if m.HasField({field.name!r}) else '')")
            else:
                template.append(prefix.replace("%", "%%") + "%s")
                values.append(value)
        body = f"'{{' + ({''.join(template)!r} % ({', '.join(values)},))[2:] + '}}'" if values else "'{}'"
        exec(f"def to_json(m):\n    return {body}\n", namespace)
        self._to_json = namespace["to_json"]

    def to_json(self, message: Message) -> str:
        """One line, as MessageToJson(..., indent=None, sort_keys=True) writes it."""
        return self._to_json(message)
