"""The fast JSON writer produces exactly what json_format.MessageToJson writes, on many generated records."""

import random

import pytest
from google.protobuf import json_format

from audit_engine.record_lines import record_json
from audit_engine.record_json import JsonEncoder, shortest_float32
from protos import audit_pb2

WORDS = ["plot", "text", "vidéo", "日本語", "emoji 🙂", "quote \" and \\ backslash", "tab\tnew\nline", "", "\u2028"]


def reference(message):
    return json_format.MessageToJson(message, indent=None, preserving_proto_field_name=True, sort_keys=True,
                                     always_print_fields_with_no_presence=True)


def random_float(rng):
    return rng.choice([0.0, 1.0, -0.0, 0.1, 1e-30, 3.4e38, rng.random(), -rng.random() * 100,
                       rng.uniform(-1, 1) * 10 ** rng.randint(-8, 8)])


def random_record(rng):
    record = audit_pb2.AuditRecord()
    for field in record.DESCRIPTOR.fields:
        if rng.random() < 0.3:
            continue  # unset: printed with its default
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for _ in range(rng.randint(0, 3)):
                getattr(record, name)[rng.choice(WORDS)] = random_float(rng)
        elif field.is_repeated:
            for _ in range(rng.randint(0, 4)):
                item = getattr(record, name).add()
                for sub in item.DESCRIPTOR.fields:
                    setattr(item, sub.name, random_value(rng, sub))
        else:
            setattr(record, name, random_value(rng, field))
    return record


def random_value(rng, field):
    kinds = field.cpp_type
    if kinds == field.CPPTYPE_STRING:
        return rng.choice(WORDS)
    if kinds == field.CPPTYPE_BOOL:
        return rng.random() < 0.5
    if kinds in (field.CPPTYPE_INT32, field.CPPTYPE_INT64):
        return rng.choice([0, 1, -1, 2 ** 31 - 1, rng.randint(-10 ** 6, 10 ** 6)]) if kinds == field.CPPTYPE_INT32 \
            else rng.choice([0, 2 ** 62, -5, rng.randint(0, 10 ** 12)])
    if kinds == field.CPPTYPE_ENUM:
        return rng.choice([v.number for v in field.enum_type.values])
    return random_float(rng)


def test_records_match_message_to_json_byte_for_byte():
    rng = random.Random(0)
    for _ in range(3000):
        record = random_record(rng)
        assert record_json(record) == reference(record)


def test_empty_record_and_every_summary_field():
    assert record_json(audit_pb2.AuditRecord()) == reference(audit_pb2.AuditRecord())
    # The encoder is generic: the summary (doubles with NaN, nested messages) matches too.
    summary = audit_pb2.AuditSummary(toxic_auc=float("nan"), pinned_auc_equality_difference=float("inf"))
    summary.share_distribution.mean = 0.25
    summary.term_bias.add(term="x", subgroup_auc=float("nan"), documents=3)
    summary.gates.add(name="g", limit=0.1, observed=0.2)
    assert JsonEncoder(summary.DESCRIPTOR).to_json(summary) == reference(summary)
    unset = audit_pb2.AuditSummary()  # singular message field unset: not printed
    assert JsonEncoder(unset.DESCRIPTOR).to_json(unset) == reference(unset)


@pytest.mark.parametrize("value", [0.9, 1.0000001, 3.4028234663852886e38, 1.401298464324817e-45, 123456.7])
def test_float32_rounding_is_protobufs(value):
    record = audit_pb2.AuditRecord(confidence=value)
    assert record_json(record) == reference(record)
    assert shortest_float32(record.confidence) == json_format.MessageToDict(
        record, preserving_proto_field_name=True)["confidence"]


def test_random_float32_bit_patterns_and_subnormals_match():
    """The fast path (NumPy's shortest float32 repr) and the search it skips agree with protobuf on normal floats;
    subnormals, where NumPy's repr is shorter than protobuf's 6-digit floor, take the search."""
    import numpy as np
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    subnormals = rng.integers(1, 2 ** 23, 2000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    for value in np.concatenate([values[np.isfinite(values)], subnormals, -subnormals]).tolist():
        record = audit_pb2.AuditRecord(confidence=value)
        assert record_json(record) == reference(record), value


def test_absent_fields_with_presence_first_last_and_alone_leave_no_stray_separator():
    """A message whose first and last fields (by name) have presence: every combination of set and unset."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    FieldProto = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="probe.proto", package="probe", syntax="proto3")
    probe = file.message_type.add(name="Probe")
    for number, (name, kind) in enumerate([("a", FieldProto.TYPE_FLOAT), ("b", FieldProto.TYPE_INT32),
                                           ("c", FieldProto.TYPE_STRING)], start=1):
        optional = name != "b"
        field = probe.field.add(name=name, number=number, type=kind, label=FieldProto.LABEL_OPTIONAL,
                                proto3_optional=optional)
        if optional:
            probe.oneof_decl.add(name=f"_{name}")
            field.oneof_index = len(probe.oneof_decl) - 1
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("probe.Probe"))
    encoder = JsonEncoder(cls.DESCRIPTOR)
    for a in (None, 0.5):
        for c in (None, "x"):
            message = cls(b=3)
            if a is not None:
                message.a = a
            if c is not None:
                message.c = c
            assert encoder.to_json(message) == reference(message)
    alone = descriptor_pb2.FileDescriptorProto(name="alone.proto", package="alone", syntax="proto3")
    only = alone.message_type.add(name="Only")
    only.field.add(name="a", number=1, type=FieldProto.TYPE_FLOAT, label=FieldProto.LABEL_OPTIONAL,
                   proto3_optional=True, oneof_index=0)
    only.oneof_decl.add(name="_a")
    pool.Add(alone)
    only_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("alone.Only"))
    for message in (only_cls(), only_cls(a=2.0)):
        assert JsonEncoder(only_cls.DESCRIPTOR).to_json(message) == reference(message)
