"""Output files of an audit run, written so that nothing partial looks complete.

Records stream into ``*.partial`` files; only a finished run renames them and writes
``summary.json``. An unfinished run leaves an ``INCOMPLETE`` file that says why.
"""

import csv
import json
import os
import tempfile

from google.protobuf import json_format

RECORDS_JSONL = "records.jsonl"
RECORDS_CSV = "records.csv"
SUMMARY_JSON = "summary.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
INCOMPLETE = "INCOMPLETE"
FINAL_OUTPUTS = (RECORDS_JSONL, RECORDS_CSV, SUMMARY_JSON, REPORT_MD, REPORT_HTML)

CSV_COLUMNS = ["row", "id", "status", "skip_reason", "predicted_label", "confidence", "forbidden_share",
               "flagged", "truncated", "token_count", "explained_tokens", "forbidden_terms", "top_tokens",
               "true_label", "text_sha256", "text"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Spreadsheet formula injection: a text cell starting with = + - @ TAB or CR gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def record_json(record):
    return json_format.MessageToJson(record, indent=None, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def record_csv_row(record):
    from protos import audit_pb2
    row = {
        "row": record.row, "id": record.id,
        "status": audit_pb2.RecordStatus.Name(record.status), "skip_reason": record.skip_reason,
        "predicted_label": record.predicted_label, "confidence": f"{record.confidence:.6f}",
        "forbidden_share": f"{record.forbidden_share:.6f}", "flagged": int(record.flagged),
        "truncated": int(record.truncated), "token_count": record.token_count,
        "explained_tokens": record.explained_tokens,
        "forbidden_terms": "; ".join(f"{h.term}:{h.saliency:.6f}" for h in record.forbidden_terms),
        "top_tokens": "; ".join(f"{t.token}:{t.saliency:.6f}" for t in record.top_tokens),
        "true_label": record.true_label, "text_sha256": record.text_sha256, "text": record.text,
    }
    return [neutralise_cell(row[c]) if c not in ("row",) else row[c] for c in CSV_COLUMNS]


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


class RecordWriter:
    """records.jsonl and records.csv, written to .partial files until ``commit``."""

    def __init__(self, out_dir, redact=False):
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        for name in FINAL_OUTPUTS + (INCOMPLETE,):
            path = os.path.join(out_dir, name)
            if os.path.exists(path):
                os.unlink(path)  # an old run's outputs must not pass for this run's
        self.jsonl_path = os.path.join(out_dir, RECORDS_JSONL + ".partial")
        self.csv_path = os.path.join(out_dir, RECORDS_CSV + ".partial")
        self._jsonl = open(self.jsonl_path, "w", encoding="utf-8")
        self._csv_file = open(self.csv_path, "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._csv_file)
        columns = [c for c in CSV_COLUMNS if not (redact and c == "text")]
        self._drop_text = redact
        self._csv.writerow(columns)
        self.count = 0

    def write(self, record):
        self._jsonl.write(record_json(record) + "\n")
        row = record_csv_row(record)
        self._csv.writerow(row[:-1] if self._drop_text else row)
        self.count += 1

    def flush(self):
        for f in (self._jsonl, self._csv_file):
            f.flush()
            os.fsync(f.fileno())

    def commit(self):
        self.flush()
        self._jsonl.close()
        self._csv_file.close()
        os.replace(self.jsonl_path, os.path.join(self.out_dir, RECORDS_JSONL))
        os.replace(self.csv_path, os.path.join(self.out_dir, RECORDS_CSV))

    def abandon(self, reason):
        self.flush()
        self._jsonl.close()
        self._csv_file.close()
        write_atomic(os.path.join(self.out_dir, INCOMPLETE),
                     f"This audit did not finish: {reason}\n{self.count} records were written to *.partial files.\n")


def write_summary(out_dir, summary):
    write_atomic(os.path.join(out_dir, SUMMARY_JSON),
                 json_format.MessageToJson(summary, indent=2, preserving_proto_field_name=True,
                                           always_print_fields_with_no_presence=True) + "\n")


def read_summary(out_dir):
    from protos import audit_pb2
    path = os.path.join(out_dir, SUMMARY_JSON)
    with open(path, encoding="utf-8") as f:
        return json_format.Parse(f.read(), audit_pb2.AuditSummary())


def read_records(out_dir):
    from protos import audit_pb2
    with open(os.path.join(out_dir, RECORDS_JSONL), encoding="utf-8") as f:
        for line in f:
            yield json_format.Parse(line, audit_pb2.AuditRecord())


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
