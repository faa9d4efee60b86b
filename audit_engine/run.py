"""Stream a corpus through an audit session and write every record, in order, with bounded memory.

Records are committed in checkpoints (checkpoint.json holds the byte offsets of the .partial
files and the rows consumed), so an interrupted run can be resumed exactly where its last
checkpoint left it, and the resumed outputs equal those of an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from audit_engine import outputs, report
from audit_engine.backends.base import Backend, Explained
from audit_engine.corpus import CorpusRow, windows
from audit_engine.evaluations import AuditInputs
from audit_engine.examples import Example
from audit_engine.explaining import Prepared, Tally, explained_windows
from audit_engine.formatting import utc_now
from audit_engine.manifest import EvidenceSettings, ModelSource, write_manifest
from audit_engine.options import AuditOptions
from audit_engine.record_encoding import EncoderProcess
from audit_engine.session import AuditSession, RunFacts, finish_summary
from protos import audit_pb2
from saliency_core.errors import InputError
from saliency_core.hashing import file_sha256
from saliency_core.table import RowReader

Progress = Callable[[int, float, float], None]  # (documents, seconds, fraction of the file read)


class AuditInterrupted(Exception):
    """A stop was requested (SIGINT/SIGTERM); in-flight batches were finished and a checkpoint written."""

    def __init__(self, signal_number):
        super().__init__(f"interrupted by signal {signal_number}")
        self.signal_number = signal_number


class _Run:
    """The mutable state of one audit run: what is committed, and what the summary needs."""

    def __init__(
        self,
        corpus_path: str,
        session: AuditSession,
        out_dir: str,
        resume: bool,
        record_encoder: EncoderProcess | None = None,
    ):
        self.session = session
        self.options = options = session.options
        self.model = session.model
        lexicon, substitutions = session.inputs.lexicon, session.inputs.substitutions
        self.input_sha256 = file_sha256(corpus_path)
        self.identity = {
            "input_sha256": self.input_sha256,
            "options": options.fingerprint(),
            "lexicon_sha256": lexicon.sha256 if lexicon else "",
            "substitutions_sha256": substitutions.sha256 if substitutions else "",
            "model_name": self.model.name,
            "model_version": self.model.version,
            "signature": session.backend.signature,
        }
        self.rows_done = 0
        self.started_at = utc_now()
        self.previous_seconds = 0.0
        checkpoint = outputs.read_checkpoint(out_dir) if resume else None
        if resume:
            if checkpoint is None:
                raise InputError(
                    "nothing to resume: no checkpoint.json (the last run finished or never started)", out_dir
                )
            for key, value in self.identity.items():
                if checkpoint["identity"].get(key) != value:
                    raise InputError(
                        f"cannot resume: {key} differs from the interrupted run "
                        f"({checkpoint['identity'].get(key)!r} then, {value!r} now)",
                        out_dir,
                    )
        self.tally = Tally(
            session.evaluations,
            options,
            self.model.class_names,
            [Example(**e) for e in checkpoint["examples"]] if checkpoint is not None else (),
        )
        if checkpoint is not None:
            for record in outputs.read_partial_records(out_dir, checkpoint["records"]):
                self.tally.builder.add(record)
            self.rows_done = checkpoint["rows_done"]
            self.started_at = checkpoint["started_at"]
            self.previous_seconds = checkpoint["seconds"]
        self.writer = outputs.RecordWriter(out_dir, options.redact, checkpoint, record_encoder)
        self.clock = time.monotonic()

    def seconds(self) -> float:
        return self.previous_seconds + time.monotonic() - self.clock

    def state(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "rows_done": self.rows_done,
            "started_at": self.started_at,
            "seconds": self.seconds(),
            "examples": [dataclasses.asdict(example) for example in self.tally.examples.ranked()],
        }

    def write_window(
        self, window: Sequence[tuple[Sequence[CorpusRow], Explained | None, Prepared]], seconds_left: float
    ) -> None:
        # one write per file and window, not per record
        session = self.session
        records = self.tally.audit(window, session.settings, session.evaluations)
        self.writer.write_many(records, seconds_left)
        self.rows_done = int(records[-1].row)


def _stream(reader, run, progress, stop):
    """Write every window's records strictly in corpus order, with a checkpoint every checkpoint_seconds."""
    last_checkpoint = time.monotonic()
    session = run.session
    started = time.monotonic()
    for window in explained_windows(
        windows(reader, run.options, run.rows_done),
        session.backend,
        session.evaluations,
        run.options.max_in_flight,
        stop,
    ):
        # The time still to go at the pace so far; the reader leads what is written, so the estimate runs low.
        read, seconds = reader.fraction_read(), time.monotonic() - started
        run.write_window(window, seconds * (1 - read) / read if read > 0 else float("inf"))
        if time.monotonic() - last_checkpoint >= run.options.checkpoint_seconds:
            run.writer.checkpoint(run.state())
            last_checkpoint = time.monotonic()
        if progress:
            progress(run.tally.builder.documents, run.seconds(), reader.fraction_read())
    if stop is not None and stop.is_set():
        raise AuditInterrupted(getattr(stop, "signal_number", 0))


def audit_corpus(
    corpus_path: str,
    backend: Backend,
    out_dir: str,
    options: AuditOptions | None = None,
    inputs: AuditInputs | None = None,
    gate_limits: dict[str, float | None] | None = None,
    progress: Progress | None = None,
    resume: bool = False,
    stop: threading.Event | None = None,
    evidence: EvidenceSettings | None = None,
    record_encoder: EncoderProcess | None = None,
) -> tuple[audit_pb2.AuditSummary, bool]:
    """Audit every row of ``corpus_path``; write records, summary, reports and manifest.json to ``out_dir``
    (``evidence``: what the manifest records beyond the summary, and the key that signs it; ``record_encoder``:
    a child started before the model loaded, record_encoding.start_early, closed here whatever happens).

    Returns (AuditSummary, gates_passed). On bad input (InputError), a server failure
    (backends.ServerError) or a stop request (``stop`` event set -> AuditInterrupted), the
    committed records stay in *.partial files with a checkpoint and an INCOMPLETE note.
    """
    options = options or AuditOptions()
    inputs = inputs or AuditInputs()
    gate_limits = gate_limits or {}
    try:
        with RowReader(
            corpus_path, options.required_columns, options.encoding, text_cap=options.max_document_tokens
        ) as reader:
            session = AuditSession.open(backend, options, inputs)
            run = _Run(corpus_path, session, out_dir, resume, record_encoder)
            try:
                _stream(reader, run, progress, stop)
                if run.tally.builder.documents == 0:
                    raise InputError("no data rows (header only)", corpus_path)
            except BaseException as error:
                run.writer.abandon(
                    f"{type(error).__name__}: {error}", run.state(), resumable=not isinstance(error, InputError)
                )
                raise
            run.writer.commit()
    finally:
        if record_encoder is not None:
            record_encoder.close()  # already closed by commit or abandon, unless the audit never started
    facts = RunFacts(
        run.model.name,
        run.model.version,
        backend.signature,
        backend.description,
        os.path.abspath(corpus_path),
        run.input_sha256,
        run.started_at,
        run.seconds(),
        session.window_stride,
    )
    summary = run.tally.builder.build(audit_pb2.AuditSummary())
    passed = finish_summary(summary, facts, run.model, inputs.lexicon, options, gate_limits)
    report.write_reports(out_dir, summary, [] if options.redact else run.tally.examples.ranked())
    outputs.write_summary(out_dir, summary)
    evidence = evidence or EvidenceSettings("audit_engine", (), ModelSource(), gate_limits)
    try:
        write_manifest(
            out_dir,
            summary,
            options,
            inputs,
            dataclasses.replace(evidence, corpus_files=((corpus_path, run.input_sha256),)),
        )
    except BaseException as error:
        outputs.unfinish(out_dir, f"the manifest could not be written: {type(error).__name__}: {error}")
        raise
    run.writer.finish()
    return summary, passed
