"""Stream a corpus through a backend and audit every document, in order, with bounded memory."""

import collections
import dataclasses
import heapq
import json
import os
import time
from concurrent import futures

import numpy as np

from audit_cli import outputs
from audit_cli.document import audit_document, explained_tokens, skipped_record
from audit_cli.summary import SummaryBuilder, apply_gates, utc_now
from protos import audit_pb2
from serving import contract
from trainer.corpus import file_sha256
from trainer.errors import InputError
from trainer.table import RowReader


@dataclasses.dataclass
class ScoreOptions:
    text_column: str = "text"
    id_column: str = None
    label_column: str = None
    batch_size: int = 64
    max_in_flight: int = 4
    threshold: float = 0.5
    top_k: int = 5
    redact: bool = False
    strict: bool = False
    encoding: str = "utf-8"
    examples: int = 6  # highlighted documents in report.html


@dataclasses.dataclass
class Example:
    """A document kept for the report, with every explained token's saliency."""
    share: float
    row: int
    doc_id: str
    label: str
    tokens: list
    saliency: list
    forbidden: list


def _batches(reader, options, seen_ids):
    """Yield lists of (row, id, text, true_label); rows with empty text are yielded with text None."""
    batch = []
    row_number = 0
    for line, row in reader:
        row_number += 1
        text = row[options.text_column]
        text = "" if text is None else str(text)
        doc_id = str(row[options.id_column]).strip() if options.id_column else str(row_number)
        if options.id_column:
            if not doc_id:
                raise InputError("empty id", reader.path, line, options.id_column)
            if doc_id in seen_ids:
                raise InputError(f"duplicate id {doc_id!r} (first at row {seen_ids[doc_id]})",
                                 reader.path, line, options.id_column)
            seen_ids[doc_id] = row_number
        label = str(row[options.label_column]).strip() if options.label_column else ""
        if not text.strip() or text.strip().lower() == "nan":
            if options.strict:
                raise InputError("empty text", reader.path, line, options.text_column)
            text = None if not text.strip() else text
        batch.append((row_number, doc_id, text, label))
        if sum(1 for item in batch if item[2] is not None) >= options.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _explain_batch(backend, batch):
    texts = [text for _, _, text, _ in batch if text is not None]
    return backend.explain(texts) if texts else None


def score_corpus(corpus_path, backend, lexicon, out_dir, options=None, gate_limits=None, progress=None):
    """Audit every row of ``corpus_path``; write records, summary and reports to ``out_dir``.

    Returns (AuditSummary, gates_passed). Raises InputError on bad input and
    backends.ServerError when the server fails past its retry budget; in both cases the
    outputs are left marked INCOMPLETE.
    """
    from audit_cli import report

    options = options or ScoreOptions()
    gate_limits = gate_limits or {}
    metadata = backend.metadata()
    class_names = metadata["class_names"]
    started_at, started = utc_now(), time.monotonic()
    required = [options.text_column, options.id_column, options.label_column]
    builder = SummaryBuilder()
    examples = []  # min-heap of (share, -row, Example)
    with RowReader(corpus_path, required, options.encoding) as reader:
        writer = outputs.RecordWriter(out_dir, options.redact)
        try:
            pending = collections.deque()
            with futures.ThreadPoolExecutor(max_workers=options.max_in_flight) as pool:
                batches = _batches(reader, options, {})

                def drain_one():
                    batch, future = pending.popleft()
                    result = future.result()
                    _write_batch(batch, result, class_names, lexicon, options, writer, builder, examples)
                    if progress:
                        progress(builder.documents, time.monotonic() - started)

                try:
                    for batch in batches:
                        pending.append((batch, pool.submit(_explain_batch, backend, batch)))
                        if len(pending) >= options.max_in_flight:
                            drain_one()
                    while pending:
                        drain_one()
                finally:
                    for _, future in pending:
                        future.cancel()
        except BaseException as error:
            writer.abandon(f"{type(error).__name__}: {error}")
            raise
        writer.commit()
    seconds = time.monotonic() - started
    summary = builder.build(audit_pb2.AuditSummary())
    summary.complete = True
    summary.model_name = metadata.get("model_name", "")
    summary.model_version = int(getattr(backend, "loaded_version", 0) or metadata.get("version", 0))
    summary.signature_name = backend.signature
    summary.backend = backend.description
    summary.input_path = os.path.abspath(corpus_path)
    summary.input_sha256 = file_sha256(corpus_path)
    if lexicon is not None:
        summary.lexicon_path = os.path.abspath(lexicon.source) if lexicon.source else ""
        summary.lexicon_sha256 = lexicon.sha256
        summary.lexicon_terms = len(lexicon.phrases)
    summary.threshold = options.threshold
    summary.started_at, summary.finished_at = started_at, utc_now()
    summary.seconds = seconds
    summary.documents_per_second = builder.scored / seconds if seconds > 0 else 0.0
    summary.model_metadata_json = json.dumps(metadata, sort_keys=True)
    summary.redacted = options.redact
    summary.max_tokens = int(metadata.get("max_tokens", 0))
    passed = apply_gates(summary, gate_limits)
    ranked = [example for _, _, example in sorted(examples, reverse=True)]
    report.write_reports(out_dir, summary, [] if options.redact else ranked)
    outputs.write_summary(out_dir, summary)
    return summary, passed


def _write_batch(batch, result, class_names, lexicon, options, writer, builder, examples):
    index = 0
    for row, doc_id, text, label in batch:
        if text is None:
            record = skipped_record(row, doc_id, "", "empty text", options.redact, label)
        else:
            saliency = result[contract.SALIENCY][index]
            tokens = result[contract.TOKENS][index]
            record = audit_document(
                row, doc_id, text, result[contract.PROBABILITIES][index], saliency, tokens,
                result[contract.PREDICTED_LABEL][index], result[contract.TOKEN_COUNT][index],
                class_names, lexicon, options.threshold, options.top_k, options.redact, label)
            index += 1
            if options.examples and record.forbidden_terms:
                _keep_example(examples, options.examples, record, tokens, saliency, lexicon)
        writer.write(record)
        builder.add(record)


def _keep_example(examples, capacity, record, tokens_row, saliency_row, lexicon):
    key = (record.forbidden_share, -record.row)
    if len(examples) >= capacity and key <= examples[0][:2]:
        return
    tokens = explained_tokens(tokens_row)
    example = Example(record.forbidden_share, record.row, record.id, record.predicted_label, tokens,
                      [float(s) for s in saliency_row[:len(tokens)]],
                      lexicon.position_mask(tokens).tolist())
    item = (*key, example)
    if len(examples) < capacity:
        heapq.heappush(examples, item)
    else:
        heapq.heapreplace(examples, item)
