"""Output files of an audit run, written so that nothing partial looks complete.

Records stream into ``*.partial`` files; only a finished run renames them and writes
``summary.json``. An unfinished run leaves an ``INCOMPLETE`` file that says why.
"""

import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from google.protobuf import json_format

from audit_engine.record_encoding import EncoderProcess, WindowEncoder
from audit_engine.record_lines import Record, csv_columns, csv_text
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
MANIFEST_JSON = "manifest.json"  # what the outputs are and what decided them (audit_engine.manifest)
ENVELOPE_JSON = "manifest.dsse.json"  # its signature
SHARDED_RECORDS = "records-*-of-*"  # audit-beam writes records in shards: records-00000-of-00002.jsonl

# Files the audit creates get the mode a plain open() would give them (mkstemp's are 0600), whatever the file.
_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK


def _refuse_link(path):
    """An InputError when ``path`` exists and is not a regular file: the audit never writes through, or removes, a
    link or a special file it did not create."""
    from saliency_core.errors import InputError

    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(status.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a regular file"
        raise InputError(f"is {kind} where the audit writes its own file: remove it or choose another --out", path)


def open_new(path: str) -> TextIO:
    """A new file opened exclusively, never through a link (O_EXCL | O_NOFOLLOW): whatever was planted there,
    nothing outside --out is written."""
    _refuse_link(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        from saliency_core.errors import InputError

        raise InputError("appeared while the audit was starting: another process writes here", path) from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def open_existing(path: str) -> TextIO:
    """An existing regular file of a previous run, for reading and writing, never through a link."""
    _refuse_link(path)
    return os.fdopen(os.open(path, os.O_RDWR | os.O_NOFOLLOW), "r+", encoding="utf-8", newline="")


def write_atomic(path: str, content: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    _refuse_link(path)
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.fchmod(fd, FILE_MODE)
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
    """records.jsonl and records.csv, written to .partial files until ``commit``.

    ``checkpoint(state)`` makes everything written so far durable and records the byte offsets in
    checkpoint.json, so that ``--resume`` can continue from exactly there.
    """

    def __init__(
        self,
        out_dir: str,
        redact: bool = False,
        resume_from: dict[str, Any] | None = None,
        record_encoder: EncoderProcess | None = None,
    ) -> None:
        os.makedirs(out_dir, exist_ok=True)
        self.out_dir = out_dir
        self.jsonl_path = os.path.join(out_dir, RECORDS_JSONL + ".partial")
        self.csv_path = os.path.join(out_dir, RECORDS_CSV + ".partial")
        self._encoding = WindowEncoder(redact, process=record_encoder)
        if resume_from is not None:
            self._jsonl = open_existing(self.jsonl_path)
            self._csv_file = open_existing(self.csv_path)
            # Anything after the last checkpoint was never committed: cut it off.
            for f, size in ((self._jsonl, resume_from["jsonl_bytes"]), (self._csv_file, resume_from["csv_bytes"])):
                f.truncate(size)
                f.seek(size)
            self.count = resume_from["records"]
            return
        remove_previous_outputs(out_dir)  # an old run's outputs must not pass for this run's
        self._jsonl = open_new(self.jsonl_path)
        self._csv_file = open_new(self.csv_path)
        self._write(self._csv_file, self.csv_path, csv_text([csv_columns(redact)]))
        self.count = 0

    @staticmethod
    def _write(f, path, text):
        """An OSError while writing names the file (a full disk says which file it could not write)."""
        try:
            f.write(text)
        except OSError as error:
            raise OSError(error.errno, error.strerror, path) from error

    def write_many(self, records: Sequence[Record], seconds_left: float = float("inf")) -> None:
        """Write the records' lines, in order; they may reach the files with a later call (at the latest
        ``checkpoint``, ``commit`` or ``abandon``), while this thread builds the next records. ``seconds_left``:
        how long the caller expects to go on writing (an estimate; record_encoding.WindowEncoder)."""
        self._write_lines(self._encoding.add(records, seconds_left))

    def _write_lines(self, ready):
        for jsonl, csv_lines, count in ready:
            self._write(self._jsonl, self.jsonl_path, jsonl)
            self._write(self._csv_file, self.csv_path, csv_lines)
            self.count += count

    def _flush(self):
        self._write_lines(self._encoding.drain())
        for f, path in ((self._jsonl, self.jsonl_path), (self._csv_file, self.csv_path)):
            try:
                f.flush()
                os.fsync(f.fileno())
            except OSError as error:
                raise OSError(error.errno, error.strerror, path) from error

    def checkpoint(self, state: dict[str, Any]) -> None:
        self._flush()
        state = dict(state, records=self.count, jsonl_bytes=self._jsonl.tell(), csv_bytes=self._csv_file.tell())
        write_atomic(os.path.join(self.out_dir, CHECKPOINT), json.dumps(state))

    def commit(self) -> None:
        self._flush()
        self._encoding.close()
        self._jsonl.close()
        self._csv_file.close()
        os.replace(self.jsonl_path, os.path.join(self.out_dir, RECORDS_JSONL))
        os.replace(self.csv_path, os.path.join(self.out_dir, RECORDS_CSV))

    def finish(self) -> None:
        for name in (CHECKPOINT, INCOMPLETE):
            path = os.path.join(self.out_dir, name)
            if os.path.exists(path):
                os.unlink(path)

    def abandon(self, reason: str, state: dict[str, Any], resumable: bool = True) -> None:
        """Mark the run unfinished. ``resumable``: the cause is outside the input (server, signal), so --resume
        helps; after an input error it would repeat the error, and the note says to fix the input instead.

        The INCOMPLETE marker is written first, in a way that needs no free space (an empty file), so that no later
        failure (closing a file on a full disk raises again) can leave the folder looking complete."""
        marker = os.path.join(self.out_dir, INCOMPLETE)
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE))
        except OSError:
            pass  # a link planted there, or no folder left: the note below tries again
        try:
            self.checkpoint(state)
        except OSError:
            pass  # e.g. the disk is full: the INCOMPLETE note below matters more than the checkpoint
        self._encoding.close()
        for f in (self._jsonl, self._csv_file):
            try:
                f.close()
            except OSError:
                pass  # buffered records that cannot be written are not committed anyway
        advice = (
            "rerun the same command with --resume to continue"
            if resumable
            else "fix the input and rerun without --resume"
        )
        note = (
            f"This audit did not finish: {reason}\n{self.count} records are committed in *.partial files; {advice}.\n"
        )
        try:
            write_atomic(marker, note)
        except OSError:
            pass  # no room for the note: the empty marker written first still says nothing here is complete


def unfinish(out_dir: str, reason: str) -> None:
    """A run that failed after summary.json was written: the summary goes, an INCOMPLETE note says why (the run's
    last step failed, so a rerun, not --resume, is the way on)."""
    summary = os.path.join(out_dir, SUMMARY_JSON)
    try:
        if os.path.isfile(summary) and not os.path.islink(summary):
            os.unlink(summary)
        write_atomic(os.path.join(out_dir, INCOMPLETE), f"This audit did not finish: {reason}\nRerun it.\n")
    except OSError:
        pass  # no folder or no room left: the summary's removal, tried first, is what matters


LOCK = ".audit.lock"


def claim_out_dir(out_dir: str, input_paths: Iterable[str], resume: bool = False, also: Sequence[str] = ()) -> TextIO:
    """Make ``out_dir`` this run's: refuse a folder that holds an input file, take an exclusive lock (a second run
    into the same folder fails at once), and, unless resuming, remove the previous run's outputs before anything
    else can fail, so that nothing there looks complete that this run did not finish. Returns the lock's file
    (keep it open for the run; closing it releases the lock). ``also``: names of the runner's own files there."""
    import fcntl

    from saliency_core.errors import InputError

    if not str(out_dir).strip():
        raise InputError("--out is empty: name an output folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC):
            raise OSError(error.errno, error.strerror, out_dir) from None  # the machine refused: exit 4
        raise InputError(f"cannot create the output folder: {error.strerror}", out_dir) from None
    folder = os.path.realpath(out_dir)
    for path in input_paths:
        # The folder that holds the name (a link inside --out is the input's name there) or its target's folder.
        holders = {os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.dirname(os.path.realpath(path))}
        if folder in holders:
            raise InputError("is inside --out, whose files the audit replaces: choose another --out", path)
    lock_path = os.path.join(out_dir, LOCK)
    _refuse_link(lock_path)
    try:
        # Never truncated, never followed: a link planted under the lock's name must not reach its target.
        lock = os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE), "w")
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise OSError(error.errno, error.strerror, out_dir) from None  # the machine refused: exit 4
        raise InputError(f"cannot write to the output folder: {error.strerror}", out_dir) from None
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise InputError(
            "another audit is writing to this folder right now; wait for it or choose another --out", out_dir
        ) from None
    if not resume:
        remove_previous_outputs(out_dir, also)
    return lock


def remove_previous_outputs(out_dir: str, also: Sequence[str] = ()) -> None:
    """Delete every file an audit writes into ``out_dir`` (finished or partial; audit-beam's record shards; the
    runner's files named in ``also``), refusing a link or a special file under any of those names."""
    import glob

    names = (
        *FINAL_OUTPUTS,
        MANIFEST_JSON,
        ENVELOPE_JSON,
        INCOMPLETE,
        CHECKPOINT,
        RECORDS_JSONL + ".partial",
        RECORDS_CSV + ".partial",
        *also,
    )
    paths = [os.path.join(out_dir, name) for name in names] + glob.glob(os.path.join(out_dir, SHARDED_RECORDS))
    for path in paths:  # every one checked before any is removed: a refusal leaves the folder as it was
        _refuse_link(path)
    for path in paths:
        if os.path.lexists(path):
            os.unlink(path)


def read_checkpoint(out_dir: str) -> dict[str, Any] | None:
    path = os.path.join(out_dir, CHECKPOINT)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_partial_records(out_dir: str, count: int) -> Iterator[Record]:
    with open(os.path.join(out_dir, RECORDS_JSONL + ".partial"), encoding="utf-8") as f:
        for _, line in zip(range(count), f):
            yield json_format.Parse(line, audit_pb2.AuditRecord())


def write_summary(out_dir: str, summary: audit_pb2.AuditSummary) -> None:
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


def read_summary(out_dir: str) -> audit_pb2.AuditSummary:
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
