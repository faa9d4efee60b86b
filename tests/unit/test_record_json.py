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
