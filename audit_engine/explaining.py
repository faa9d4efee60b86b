"""From batches of rows to records: the model's explanations (up to ``max_in_flight`` batches at the model at
once), each evaluation's preparation, and the records with what the summary and the report accumulate (Tally).

audit-cli's run and the Beam pipeline's workers both go through ``explained_batches`` and ``Tally.audit``, so a
record is built by the same code whichever runner runs it.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent import futures
from typing import Any

from audit_engine.backends.base import Backend, Explained
from audit_engine.document import CorpusRow, Explanation, RecordSettings, audit_document, batch_order, skipped_record
from audit_engine.evaluations import Batch, Evaluation
from audit_engine.examples import Example, TopExamples
from audit_engine.options import LOOK_AHEAD, AuditOptions
from audit_engine.statistics import prefetch_weights
from audit_engine.summary import SummaryBuilder
from protos import audit_pb2
from saliency_core.words import Words

Prepared = list[Any]  # what each evaluation prepared for a batch, in the evaluations' order


def explain_batch(
    backend: Backend, batch: Sequence[CorpusRow], evaluations: Sequence[Evaluation]
) -> tuple[Explained | None, Prepared]:
    """The backend's explanations of the batch's texts and what each evaluation prepared for them."""
    texts = [document.text for document in batch if document.text is not None]
    ids = [document.doc_id for document in batch if document.text is not None]
    if not texts:
        return None, []
    explained = backend.explain(texts)
    words = [Words.of(text) for text in texts] if any(e.needs_tokens for e in evaluations) else None
    context = Batch(texts, words, explained, explained.width, ids)
    return explained, [evaluation.prepare(backend, context) for evaluation in evaluations]


def explained_batches(
    batch_iter: Iterable[list[CorpusRow]],
    backend: Backend,
    evaluations: Sequence[Evaluation],
    max_in_flight: int,
    stop: threading.Event | None = None,
    queued: int = 0,
) -> Iterator[tuple[list[CorpusRow], Explained | None, Prepared]]:
    """Yield (batch, explained, prepared) for every batch, in order, with up to ``max_in_flight`` batches at the
    model at once (the model's threads work while this thread builds records) and ``queued`` more sent and waiting
    for a thread. Once ``stop`` is set no batch is sent, and those already sent are still yielded."""
    pending: collections.deque = collections.deque()
    with futures.ThreadPoolExecutor(max_workers=max_in_flight) as pool:
        try:
            for batch in batch_iter:
                if stop is not None and stop.is_set():
                    break
                pending.append((batch, pool.submit(explain_batch, backend, batch, evaluations)))
                if len(pending) >= max_in_flight + queued:
                    batch, future = pending.popleft()
                    yield (batch, *future.result())
            while pending:
                batch, future = pending.popleft()
                yield (batch, *future.result())
        finally:
            for _, future in pending:
                future.cancel()


def explained_windows(
    window_iter: Iterable[list[list[CorpusRow]]],
    backend: Backend,
    evaluations: Sequence[Evaluation],
    max_in_flight: int,
    stop: threading.Event | None = None,
) -> Iterator[list[tuple[list[CorpusRow], Explained | None, Prepared]]]:
    """Each window's batches (corpus.windows) explained, as ``explained_batches`` does for batches: the model
    works through the next windows while this thread builds a window's records. A window cut short by ``stop``
    is not yielded (its rows are audited again when the run resumes)."""
    sizes: collections.deque = collections.deque()

    def flat() -> Iterator[list[CorpusRow]]:
        for window in window_iter:
            sizes.append(len(window))
            yield from window

    # A window's batches are taken all at once and its records then built without taking more: a window's worth of
    # batches queued beyond those at the model keeps the model busy meanwhile (measured: with none, texts as long as
    # T audited 6-12 % slower than batch by batch).
    results = explained_batches(flat(), backend, evaluations, max_in_flight, stop, queued=LOOK_AHEAD)
    while True:
        first = next(results, None)
        if first is None:
            return
        window = [first]
        while len(window) < sizes[0] and (item := next(results, None)) is not None:
            window.append(item)
        if len(window) < sizes.popleft():
            return
        yield window


def build_records(
    batch: Sequence[CorpusRow],
    explained: Explained | None,
    prepared: Prepared,
    settings: RecordSettings,
    evaluations: Sequence[Evaluation],
) -> Iterator[tuple[CorpusRow, audit_pb2.AuditRecord, Explanation | None]]:
    """Yield (CorpusRow, AuditRecord, Explanation or None for a skipped row) for every row of the batch, in
    order: what audit-cli writes and what the Beam pipeline emits, from one piece of code."""
    index = 0
    order = batch_order(explained, settings.top_k) if explained is not None else None
    for document in batch:
        if document.text is None:
            yield (
                document,
                skipped_record(document.row, document.doc_id, "", "empty text", settings.redact, document.true_label),
                None,
            )
            continue
        assert explained is not None  # a batch with a text was explained
        explanation = Explanation.at(explained, index, order)
        record = audit_document(document, explanation, settings)
        for evaluation, batch_data in zip(evaluations, prepared):
            evaluation.annotate(record, batch_data, index, document, explanation)
        index += 1
        yield document, record, explanation


class Tally:
    """What an audit accumulates beside its records: the summary's counts and the report's examples. audit-cli
    keeps one for the corpus; the Beam pipeline one per file, and the pipeline's combine merges them."""

    def __init__(
        self,
        evaluations: Sequence[Evaluation],
        options: AuditOptions,
        class_names: Sequence[str],
        examples: Iterable[Example] = (),
    ):
        self.builder = SummaryBuilder(evaluations, options.attribution, class_names, options.confidence)
        self.examples = TopExamples(options.examples, options.reliance, examples)

    def audit(
        self,
        window: Sequence[tuple[Sequence[CorpusRow], Explained | None, Prepared]],
        settings: RecordSettings,
        evaluations: Sequence[Evaluation],
    ) -> list[audit_pb2.AuditRecord]:
        """A window's AuditRecords (its batches explained), in row order, counted and offered as examples in that
        order: the summary and the examples are those of the corpus read row by row, whatever the batches."""
        built = [
            item
            for batch, explained, prepared in window
            for item in build_records(batch, explained, prepared, settings, evaluations)
        ]
        built.sort(key=lambda item: item[0].row)
        # The bootstrap weights, at once, of the records the sketches read them for (those that hold a listed term).
        prefetch_weights([document.doc_id for document, record, _ in built if record.forbidden_terms])
        records = []
        for _, record, explanation in built:
            if explanation is not None and self.examples.size and record.forbidden_terms:
                self.examples.offer(record, explanation.tokens, explanation.saliency)
            self.builder.add(record)
            records.append(record)
        return records

    def merge(self, other: Tally) -> None:
        self.builder.merge(other.builder)
        self.examples.merge(other.examples)
