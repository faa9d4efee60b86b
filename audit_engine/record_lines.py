"""The lines of records.jsonl and records.csv: each record's protobuf JSON on one line, and its CSV cells (the
record's own columns, each evaluation's columns after the one it names)."""

import csv
import io
from collections.abc import Iterable, Sequence

from audit_engine.evaluations import CsvColumn, with_evaluation_columns
from audit_engine.record_json import JsonEncoder
from protos import audit_pb2

Record = audit_pb2.AuditRecord

# records.csv's own columns; each evaluation adds its columns after the one it names (evaluations.base).
_CORE_COLUMNS = [
    CsvColumn("row", lambda r: r.row),
    CsvColumn("id", lambda r: r.id),
    CsvColumn("status", lambda r: audit_pb2.RecordStatus.Name(r.status)),
    CsvColumn("skip_reason", lambda r: r.skip_reason),
    CsvColumn("predicted_label", lambda r: r.predicted_label),
    CsvColumn("confidence", lambda r: f"{r.confidence:.6f}"),
    CsvColumn("forbidden_share", lambda r: f"{r.forbidden_share:.6f}"),
    CsvColumn("flagged", lambda r: int(r.flagged)),
    CsvColumn("truncated", lambda r: int(r.truncated)),
    CsvColumn("token_count", lambda r: r.token_count),
    CsvColumn("explained_tokens", lambda r: r.explained_tokens),
    CsvColumn("windows", lambda r: r.windows if r.HasField("windows") else ""),
    CsvColumn("forbidden_terms", lambda r: "; ".join(f"{h.term}:{h.saliency:.6f}" for h in r.forbidden_terms)),
    CsvColumn(
        "top_tokens", lambda r: "; ".join(f"{t.token or '#' + str(t.position)}:{t.saliency:.6f}" for t in r.top_tokens)
    ),
    CsvColumn("true_label", lambda r: r.true_label),
    CsvColumn("completeness_gap", lambda r: f"{r.completeness_gap:.6f}" if r.completeness_gap else ""),
    CsvColumn("text_sha256", lambda r: r.text_sha256),
    CsvColumn("text", lambda r: r.text),
]
_COLUMNS = with_evaluation_columns(_CORE_COLUMNS)
CSV_COLUMNS = [column.name for column in _COLUMNS]
_CELLS = [column.cell for column in _COLUMNS[1:]]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


_RECORD_ENCODER = JsonEncoder(audit_pb2.AuditRecord.DESCRIPTOR)


def record_json(record: Record) -> str:
    """The record's protobuf JSON mapping on one line (byte-identical to json_format.MessageToJson with
    preserving_proto_field_name, sort_keys and always_print_fields_with_no_presence; see record_json.py)."""
    return _RECORD_ENCODER.to_json(record)


def record_csv_row(record: Record) -> list[object]:
    """Every records.csv cell of the record, in CSV_COLUMNS order."""
    # Spreadsheet formula injection: a text cell starting with = + - @ TAB or CR gets a leading quote.
    cells = [cell(record) for cell in _CELLS]
    return [record.row] + [
        ("'" + value) if value.__class__ is str and value.startswith(FORMULA_PREFIXES) else value for value in cells
    ]


def csv_columns(redact: bool) -> list[str]:
    """records.csv's header: every column, but the text when redacted."""
    return [c for c in CSV_COLUMNS if not (redact and c == "text")]


def record_csv_cells(record: Record, redact: bool) -> list[object]:
    """One records.csv row, matching ``csv_columns(redact)`` (the text is the last column)."""
    row = record_csv_row(record)
    return row[:-1] if redact else row


def jsonl_text(records: Iterable[Record]) -> str:
    """records.jsonl's lines for these records, each ending in LF."""
    return "".join([record_json(record) + "\n" for record in records])


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """CSV lines for these rows of cells (a header or record_csv_cells), each ending in CRLF as csv.writer
    writes them."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def encode(records: Sequence[Record], redact: bool) -> tuple[str, str]:
    """(records.jsonl's lines, records.csv's lines) of these records."""
    return jsonl_text(records), csv_text([record_csv_cells(record, redact) for record in records])
