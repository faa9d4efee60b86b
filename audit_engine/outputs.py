"""Output files of an audit run, written so that nothing partial looks complete.

Records stream into ``*.partial`` files; only a finished run renames them and writes
``summary.json``. An unfinished run leaves an ``INCOMPLETE`` file that says why.
"""

import csv
import io
import json
import os
import tempfile

from google.protobuf import json_format

from audit_engine.evaluations import CsvColumn, with_evaluation_columns
from audit_engine.record_json import JsonEncoder
from protos import audit_pb2

# 2: the reliance fields renamed from occluded / occlusion_* (their JSON names changed; field numbers did not).
RECORD_SCHEMA_VERSION = 2
SUMMARY_FIELDS_BEFORE_VERSION_2 = {
    "occlusion_documents": "reliance_documents",
    "mean_occlusion_drop": "mean_reliance_drop",
    "occlusion_flipped": "reliance_flipped",
    "occlusion_flip_fraction": "reliance_flip_fraction",
}
RECORDS_JSONL = "records.jsonl"
RECORDS_CSV = "records.csv"
SUMMARY_JSON = "summary.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
INCOMPLETE = "INCOMPLETE"
CHECKPOINT = "checkpoint.json"
FINAL_OUTPUTS = (RECORDS_JSONL, RECORDS_CSV, SUMMARY_JSON, REPORT_MD, REPORT_HTML)
SHARDED_RECORDS = "records-*-of-*"  # audit-beam writes records in shards: records-00000-of-00002.jsonl

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


def record_json(record):
    """The record's protobuf JSON mapping on one line (byte-identical to json_format.MessageToJson with
    preserving_proto_field_name, sort_keys and always_print_fields_with_no_presence; see record_json.py)."""
    return _RECORD_ENCODER.to_json(record)


def record_csv_row(record):
    """Every records.csv cell of the record, in CSV_COLUMNS order."""
    # Spreadsheet formula injection: a text cell starting with = + - @ TAB or CR gets a leading quote.
    cells = [cell(record) for cell in _CELLS]
    return [record.row] + [
        ("'" + value) if value.__class__ is str and value.startswith(FORMULA_PREFIXES) else value for value in cells
    ]


def write_atomic(path, content):
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def csv_columns(redact):
    """records.csv's header: every column, but the text when redacted."""
    return [c for c in CSV_COLUMNS if not (redact and c == "text")]


def record_csv_cells(record, redact):
    """One records.csv row, matching ``csv_columns(redact)`` (the text is the last column)."""
    row = record_csv_row(record)
    return row[:-1] if redact else row


def jsonl_text(records):
    """records.jsonl's lines for these records, each ending in LF."""
    return "".join([record_json(record) + "\n" for record in records])


def csv_text(rows):
    """CSV lines for these rows of cells (a header or record_csv_cells), each ending in CRLF as csv.writer
    writes them."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


class RecordWriter:
    """records.jsonl and records.csv, written to .partial files until ``commit``.

    ``checkpoint(state)`` makes everything written so far durable and records the byte offsets in
    checkpoint.json, so that ``--resume`` can continue from exactly there.
    """

    def __init__(self, out_dir, redact=False, resume_from=None):
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        self.jsonl_path = os.path.join(out_dir, RECORDS_JSONL + ".partial")
        self.csv_path = os.path.join(out_dir, RECORDS_CSV + ".partial")
        self._drop_text = redact
        if resume_from is not None:
            self._jsonl = open(self.jsonl_path, "r+", encoding="utf-8")
            self._csv_file = open(self.csv_path, "r+", encoding="utf-8", newline="")
            # Anything after the last checkpoint was never committed: cut it off.
            for f, size in ((self._jsonl, resume_from["jsonl_bytes"]), (self._csv_file, resume_from["csv_bytes"])):
                f.truncate(size)
                f.seek(size)
            self.count = resume_from["records"]
            return
        remove_previous_outputs(out_dir)  # an old run's outputs must not pass for this run's
        self._jsonl = open(self.jsonl_path, "w", encoding="utf-8")
        self._csv_file = open(self.csv_path, "w", encoding="utf-8", newline="")
        self._csv_file.write(csv_text([csv_columns(redact)]))
        self.count = 0

    def write_many(self, records):
        self._jsonl.write(jsonl_text(records))
        self._csv_file.write(csv_text([record_csv_cells(record, self._drop_text) for record in records]))
        self.count += len(records)

    def _flush(self):
        for f in (self._jsonl, self._csv_file):
            f.flush()
            os.fsync(f.fileno())

    def checkpoint(self, state):
        self._flush()
        state = dict(state, records=self.count, jsonl_bytes=self._jsonl.tell(), csv_bytes=self._csv_file.tell())
        write_atomic(os.path.join(self.out_dir, CHECKPOINT), json.dumps(state))

    def commit(self):
        self._flush()
        self._jsonl.close()
        self._csv_file.close()
        os.replace(self.jsonl_path, os.path.join(self.out_dir, RECORDS_JSONL))
        os.replace(self.csv_path, os.path.join(self.out_dir, RECORDS_CSV))

    def finish(self):
        for name in (CHECKPOINT, INCOMPLETE):
            path = os.path.join(self.out_dir, name)
            if os.path.exists(path):
                os.unlink(path)

    def abandon(self, reason, state, resumable=True):
        """Mark the run unfinished. ``resumable``: the cause is outside the input (server, signal), so --resume
        helps; after an input error it would repeat the error, and the note says to fix the input instead."""
        try:
            self.checkpoint(state)
        except OSError:
            pass  # e.g. the disk is full: the INCOMPLETE note below matters more than the checkpoint
        self._jsonl.close()
        self._csv_file.close()
        advice = (
            "rerun the same command with --resume to continue"
            if resumable
            else "fix the input and rerun without --resume"
        )
        note = (
            f"This audit did not finish: {reason}\n{self.count} records are committed in *.partial files; {advice}.\n"
        )
        try:
            write_atomic(os.path.join(self.out_dir, INCOMPLETE), note)
        except OSError:
            # No room even for the note: a bare marker still says that nothing here is complete.
            with open(os.path.join(self.out_dir, INCOMPLETE), "w") as marker:
                marker.write("incomplete\n")


LOCK = ".audit.lock"


def claim_out_dir(out_dir, input_paths, resume=False):
    """Make ``out_dir`` this run's: refuse a folder that holds an input file, take an exclusive lock (a second run
    into the same folder fails at once), and, unless resuming, remove the previous run's outputs before anything
    else can fail, so that nothing there looks complete that this run did not finish. Returns the lock's file
    (keep it open for the run; closing it releases the lock)."""
    import fcntl

    from saliency_core.errors import InputError

    if not str(out_dir).strip():
        raise InputError("--out is empty: name an output folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}", out_dir) from None
    folder = os.path.realpath(out_dir)
    for path in input_paths:
        if os.path.dirname(os.path.realpath(path)) == folder:
            raise InputError("is inside --out, whose files the audit replaces: choose another --out", path)
    try:
        lock = open(os.path.join(out_dir, LOCK), "w")
    except OSError as error:
        raise InputError(f"cannot write to the output folder: {error.strerror}", out_dir) from None
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise InputError(
            "another audit is writing to this folder right now; wait for it or choose another --out", out_dir
        ) from None
    if not resume:
        remove_previous_outputs(out_dir)
    return lock


def remove_previous_outputs(out_dir):
    """Delete every file an audit writes into ``out_dir`` (finished or partial; audit-beam's record shards)."""
    import glob

    names = FINAL_OUTPUTS + (INCOMPLETE, CHECKPOINT, RECORDS_JSONL + ".partial", RECORDS_CSV + ".partial")
    for path in [os.path.join(out_dir, name) for name in names] + glob.glob(os.path.join(out_dir, SHARDED_RECORDS)):
        if os.path.exists(path):
            os.unlink(path)


def read_checkpoint(out_dir):
    path = os.path.join(out_dir, CHECKPOINT)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_partial_records(out_dir, count):
    with open(os.path.join(out_dir, RECORDS_JSONL + ".partial"), encoding="utf-8") as f:
        for _, line in zip(range(count), f):
            yield json_format.Parse(line, audit_pb2.AuditRecord())


def write_summary(out_dir, summary):
    write_atomic(
        os.path.join(out_dir, SUMMARY_JSON),
        json_format.MessageToJson(
            summary,
            indent=2,
            preserving_proto_field_name=True,
            sort_keys=True,
            always_print_fields_with_no_presence=True,
        )
        + "\n",
    )


def read_summary(out_dir):
    """summary.json of any record schema version, as today's AuditSummary."""
    path = os.path.join(out_dir, SUMMARY_JSON)
    with open(path, encoding="utf-8") as f:
        content = f.read()
    if not content.lstrip().startswith("{"):
        raise ValueError("expected a JSON object")
    fields = json.loads(content)
    if not isinstance(fields, dict):
        raise ValueError("expected a JSON object")
    if not fields.get("record_schema_version"):  # version 1: the reliance fields had their former names
        fields = {SUMMARY_FIELDS_BEFORE_VERSION_2.get(name, name): value for name, value in fields.items()}
    return json_format.ParseDict(fields, audit_pb2.AuditSummary())
